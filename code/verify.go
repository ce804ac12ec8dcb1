package code

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/veraison/go-cose"
)

// DefaultSkew is how far a checkpoint's clock may be off before a code
// counts as expired or not yet valid: checkpoint clocks are often minutes
// wrong, and turning a person away for that helps nobody.
const DefaultSkew = 10 * time.Minute

// Reason says why a code is not valid. It is a stable code for programs;
// Text gives its words for people.
type Reason string

// Reasons a code is rejected.
const (
	BadPrefix          Reason = "bad_prefix"           // not "LL1:…": not a lifeline code
	BadEncoding        Reason = "bad_encoding"         // damaged: Base45, COSE or claims do not parse
	UnknownKey         Reason = "unknown_key"          // signed by a key not in the trust list
	BadSignature       Reason = "bad_signature"        // altered or forged
	Expired            Reason = "expired"              // past its exp
	NotYetValid        Reason = "not_yet_valid"        // iat in the future
	Revoked            Reason = "revoked"              // on the revocation list
	KeyOutsideValidity Reason = "key_outside_validity" // issued when its key was not valid
)

// Text returns the reason in both languages.
func (r Reason) Text() lifeline.Text {
	switch r {
	case "":
		return lifeline.T("有效", "valid")
	case BadPrefix:
		return lifeline.T("不是本系统的离线码", "not a lifeline code")
	case BadEncoding:
		return lifeline.T("码已损坏，无法读取", "the code is damaged and cannot be read")
	case UnknownKey:
		return lifeline.T("签发密钥不在信任列表中", "signed by a key that is not trusted")
	case BadSignature:
		return lifeline.T("签名错误：码被篡改或伪造", "bad signature: the code was altered or forged")
	case Expired:
		return lifeline.T("已过期", "expired")
	case NotYetValid:
		return lifeline.T("尚未生效", "not yet valid")
	case Revoked:
		return lifeline.T("已吊销", "revoked")
	case KeyOutsideValidity:
		return lifeline.T("签发时密钥不在有效期内", "issued outside its key's validity")
	}
	return lifeline.T(string(r), string(r))
}

// Label returns the reason in one language.
func (r Reason) Label(l lifeline.Lang) string { return r.Text().In(l) }

// Result is the outcome of checking one code.
type Result struct {
	Valid  bool
	Reason Reason // "" when valid
	// Claims are set once the signature has checked out, also for codes
	// rejected as expired, revoked and so on; never for forged ones.
	Claims Claims
	KeyID  KeyID
	// SkewApplied is set when the code passed only thanks to the allowed
	// clock skew: the checkpoint's clock may be wrong, and says so.
	SkewApplied bool
	// Err is the technical cause of a rejection, for logs.
	Err error
}

// Verifier checks codes offline against a trust list and a revocation
// list. It is safe for concurrent use once built.
type Verifier struct {
	Trust   TrustList
	Revoked *RevocationList  // nil: nothing revoked
	Skew    time.Duration    // 0 means DefaultSkew; negative means none
	Now     func() time.Time // nil means time.Now
}

// Verify checks one payload as a scanner or a person delivered it. It is
// forgiving of what scanners and phones do to text: spaces, CR and LF at
// the ends, lower case, and %-escaping are undone first.
func (v *Verifier) Verify(payload string) Result {
	s := clean(payload)
	r := v.verify(s)
	if r.Valid || !strings.Contains(s, "%") {
		return r
	}
	// '%' is also a Base45 character, so the text is first tried as it
	// came and only then unescaped.
	u, err := url.PathUnescape(s)
	if err != nil || u == s {
		return r
	}
	if r2 := v.verify(clean(u)); r2.Valid || r.Reason == BadPrefix || r.Reason == BadEncoding {
		return r2
	}
	return r
}

func clean(s string) string {
	return strings.ToUpper(strings.Trim(s, " \t\r\n\x00"))
}

func fail(reason Reason, err error) Result { return Result{Reason: reason, Err: err} }

