package code

import (
	"cmp"
	"context"
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
	// MaxValidity is the longest validity Issue accepts; 0 means
	// DefaultMaxValidity. Verifiers refuse longer ones, so a code printed
	// past it would be refused at every checkpoint.
	MaxValidity time.Duration
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
	maxValidity := is.MaxValidity
	if maxValidity <= 0 {
		maxValidity = DefaultMaxValidity
	}
	if validity > maxValidity {
		return "", Claims{}, lifeline.Errorf(lifeline.EINVALID, lifeline.T(
			fmt.Sprintf("离线码有效期 %s 超过上限 %s", days(validity, lifeline.Zh), days(maxValidity, lifeline.Zh)),
			fmt.Sprintf("a code valid for %s is longer than the maximum of %s", days(validity, lifeline.En), days(maxValidity, lifeline.En))))
	}
	if is.Key == nil {
		return "", Claims{}, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有签名密钥。请运行 lifeline keys new 创建一个。", "no signing key. Run lifeline keys new to create one."))
	}
	iat := now().Truncate(time.Second)
	if !is.Key.ValidAt(iat) {
		return "", Claims{}, lifeline.Errorf(lifeline.EINVALID, lifeline.T("密钥 "+is.Key.KID()+" 当前不在有效期内", "key "+is.Key.KID()+" is not valid now"))
	}
	if exp := iat.Add(validity); exp.After(is.Key.NotAfter) {
		end := is.Key.NotAfter.In(lifeline.ChinaTime).Format("2006-01-02 15:04")
		return "", Claims{}, lifeline.Errorf(lifeline.EINVALID, lifeline.T(
			"密钥 "+is.Key.KID()+" 于 "+end+" 失效，早于这张码的到期时间。请运行 lifeline keys new 创建新密钥。",
			"key "+is.Key.KID()+" ends on "+end+", before this code would expire. Run lifeline keys new to create a new key."))
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

// days says a duration in whole days where it is whole days, for messages.
func days(d time.Duration, l lifeline.Lang) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf(l.Pick("%d 天", "%d days"), d/(24*time.Hour))
	}
	return d.String()
}

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

// IssueRecorded issues a code for a resident on behalf of community (their
// own when empty) and records it before anyone sees it: a code nobody
// knows about could never be revoked. Unless keepPrevious (a spare card),
// the resident's earlier codes are then revoked (lifeline.RevokeEarlierCodes).
func (is *Issuer) IssueRecorded(ctx context.Context, codes lifeline.CodeService, r *lifeline.Resident, community, by string, keepPrevious bool) (string, Claims, error) {
	payload, c, err := is.Issue(HolderOf(r), cmp.Or(community, r.Address.Community))
	if err != nil {
		return "", Claims{}, err
	}
	err = codes.RecordIssued(ctx, []lifeline.IssuedCode{{Serial: c.Serial, ResidentID: r.ID, KeyID: is.Key.KID(), IssuedBy: by, IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt}})
	if err == nil && !keepPrevious {
		_, err = lifeline.RevokeEarlierCodes(ctx, codes, r.ID, map[string]bool{string(c.Serial): true}, by)
	}
	if err != nil {
		return "", Claims{}, err
	}
	return payload, c, nil
}
