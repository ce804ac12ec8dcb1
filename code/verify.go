package code

import (
	"bytes"
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
	TooLong            Reason = "too_long"             // longer than any code (two scans run together?)
	BadEncoding        Reason = "bad_encoding"         // damaged: Base45, COSE or claims do not parse
	UnknownKey         Reason = "unknown_key"          // signed by a key not in the trust list
	BadSignature       Reason = "bad_signature"        // altered or forged
	BadValidity        Reason = "bad_validity"         // exp − iat longer than allowed, or exp before iat
	Expired            Reason = "expired"              // past its exp
	NotYetValid        Reason = "not_yet_valid"        // iat in the future
	Revoked            Reason = "revoked"              // on the revocation list
	KeyOutsideValidity Reason = "key_outside_validity" // issued when its key was not valid
	ListsExpired       Reason = "lists_expired"        // the trust or revocation list is past its hard limit
)

// Text returns the reason in both languages.
func (r Reason) Text() lifeline.Text {
	switch r {
	case "":
		return lifeline.T("有效", "valid")
	case BadPrefix:
		return lifeline.T("不是本系统的离线码", "not a lifeline code")
	case TooLong:
		return lifeline.T("内容过长，不是一张离线码（可能两次扫码连在了一起）", "too long to be one code (two scans run together?)")
	case BadEncoding:
		return lifeline.T("码已损坏，无法读取", "the code is damaged and cannot be read")
	case UnknownKey:
		return lifeline.T("签发密钥不在信任列表中", "signed by a key that is not trusted")
	case BadSignature:
		return lifeline.T("签名错误：码被篡改或伪造", "bad signature: the code was altered or forged")
	case BadValidity:
		return lifeline.T("码的有效期超过允许的上限", "the code claims a validity longer than allowed")
	case Expired:
		return lifeline.T("已过期", "expired")
	case NotYetValid:
		return lifeline.T("尚未生效", "not yet valid")
	case Revoked:
		return lifeline.T("已吊销", "revoked")
	case KeyOutsideValidity:
		return lifeline.T("签发时密钥不在有效期内", "issued outside its key's validity")
	case ListsExpired:
		return lifeline.T("本机的信任列表或吊销列表已过期，请更新后再验", "this device's trust or revocation list has expired: update it and check again")
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
	// Lists is the state of the signed lists the code was checked
	// against; zero when the verifier has none (a desk's own keys).
	Lists ListsState
	// Err is the technical cause of a rejection, for logs.
	Err error
}

// GreenAtIssue reports whether the code is valid and its holder was green
// when it was issued: what a checkpoint that lets people through on a code
// alone must ask, since a genuine code of a red holder is still valid.
func (r Result) GreenAtIssue() bool { return r.Valid && r.Claims.Holder.GreenAtIssue() }

// Verdict is a result in one word for programs.
type Verdict string

// The verdicts: only VerdictValidGreen lets a person through on the code
// alone.
const (
	VerdictValidGreen    Verdict = "valid_green"
	VerdictValidNotGreen Verdict = "valid_not_green"
	VerdictInvalid       Verdict = "invalid"
)

// Verdict returns the result's verdict.
func (r Result) Verdict() Verdict {
	switch {
	case !r.Valid:
		return VerdictInvalid
	case r.GreenAtIssue():
		return VerdictValidGreen
	}
	return VerdictValidNotGreen
}

// ListsState is what a checkpoint's lists say about every result checked
// against them.
type ListsState struct {
	// Held is set when the verifier checks against signed lists.
	Held bool
	// Age is how old the older of the lists is, by the time used to check.
	Age time.Duration
	// Stale is set past a list's next update: the result stands, but every
	// result warns that the lists are Age old.
	Stale bool
	// Expired is set past a list's hard limit (its own expiry, or the
	// checkpoint's maximum age): no code is valid until the lists are
	// updated.
	Expired bool
	// ClockBehind is set when a list was issued later than this device's
	// clock by more than the skew allowed: the clock is wrong by at least
	// this much, and codes were checked at the list's time instead, the
	// latest time the checkpoint can prove.
	ClockBehind time.Duration
}

// Verifier checks codes offline against a trust list and a revocation
// list. It is safe for concurrent use once built.
type Verifier struct {
	Trust   TrustList
	Revoked *RevocationList  // nil: nothing revoked
	Skew    time.Duration    // 0 means DefaultSkew; negative means none
	Now     func() time.Time // nil means time.Now
	// MaxValidity is the longest exp − iat a code may claim; 0 means
	// DefaultMaxValidity.
	MaxValidity time.Duration
	// Lists are the signed lists Trust and Revoked came from (Checkpoint
	// sets them); none when they came from elsewhere.
	Lists []ListInfo
	// MaxListAge, when positive, is the checkpoint's own hard limit on a
	// list's age, tighter than the lists' own expiry.
	MaxListAge time.Duration
}

// Verify checks one payload as a scanner or a person delivered it. It is
// forgiving of what scanners and phones do to text: spaces, CR and LF at
// the ends, lower case, and %-escaping are undone first.
func (v *Verifier) Verify(payload string) Result {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := v.Skew
	if skew == 0 {
		skew = DefaultSkew
	} else if skew < 0 {
		skew = 0
	}
	t, lists := v.listsState(now(), skew)
	r := v.verifyText(clean(payload), t, skew)
	r.Lists = lists
	if r.Valid && lists.Expired {
		r.Valid, r.Reason, r.Err = false, ListsExpired, errors.New("a list is past its hard limit")
	}
	return r
}

func (v *Verifier) verifyText(s string, t time.Time, skew time.Duration) Result {
	// %-escaping at most triples a code; anything longer is no code, and
	// is refused before it costs more than this comparison.
	if len(s) > 3*MaxPayloadLen {
		return fail(TooLong, fmt.Errorf("%d characters, more than a code's %d even %%-escaped", len(s), MaxPayloadLen))
	}
	r := v.verify(s, t, skew)
	if r.Valid || !strings.Contains(s, "%") {
		return r
	}
	// '%' is also a Base45 character, so the text is first tried as it
	// came and only then unescaped.
	u, err := url.PathUnescape(s)
	if err != nil || u == s {
		return r
	}
	if r2 := v.verify(clean(u), t, skew); r2.Valid || r.Reason == BadPrefix || r.Reason == BadEncoding || r.Reason == TooLong {
		return r2
	}
	return r
}

func clean(s string) string {
	return strings.ToUpper(strings.Trim(s, " \t\r\n\x00"))
}

func fail(reason Reason, err error) Result { return Result{Reason: reason, Err: err} }

// understoodCrit are the header labels a code's "crit" may name: those
// this verifier acts on. A code that makes any other label critical asks
// for processing this verifier does not do, so it is refused (RFC 9052
// §3.1).
var understoodCrit = map[int64]bool{cose.HeaderLabelAlgorithm: true, cose.HeaderLabelKeyID: true}

// emptyMap is the only unprotected header a code may carry: nothing there
// is signed, so nothing there may change what a verifier shows.
var emptyMap = []byte{0xa0}

// checkHeaders enforces the parts of RFC 9052 a general decoder leaves to
// the application: EdDSA only, an 8-byte kid in the protected header, an
// empty unprotected header, and no critical label the verifier does not
// understand.
func checkHeaders(h *cose.Headers, understood map[int64]bool) (KeyID, error) {
	var id KeyID
	if alg, err := h.Protected.Algorithm(); err != nil || alg != cose.AlgorithmEd25519 {
		return id, fmt.Errorf("algorithm %v is not EdDSA: %v", alg, err)
	}
	kid, ok := h.Protected[cose.HeaderLabelKeyID].([]byte)
	if !ok || len(kid) != len(KeyID{}) {
		return id, errors.New("protected header has no 8-byte kid")
	}
	if !bytes.Equal(h.RawUnprotected, emptyMap) {
		return id, errors.New("unprotected header is not empty")
	}
	if crit, ok := h.Protected[cose.HeaderLabelCritical]; ok {
		labels, ok := crit.([]any)
		if !ok || len(labels) == 0 {
			return id, errors.New("crit is not a list of labels")
		}
		for _, l := range labels {
			n, ok := l.(int64)
			if !ok || !understood[n] {
				return id, fmt.Errorf("crit names label %v, which this verifier does not understand", l)
			}
		}
	}
	copy(id[:], kid)
	return id, nil
}

func (v *Verifier) verify(s string, t time.Time, skew time.Duration) Result {
	if !strings.HasPrefix(s, Prefix) {
		return fail(BadPrefix, errors.New("no "+Prefix+" prefix"))
	}
	if len(s) > MaxPayloadLen {
		return fail(TooLong, fmt.Errorf("%d characters, more than a code's %d", len(s), MaxPayloadLen))
	}
	raw, err := Base45Decode(s[len(Prefix):])
	if err != nil {
		return fail(BadEncoding, err)
	}
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(raw); err != nil {
		return fail(BadEncoding, fmt.Errorf("COSE_Sign1: %w", err))
	}
	id, err := checkHeaders(&msg.Headers, understoodCrit)
	if err != nil {
		return fail(BadEncoding, err)
	}
	keys := v.Trust[id]
	if len(keys) == 0 {
		return Result{Reason: UnknownKey, KeyID: id, Err: fmt.Errorf("key %s is not in the trust list", id)}
	}
	// Every key under the kid is tried: a kid is a short hash, and two
	// keys may share one.
	var key *TrustedKey
	for _, k := range keys {
		ver, err := k.coseVerifier()
		if err == nil && msg.Verify(nil, ver) == nil {
			key = k
			break
		}
	}
	if key == nil {
		return Result{Reason: BadSignature, KeyID: id, Err: fmt.Errorf("no key %s verifies the signature", id)}
	}
	c, err := unmarshalClaims(msg.Payload)
	if err != nil {
		return Result{Reason: BadEncoding, KeyID: id, Err: err}
	}
	r := Result{Claims: c, KeyID: id}
	maxValidity := v.MaxValidity
	if maxValidity <= 0 {
		maxValidity = DefaultMaxValidity
	}
	if life := c.ExpiresAt.Sub(c.IssuedAt); life <= 0 || life > maxValidity {
		r.Reason, r.Err = BadValidity, fmt.Errorf("valid for %s, allowed at most %s", life, maxValidity)
		return r
	}
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

// listsState returns the time to check codes at and the lists' state at
// that time. A list issued later than the clock (by more than skew) proves
// the clock is behind: the list's time is used, so a slow clock cannot
// make an expired code pass, and every result says the clock looks wrong.
func (v *Verifier) listsState(t time.Time, skew time.Duration) (time.Time, ListsState) {
	var st ListsState
	if len(v.Lists) == 0 {
		return t, st
	}
	st.Held = true
	var newest time.Time
	for _, l := range v.Lists {
		if l.IssuedAt.After(newest) {
			newest = l.IssuedAt
		}
	}
	if newest.After(t.Add(skew)) {
		st.ClockBehind = newest.Sub(t)
		t = newest
	}
	for _, l := range v.Lists {
		age := t.Sub(l.IssuedAt)
		if age > st.Age {
			st.Age = age
		}
		if t.After(l.NextUpdate) {
			st.Stale = true
		}
		if t.After(l.Expires) || (v.MaxListAge > 0 && age > v.MaxListAge) {
			st.Expired = true
		}
	}
	return t, st
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
	if id, err = checkHeaders(&m.Headers, understoodCrit); err != nil {
		return id, nil, nil, err
	}
	tbs, err := SigStructure(&m)
	return id, tbs, m.Signature, err
}

// Warnings are what every result checked against these lists must carry,
// in words for people: a clock that looks wrong, lists past their next
// update or their hard limit.
func (s ListsState) Warnings() []lifeline.Text {
	var out []lifeline.Text
	if s.ClockBehind > 0 {
		out = append(out, lifeline.T(
			"本机时钟可能不准：比列表的签发时间慢了 "+approx(s.ClockBehind, lifeline.Zh)+"，已按列表时间核验",
			"this device's clock looks wrong: it is "+approx(s.ClockBehind, lifeline.En)+" behind the lists; codes were checked at the lists' time"))
	}
	switch {
	case s.Expired:
		out = append(out, lifeline.T("列表已 "+approx(s.Age, lifeline.Zh)+"未更新，已过期：请立即更新", "lists "+approx(s.Age, lifeline.En)+" old and expired: update them now"))
	case s.Stale:
		out = append(out, lifeline.T("列表已 "+approx(s.Age, lifeline.Zh)+"未更新，请尽快更新", "lists "+approx(s.Age, lifeline.En)+" old: update them"))
	}
	return out
}

// approx says a duration the way people do: days, else hours, else
// minutes, rounded down.
func approx(d time.Duration, l lifeline.Lang) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf(l.Pick("%d 天", "%d days"), d/(24*time.Hour))
	case d >= 24*time.Hour:
		return l.Pick("1 天", "1 day")
	case d >= 2*time.Hour:
		return fmt.Sprintf(l.Pick("%d 小时", "%d hours"), d/time.Hour)
	case d >= time.Hour:
		return l.Pick("1 小时", "1 hour")
	}
	return fmt.Sprintf(l.Pick("%d 分钟", "%d minutes"), d/time.Minute)
}