func (v *Verifier) verify(s string) Result {
	if !strings.HasPrefix(s, Prefix) {
		return fail(BadPrefix, errors.New("no "+Prefix+" prefix"))
	}
	raw, err := Base45Decode(s[len(Prefix):])
	if err != nil {
		return fail(BadEncoding, err)
	}
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(raw); err != nil {
		return fail(BadEncoding, fmt.Errorf("COSE_Sign1: %w", err))
	}
	if alg, err := msg.Headers.Protected.Algorithm(); err != nil || alg != cose.AlgorithmEd25519 {
		return fail(BadEncoding, fmt.Errorf("algorithm %v is not EdDSA: %v", alg, err))
	}
	kid, ok := msg.Headers.Protected[cose.HeaderLabelKeyID].([]byte)
	if !ok || len(kid) != len(KeyID{}) {
		return fail(BadEncoding, errors.New("protected header has no 8-byte kid"))
	}
	var id KeyID
	copy(id[:], kid)
	key := v.Trust[id]
	if key == nil {
		return Result{Reason: UnknownKey, KeyID: id, Err: fmt.Errorf("key %s is not in the trust list", id)}
	}
	ver, err := key.coseVerifier()
	if err != nil {
		return Result{Reason: UnknownKey, KeyID: id, Err: err}
	}
	if err := msg.Verify(nil, ver); err != nil {
		return Result{Reason: BadSignature, KeyID: id, Err: err}
	}
	c, err := unmarshalClaims(msg.Payload)
	if err != nil {
		return Result{Reason: BadEncoding, KeyID: id, Err: err}
	}
	r := Result{Claims: c, KeyID: id}
	if !key.covers(c.IssuedAt) {
		r.Reason, r.Err = KeyOutsideValidity, fmt.Errorf("issued %s, outside key %s's window", c.IssuedAt.UTC().Format(time.RFC3339), id)
		return r
	}
	if v.Revoked.RevokedSerial(c.Serial) {
		r.Reason, r.Err = Revoked, errors.New("serial is on the revocation list")
		return r
	}
	if v.Revoked.RevokedByKey(id, c.IssuedAt) {
		r.Reason, r.Err = Revoked, fmt.Errorf("issued before key %s's cut-off", id)
		return r
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	t := now()
	skew := v.Skew
	if skew == 0 {
		skew = DefaultSkew
	} else if skew < 0 {
		skew = 0
	}
	switch {
	case t.After(c.ExpiresAt):
		if t.Add(-skew).After(c.ExpiresAt) {
			r.Reason, r.Err = Expired, fmt.Errorf("expired %s", c.ExpiresAt.UTC().Format(time.RFC3339))
			return r
		}
		r.SkewApplied = true
	case t.Before(c.IssuedAt):
		if t.Add(skew).Before(c.IssuedAt) {
			r.Reason, r.Err = NotYetValid, fmt.Errorf("issued %s, in the future", c.IssuedAt.UTC().Format(time.RFC3339))
			return r
		}
		r.SkewApplied = true
	}
	r.Valid = true
	return r
}

// SigStructure returns the bytes an Ed25519 signature of a COSE_Sign1
// covers (RFC 9052 §4.4), with no external data:
//
//	["Signature1", protected (the bstr as received), h'', payload]
func SigStructure(m *cose.Sign1Message) ([]byte, error) {
	if len(m.Headers.RawProtected) == 0 {
		return nil, errors.New("no raw protected header")
	}
	return encMode.Marshal([]any{"Signature1", cbor.RawMessage(m.Headers.RawProtected), []byte{}, m.Payload})
}

// SignedParts decodes a payload down to what its signature covers: the
// key id, the Sig_structure and the signature. Benchmarks use it to time
// bare Ed25519 on the very signatures Verify checks.
func SignedParts(payload string) (KeyID, []byte, []byte, error) {
	var id KeyID
	s := clean(payload)
	if !strings.HasPrefix(s, Prefix) {
		return id, nil, nil, errors.New("no " + Prefix + " prefix")
	}
	raw, err := Base45Decode(s[len(Prefix):])
	if err != nil {
		return id, nil, nil, err
	}
	var m cose.Sign1Message
	if err := m.UnmarshalCBOR(raw); err != nil {
		return id, nil, nil, err
	}
	kid, _ := m.Headers.Protected[cose.HeaderLabelKeyID].([]byte)
	copy(id[:], kid)
	tbs, err := SigStructure(&m)
	return id, tbs, m.Signature, err
}
