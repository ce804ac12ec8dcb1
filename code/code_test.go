package code

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/internal/qrread"
	qrcode "github.com/skip2/go-qrcode"
)

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2022, 4, 9, 8, 30, 0, 0, time.UTC)

func clock(t time.Time) func() time.Time { return func() time.Time { return t } }

func newKey(t testing.TB, nb, na time.Time) *SigningKey {
	t.Helper()
	k, err := GenerateKey(t.TempDir(), nb, na)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testHolder(dt lifeline.DocType) Holder {
	return Holder{
		MaskedName: lifeline.MaskName("张三丰"),
		DocTail:    "123X",
		DocType:    dt,
		Color:      lifeline.Green,
		Result:     lifeline.Negative,
		TestedAt:   t0.Add(-20 * time.Hour),
	}
}

// issue signs a code at t0 with the usual key.
func issue(t testing.TB, k *SigningKey, h Holder) (string, Claims) {
	t.Helper()
	is := &Issuer{Key: k, Now: clock(t0)}
	p, c, err := is.Issue(h, "雁塔区小寨路街道幸福里社区")
	if err != nil {
		t.Fatal(err)
	}
	return p, c
}

func verifierFor(keys ...*SigningKey) *Verifier {
	return &Verifier{Trust: TrustListOf(keys), Now: clock(t0.Add(time.Hour)), Skew: -1}
}

func sameClaims(t *testing.T, got, want Claims) {
	t.Helper()
	if got.Issuer != want.Issuer || !got.IssuedAt.Equal(want.IssuedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) || !bytes.Equal(got.Serial, want.Serial) {
		t.Errorf("claims = %+v, want %+v", got, want)
	}
	g, w := got.Holder, want.Holder
	if g.MaskedName != w.MaskedName || g.DocTail != w.DocTail || g.DocType != w.DocType || g.Color != w.Color || g.Result != w.Result || !g.TestedAt.Equal(w.TestedAt) {
		t.Errorf("holder = %+v, want %+v", g, w)
	}
}

func TestRoundTripEveryDocType(t *testing.T) {
	k := newKey(t, t0.Add(-24*time.Hour), t0.Add(365*24*time.Hour))
	v := verifierFor(k)
	for _, dt := range lifeline.DocTypes {
		for _, col := range []lifeline.Color{"", lifeline.Green, lifeline.Yellow, lifeline.Red} {
			h := testHolder(dt)
			h.Color = col
			if col == "" {
				h.Result, h.TestedAt = "", time.Time{}
			}
			if col == lifeline.Red {
				h.Result = lifeline.Positive
			}
			p, c := issue(t, k, h)
			if !strings.HasPrefix(p, Prefix) {
				t.Fatalf("payload %q lacks prefix", p)
			}
			r := v.Verify(p)
			if !r.Valid {
				t.Fatalf("%s/%s: invalid: %s (%v)", dt, col, r.Reason, r.Err)
			}
			sameClaims(t, r.Claims, c)
			if r.Claims.Holder.DocType != dt || r.Claims.Holder.Color != col {
				t.Errorf("holder = %+v", r.Claims.Holder)
			}
			if !r.Claims.ExpiresAt.Equal(t0.Add(DefaultValidity)) || r.KeyID != k.ID || r.SkewApplied {
				t.Errorf("exp %v kid %v skew %v", r.Claims.ExpiresAt, r.KeyID, r.SkewApplied)
			}
		}
	}
}

func TestHolderOf(t *testing.T) {
	r := &lifeline.Resident{
		Name: "欧阳娜娜",
		Doc:  lifeline.Document{Type: lifeline.DocMainlandID, Number: "11010519491231002X"},
		Status: lifeline.Status{Color: lifeline.Yellow, Latest: &lifeline.TestResult{
			Result: lifeline.Pending, SampledAt: t0.Add(1500 * time.Millisecond)}},
	}
	h := HolderOf(r)
	want := Holder{MaskedName: "欧**娜", DocTail: "002X", DocType: lifeline.DocMainlandID, Color: lifeline.Yellow, Result: lifeline.Pending, TestedAt: t0.Add(time.Second)}
	if h != want {
		t.Errorf("HolderOf = %+v, want %+v", h, want)
	}
	if h := HolderOf(&lifeline.Resident{Name: "李四", Doc: lifeline.Document{Type: lifeline.DocNone}}); h.Result != "" || !h.TestedAt.IsZero() || h.MaskedName != "李*" {
		t.Errorf("no test: %+v", h)
	}
}

// Every change of one character of a code, to any other Base45
// character, must be rejected.
func TestEveryCharacterChangeRejected(t *testing.T) {
	k := newKey(t, t0.Add(-time.Hour), t0.Add(time.Hour*24*365))
	v := verifierFor(k)
	p, _ := issue(t, k, testHolder(lifeline.DocPassport))
	if r := v.Verify(p); !r.Valid {
		t.Fatalf("original invalid: %s", r.Reason)
	}
	reasons := map[Reason]int{}
	for i := 0; i < len(p); i++ {
		for j := 0; j < len(base45Alphabet); j++ {
			c := base45Alphabet[j]
			if c == p[i] {
				continue
			}
			q := p[:i] + string(c) + p[i+1:]
			r := v.Verify(q)
			if r.Valid {
				t.Fatalf("changing position %d to %q still verifies", i, c)
			}
			reasons[r.Reason]++
		}
	}
	t.Logf("payload %d chars, rejections by reason: %v", len(p), reasons)
	if reasons[BadSignature] == 0 || reasons[BadEncoding] == 0 || reasons[BadPrefix] == 0 {
		t.Errorf("expected prefix, encoding and signature failures, got %v", reasons)
	}
}

func TestRejections(t *testing.T) {
	k := newKey(t, t0.Add(-time.Hour), t0.Add(24*time.Hour*365))
	other := newKey(t, t0.Add(-time.Hour), t0.Add(24*time.Hour*365))
	p, c := issue(t, k, testHolder(lifeline.DocMainlandID))

	// A key id that exists but a different public key: forged with the
	// right kid.
	forged := newKey(t, t0.Add(-time.Hour), t0.Add(24*time.Hour*365))
	forged.ID = k.ID
	fp, _ := issue(t, forged, testHolder(lifeline.DocMainlandID))

	// Issued when its key was not valid: sign directly, bypassing Issue.
	early := c
	early.IssuedAt = t0.Add(-2 * time.Hour)
	early.ExpiresAt = early.IssuedAt.Add(DefaultValidity)
	ep, err := Sign(k, &early)
	if err != nil {
		t.Fatal(err)
	}

	var rb RevocationBuilder
	rb.AddSerial([]byte("some other serial"))
	rb.AddSerial(c.Serial)
	bySerial := rb.Build()

	rb = RevocationBuilder{}
	rb.AddCutoff(k.ID, t0.Add(time.Second))
	byKey := rb.Build()
	rb = RevocationBuilder{}
	rb.AddCutoff(k.ID, t0) // iat == cut-off: not before it
	atCutoff := rb.Build()

	tests := []struct {
		name    string
		payload string
		trust   []*SigningKey
		revoked *RevocationList
		now     time.Time
		skew    time.Duration
		want    Reason
		skewed  bool
	}{
		{"valid", p, []*SigningKey{k}, nil, t0.Add(time.Hour), -1, "", false},
		{"wrong key", p, []*SigningKey{other}, nil, t0.Add(time.Hour), -1, UnknownKey, false},
		{"forged with known kid", fp, []*SigningKey{k}, nil, t0.Add(time.Hour), -1, BadSignature, false},
		{"expired", p, []*SigningKey{k}, nil, c.ExpiresAt.Add(time.Second), -1, Expired, false},
		{"at exp still valid", p, []*SigningKey{k}, nil, c.ExpiresAt, -1, "", false},
		{"not yet valid", p, []*SigningKey{k}, nil, t0.Add(-time.Second), -1, NotYetValid, false},
		{"expired within skew", p, []*SigningKey{k}, nil, c.ExpiresAt.Add(5 * time.Minute), 10 * time.Minute, "", true},
		{"expired beyond skew", p, []*SigningKey{k}, nil, c.ExpiresAt.Add(11 * time.Minute), 10 * time.Minute, Expired, false},
		{"early within default skew", p, []*SigningKey{k}, nil, t0.Add(-9 * time.Minute), 0, "", true},
		{"early beyond default skew", p, []*SigningKey{k}, nil, t0.Add(-11 * time.Minute), 0, NotYetValid, false},
		{"revoked by serial", p, []*SigningKey{k}, bySerial, t0.Add(time.Hour), -1, Revoked, false},
		{"revoked by key cut-off", p, []*SigningKey{k}, byKey, t0.Add(time.Hour), -1, Revoked, false},
		{"issued at cut-off", p, []*SigningKey{k}, atCutoff, t0.Add(time.Hour), -1, "", false},
		{"key outside validity", ep, []*SigningKey{k}, nil, t0.Add(time.Hour), -1, KeyOutsideValidity, false},
		{"bad prefix", "HC1:" + p[len(Prefix):], []*SigningKey{k}, nil, t0, -1, BadPrefix, false},
		{"bad encoding", Prefix + "GGW", []*SigningKey{k}, nil, t0, -1, BadEncoding, false},
		{"truncated", p[:len(p)-3], []*SigningKey{k}, nil, t0, -1, BadEncoding, false},
		{"empty", "", []*SigningKey{k}, nil, t0, -1, BadPrefix, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &Verifier{Trust: TrustListOf(tt.trust), Revoked: tt.revoked, Now: clock(tt.now), Skew: tt.skew}
			r := v.Verify(tt.payload)
			if r.Reason != tt.want || r.Valid != (tt.want == "") || r.SkewApplied != tt.skewed {
				t.Fatalf("Verify = valid %v reason %q skew %v (%v), want reason %q skew %v", r.Valid, r.Reason, r.SkewApplied, r.Err, tt.want, tt.skewed)
			}
			signed := tt.want == "" || tt.want == Expired || tt.want == NotYetValid || tt.want == Revoked || tt.want == KeyOutsideValidity
			if signed != (len(r.Claims.Serial) > 0) {
				t.Errorf("claims present = %v, want %v", len(r.Claims.Serial) > 0, signed)
			}
			if r.Reason.Label(lifeline.Zh) == "" || r.Reason.Label(lifeline.En) == r.Reason.Label(lifeline.Zh) {
				t.Errorf("labels %q / %q", r.Reason.Label(lifeline.Zh), r.Reason.Label(lifeline.En))
			}
		})
	}
}

