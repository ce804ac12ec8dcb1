package code

import (
	"crypto/rand"
	"fmt"
	"time"
	"unicode/utf8"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/veraison/go-cose"
)

// Issuer signs codes with one key.
type Issuer struct {
	Key      *SigningKey
	Validity time.Duration    // 0 means DefaultValidity
	Now      func() time.Time // nil means time.Now
}

// Issue signs a code for a holder on behalf of a community and returns the
// payload to print ("LL1:…") and the claims in it. The serial is fresh
// random bytes; the caller records the issuance (lifeline.CodeService).
func (is *Issuer) Issue(h Holder, community string) (payload string, c Claims, err error) {
	now := time.Now
	if is.Now != nil {
		now = is.Now
	}
	validity := is.Validity
	if validity <= 0 {
		validity = DefaultValidity
	}
	if is.Key == nil {
		return "", Claims{}, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有签名密钥。请运行 lifeline keys new 创建一个。", "no signing key. Run lifeline keys new to create one."))
	}
	iat := now().Truncate(time.Second)
	if !is.Key.ValidAt(iat) {
		return "", Claims{}, lifeline.Errorf(lifeline.EINVALID, lifeline.T("密钥 "+is.Key.KID()+" 当前不在有效期内", "key "+is.Key.KID()+" is not valid now"))
	}
	serial, err := NewSerial()
	if err != nil {
		return "", Claims{}, fmt.Errorf("serial: %w", err)
	}
	h.TestedAt = h.TestedAt.Truncate(time.Second)
	h.MaskedName = cutUTF8(h.MaskedName, MaxNameBytes)
	h.DocTail = cutUTF8(h.DocTail, 4)
	c = Claims{Issuer: cutUTF8(community, MaxIssuerBytes), IssuedAt: iat, ExpiresAt: iat.Add(validity), Serial: serial, Holder: h}
	payload, err = Sign(is.Key, &c)
	if err != nil {
		return "", Claims{}, err
	}
	if len(payload) > MaxPayloadLen {
		return "", Claims{}, fmt.Errorf("code is %d characters, more than %d", len(payload), MaxPayloadLen)
	}
	return payload, c, nil
}

// Limits that keep every code inside QR version 12 at level Q (296
// alphanumeric characters): the issuer and masked name are cut, at a
// character boundary, to these many UTF-8 bytes. Ten Chinese characters of
// community name and six of masked name fit.
const (
	MaxIssuerBytes = 30
	MaxNameBytes   = 18
	MaxPayloadLen  = 296
)

// cutUTF8 returns the longest prefix of s of at most n bytes that ends on a
// character boundary.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Sign encodes and signs claims with a key and returns the payload. Issue
// is what applications call; Sign is for tests and tools that need exact
// claims.
func Sign(k *SigningKey, c *Claims) (string, error) {
	body, err := marshalClaims(c)
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	signer, err := cose.NewSigner(cose.AlgorithmEd25519, k.Private)
	if err != nil {
		return "", fmt.Errorf("signer: %w", err)
	}
	msg := cose.Sign1Message{
		Headers: cose.Headers{
			Protected: cose.ProtectedHeader{
				cose.HeaderLabelAlgorithm: cose.AlgorithmEd25519,
				cose.HeaderLabelKeyID:     k.ID[:],
			},
		},
		Payload: body,
	}
	if err := msg.Sign(rand.Reader, nil, signer); err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	raw, err := msg.MarshalCBOR()
	if err != nil {
		return "", fmt.Errorf("encode COSE: %w", err)
	}
	return Prefix + Base45Encode(raw), nil
}