func TestVerifyForgivesScannerText(t *testing.T) {
	k := newKey(t, t0.Add(-time.Hour), t0.Add(24*time.Hour*365))
	v := verifierFor(k)
	// Find a payload with a space and a '%' so escaping matters.
	var p string
	for i := 0; i < 200 && !(strings.Contains(p, " ") && strings.Contains(p, "%")); i++ {
		p, _ = issue(t, k, testHolder(lifeline.DocHKMO))
	}
	escaped := strings.NewReplacer("%", "%25", " ", "%20", ":", "%3A").Replace(p)
	for name, in := range map[string]string{
		"as is":      p,
		"CRLF":       p + "\r\n",
		"spaces":     "  " + p + " \n",
		"lower case": strings.ToLower(p),
		"escaped":    escaped,
		"escaped lc": strings.ToLower(escaped) + "\r",
	} {
		if r := v.Verify(in); !r.Valid {
			t.Errorf("%s: %s (%v)", name, r.Reason, r.Err)
		}
	}
}

func TestIssueRefusesKeyOutsideWindow(t *testing.T) {
	k := newKey(t, t0.Add(time.Hour), t0.Add(72*time.Hour))
	if _, _, err := (&Issuer{Key: k, Now: clock(t0)}).Issue(testHolder(lifeline.DocTaiwan), "x"); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Fatalf("Issue with a future key: %v", err)
	}
	is := &Issuer{Key: k, Now: clock(t0.Add(90 * time.Minute)), Validity: 48 * time.Hour}
	_, c, err := is.Issue(testHolder(lifeline.DocTaiwan), "x")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ExpiresAt.Sub(c.IssuedAt); got != 48*time.Hour {
		t.Errorf("validity %v", got)
	}
}

// Issue refuses a validity over the maximum, and a code that would outlive
// its key; up to both limits exactly, it issues.
func TestIssueValidityLimits(t *testing.T) {
	k := newKey(t, t0.Add(-time.Hour), t0.Add(365*24*time.Hour))
	ends := newKey(t, t0.Add(-time.Hour), t0.Add(10*24*time.Hour))
	for _, tt := range []struct {
		name     string
		key      *SigningKey
		validity time.Duration
		max      time.Duration
		ok       bool
	}{
		{"default", k, 0, 0, true},
		{"30 days", k, 30 * 24 * time.Hour, 0, true},
		{"30 days and a second", k, 30*24*time.Hour + time.Second, 0, false},
		{"a year", k, 365 * 24 * time.Hour, 0, false},
		{"within a configured maximum", k, 7 * 24 * time.Hour, 7 * 24 * time.Hour, true},
		{"over a configured maximum", k, 8 * 24 * time.Hour, 7 * 24 * time.Hour, false},
		{"up to the key's end", ends, 10 * 24 * time.Hour, 0, true},
		{"past the key's end", ends, 10*24*time.Hour + time.Second, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := &Issuer{Key: tt.key, Now: clock(t0), Validity: tt.validity, MaxValidity: tt.max}
			_, c, err := is.Issue(testHolder(lifeline.DocMainlandID), "x")
			if tt.ok != (err == nil) {
				t.Fatalf("Issue: %v", err)
			}
			if err != nil {
				if lifeline.ErrorCode(err) != lifeline.EINVALID {
					t.Errorf("error code %q", lifeline.ErrorCode(err))
				}
				return
			}
			if c.ExpiresAt.After(tt.key.NotAfter) {
				t.Errorf("code expires %v, after its key %v", c.ExpiresAt, tt.key.NotAfter)
			}
		})
	}
}

func TestKeysOnDisk(t *testing.T) {
	dir := t.TempDir()
	old, err := GenerateKey(dir, t0.Add(-48*time.Hour), t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	nw, err := GenerateKey(dir, t0.Add(-time.Hour), t0.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(nw.Path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", st.Mode(), err)
	}
	keys, err := LoadSigningKeys(dir)
	if err != nil || len(keys) != 2 {
		t.Fatalf("LoadSigningKeys = %d keys, %v", len(keys), err)
	}
	if keys[0].ID != old.ID || !keys[1].Private.Equal(nw.Private) || !keys[1].NotAfter.Equal(nw.NotAfter) {
		t.Errorf("loaded keys differ")
	}
	for _, tt := range []struct {
		at   time.Time
		want *SigningKey
	}{{t0.Add(-30 * time.Hour), old}, {t0, nw}, {t0.Add(30 * time.Hour), nw}} {
		got, err := ActiveKey(keys, tt.at)
		if err != nil || got.ID != tt.want.ID {
			t.Errorf("ActiveKey(%v) = %v, %v; want %s", tt.at, got, err, tt.want.KID())
		}
	}
	if _, err := ActiveKey(keys, t0.Add(72*time.Hour)); lifeline.ErrorCode(err) != lifeline.ENOTFOUND {
		t.Errorf("ActiveKey after every key: %v", err)
	}
	if len(old.KID()) != 16 {
		t.Errorf("KID %q", old.KID())
	}
	if id, err := ParseKeyID(old.ID.JWK()); err != nil || id != old.ID {
		t.Errorf("ParseKeyID(jwk) = %v, %v", id, err)
	}

	// Readable by the group: refused, with the file named and the fix.
	if err := os.Chmod(old.Path, 0o640); err != nil {
		t.Fatal(err)
	}
	_, err = LoadSigningKeys(dir)
	var le *lifeline.Error
	if !errors.As(err, &le) || le.Code != lifeline.EFORBIDDEN || !strings.Contains(le.Message.En, old.Path) || !strings.Contains(le.Message.En, "chmod 600") || !strings.Contains(le.Message.Zh, "chmod 600") {
		t.Fatalf("group-readable key: %v", err)
	}
	os.Chmod(old.Path, 0o604)
	if _, err := LoadSigningKeys(dir); lifeline.ErrorCode(err) != lifeline.EFORBIDDEN {
		t.Fatalf("world-readable key: %v", err)
	}
	os.Chmod(old.Path, 0o600)

	// A key file whose kid was edited is damaged.
	b, _ := os.ReadFile(old.Path)
	os.WriteFile(old.Path, bytes.Replace(b, []byte(old.KID()), []byte(nw.KID()), 1), 0o600)
	if _, err := LoadSigningKeys(dir); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Fatalf("edited kid: %v", err)
	}

	if keys, err := LoadSigningKeys(filepath.Join(dir, "missing")); err != nil || len(keys) != 0 {
		t.Errorf("missing dir: %v %v", keys, err)
	}
}

func TestDefaultKeyDir(t *testing.T) {
	t.Setenv("LIFELINE_KEYS", "")
	for db, want := range map[string]string{
		"/var/lib/lifeline/x.db":       "/var/lib/lifeline/keys",
		"lifeline.db":                  "keys",
		"postgres://u@h/db?sslmode=no": "keys",
	} {
		if got := DefaultKeyDir(db); got != want {
			t.Errorf("DefaultKeyDir(%q) = %q, want %q", db, got, want)
		}
	}
	t.Setenv("LIFELINE_KEYS", "/etc/ll")
	if got := DefaultKeyDir("x.db"); got != "/etc/ll" {
		t.Errorf("with env: %q", got)
	}
}

func TestTrustListJWKS(t *testing.T) {
	a := newKey(t, t0, t0.Add(60*24*time.Hour))
	b := newKey(t, t0.Add(time.Hour), t0.Add(90*24*time.Hour))
	var buf bytes.Buffer
	if err := TrustListOf([]*SigningKey{a, b}).WriteJWKS(&buf); err != nil {
		t.Fatal(err)
	}
	js := buf.String()
	for _, want := range []string{`"kty": "OKP"`, `"crv": "Ed25519"`, `"kid": "` + a.ID.JWK() + `"`, `"nbf": ` + strconv.FormatInt(b.NotBefore.Unix(), 10)} {
		if !strings.Contains(js, want) {
			t.Errorf("JWKS lacks %s:\n%s", want, js)
		}
	}
	if strings.Contains(js, "seed") || strings.Contains(js, `"d"`) {
		t.Fatalf("JWKS leaks the private key:\n%s", js)
	}
	tl, err := ReadJWKS(strings.NewReader(js))
	if err != nil || tl.Len() != 2 {
		t.Fatalf("ReadJWKS = %v, %v", tl, err)
	}
	if len(tl[b.ID]) != 1 {
		t.Fatalf("key b: %v", tl[b.ID])
	}
	got := tl[b.ID][0]
	if !got.Public.Equal(b.Public()) || !got.NotBefore.Equal(b.NotBefore) || !got.NotAfter.Equal(b.NotAfter) {
		t.Errorf("key b = %+v", got)
	}
	// A kid that does not match its key is refused.
	bad := strings.Replace(js, a.ID.JWK(), b.ID.JWK(), 1)
	if _, err := ReadJWKS(strings.NewReader(bad)); err == nil {
		t.Error("mismatched kid accepted")
	}
	// Codes verify against the loaded list.
	p, _ := issue(t, a, testHolder(lifeline.DocMainlandID))
	v := &Verifier{Trust: tl, Now: clock(t0.Add(time.Minute))}
	if r := v.Verify(p); !r.Valid {
		t.Errorf("verify with loaded JWKS: %s %v", r.Reason, r.Err)
	}
}

func TestSerialForms(t *testing.T) {
	s, err := NewSerial()
	if err != nil {
		t.Fatal(err)
	}
	grouped := lifeline.FormatSerial(s)
	short := strings.ReplaceAll(grouped, "-", "")
	if len(short) != 26 {
		t.Fatalf("serial %q", grouped)
	}
	wide := strings.Map(func(r rune) rune { return r - '!' + '！' }, grouped)
	for _, in := range []string{grouped, short, strings.ToLower(short), short[:13] + "-" + short[13:], " " + strings.ToUpper(bytesHex(s)) + " ", bytesHex(s), wide} {
		got, err := ParseSerial(in)
		if err != nil || !bytes.Equal(got, s) {
			t.Errorf("ParseSerial(%q) = %x, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "ABC", short[:25], bytesHex(s)[:31] + "G"} {
		if _, err := ParseSerial(in); lifeline.ErrorCode(err) != lifeline.EINVALID {
			t.Errorf("ParseSerial(%q) = %v", in, err)
		}
	}
}

func bytesHex(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// A code drawn as a QR image at level Q and read back by a real decoder
// still verifies; the version must stay at 12 or below.
func TestQRImageRoundTrip(t *testing.T) {
	// The largest code: long names cut to their limits, every field set,
	// and times late in the century (past 2038's signed 32-bit limit, so
	// every NumericDate takes CBOR's largest form short of 8 bytes, which
	// it needs only after 2106).
	late := time.Date(2099, 12, 1, 0, 0, 0, 0, time.UTC)
	k := newKey(t, late.Add(-time.Hour), late.Add(60*24*time.Hour))
	v := &Verifier{Trust: TrustListOf([]*SigningKey{k}), Now: clock(late.Add(time.Hour))}
	h := testHolder(lifeline.DocPassport)
	h.MaskedName = lifeline.MaskName("Alexandra Konstantinopoulou-Smithson")
	h.Color, h.Result, h.TestedAt = lifeline.Yellow, lifeline.Pending, late.Add(-20*time.Hour)
	is := &Issuer{Key: k, Now: clock(late)}
	p, c, err := is.Issue(h, "陕西省西安市雁塔区小寨路街道幸福里社区")
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != "陕西省西安市雁塔区小" || len(c.Holder.MaskedName) != MaxNameBytes {
		t.Errorf("issuer %q, name %q: not cut to their limits", c.Issuer, c.Holder.MaskedName)
	}
	q, err := qrcode.New(p, qrcode.High) // go-qrcode's High is level Q (25%)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("payload %d characters -> QR version %d at level Q", len(p), q.VersionNumber)
	if q.VersionNumber > 12 {
		t.Errorf("QR version %d > 12", q.VersionNumber)
	}
	pngBytes, err := q.PNG(600)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatal(err)
	}
	text, level, err := qrread.Decode(img)
	if err != nil {
		t.Fatalf("decode QR: %v", err)
	}
	if level != "" && level != "Q" {
		t.Errorf("QR error correction %q, want Q", level)
	}
	if text != p {
		t.Fatalf("QR text differs from payload")
	}
	if r := v.Verify(text); !r.Valid {
		t.Fatalf("decoded QR: %s %v", r.Reason, r.Err)
	}
}

// TestKnownAnswer checks the worked example of docs/offline-code.md: the
// RFC 8032 test key 1 signing fixed claims. Ed25519 and the deterministic
// encoding make the payload exact, so another implementation can test
// against it.
func TestKnownAnswer(t *testing.T) {
	seed, _ := hex.DecodeString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	k := &SigningKey{Private: ed25519.NewKeyFromSeed(seed)}
	k.ID = KeyIDOf(k.Public())
	if got := hex.EncodeToString(k.ID[:]); got != "21fe31dfa154a261" {
		t.Fatalf("kid = %s", got)
	}
	serial, _ := hex.DecodeString("000102030405060708090a0b0c0d0e0f")
	iat := time.Date(2022, 4, 9, 0, 0, 0, 0, time.UTC)
	c := Claims{Issuer: "幸福里社区", IssuedAt: iat, ExpiresAt: iat.Add(DefaultValidity), Serial: serial,
		Holder: Holder{MaskedName: "张*丰", DocTail: "123X", DocType: lifeline.DocMainlandID, Color: lifeline.Green, Result: lifeline.Negative, TestedAt: time.Date(2022, 4, 8, 8, 30, 0, 0, time.UTC)}}
	p, err := Sign(k, &c)
	if err != nil {
		t.Fatal(err)
	}
	const want = "LL1:RRQT 9P60GO0HD4WD6ZHKYNK8CKLEA780*1T+GNO2LNNTQ H9$K*0TANN4F3T9FE8G4F3T9AF8G55AX507H0QS00+0J61%H1CT1S-1100000H:K26D3%N0J5UFNRD0*964M64H0ZM0LS0WY0CJCXTU27B2LD $JMEPE URL3898L8L:8KBM5S39PN38M2YCU7834%C-GQ03Q5 T2TE%X8Q:TEM5%MAF8D0N9F%SF.H6SNI/UE91VF1V$I"
	if p != want {
		t.Fatalf("payload\n%s\nwant\n%s", p, want)
	}
	v := &Verifier{Trust: TrustListOf([]*SigningKey{k}), Now: clock(iat)}
	if r := v.Verify(want); !r.Valid {
		t.Fatalf("known answer does not verify: %s", r.Reason)
	}
}

// One Verifier serves every scanner of a checkpoint at once.
func TestVerifyConcurrent(t *testing.T) {
	k := newKey(t, t0.Add(-time.Hour), t0.Add(365*24*time.Hour))
	p, _ := issue(t, k, testHolder(lifeline.DocMainlandID))
	var rb RevocationBuilder
	rb.AddSerial([]byte("x"))
	v := &Verifier{Trust: TrustListOf([]*SigningKey{k}), Revoked: rb.Build(), Now: clock(t0)}
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; i < 20; i++ {
				if r := v.Verify(p); !r.Valid {
					errs <- r.Err
					return
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
