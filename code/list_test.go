package code

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/internal/qrread"
	qrcode "github.com/skip2/go-qrcode"
	"github.com/veraison/go-cose"
)

func testRoot(t testing.TB) *RootKey {
	t.Helper()
	k, err := GenerateRootKey(filepath.Join(t.TempDir(), "root", "root.key"), t0)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRootKeyOnDisk(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "root", "root.key")
	k, err := GenerateRootKey(path, t0)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v (%v)", p, st.Mode().Perm(), want, err)
		}
	}
	got, err := LoadRootKey(path)
	if err != nil || got.ID != k.ID || !got.Private.Equal(k.Private) || !got.Created.Equal(t0) {
		t.Fatalf("LoadRootKey = %+v, %v", got, err)
	}
	// Never overwritten: a second root is a rotation, done on purpose.
	if _, err := GenerateRootKey(path, t0); lifeline.ErrorCode(err) != lifeline.ECONFLICT {
		t.Fatalf("second root over the first: %v", err)
	}
	if again, _ := LoadRootKey(path); again.ID != k.ID {
		t.Fatal("the root key changed")
	}
	os.Chmod(path, 0o640)
	if _, err := LoadRootKey(path); lifeline.ErrorCode(err) != lifeline.EFORBIDDEN {
		t.Fatalf("group-readable root key: %v", err)
	}
	os.Chmod(path, 0o600)
	if _, err := LoadRootKey(filepath.Join(dir, "none.key")); lifeline.ErrorCode(err) != lifeline.ENOTFOUND {
		t.Fatalf("missing root key: %v", err)
	}

	// A root key dropped into the signing key directory is refused there,
	// so it can never end up in a trust list or sign a code; and a signing
	// key is not a root.
	keys := filepath.Join(dir, "keys")
	sk, err := GenerateKey(keys, t0, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	os.WriteFile(filepath.Join(keys, k.ID.String()+".key"), b, 0o600)
	if _, err := LoadSigningKeys(keys); lifeline.ErrorCode(err) != lifeline.EFORBIDDEN {
		t.Fatalf("root key among signing keys: %v", err)
	}
	if _, err := LoadRootKey(sk.Path); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Fatalf("signing key as root: %v", err)
	}
}

func TestDefaultRootKeyPath(t *testing.T) {
	t.Setenv("LIFELINE_ROOT_KEY", "")
	for db, want := range map[string]string{
		"/var/lib/lifeline/x.db": "/var/lib/lifeline/root/root.key",
		"lifeline.db":            "root/root.key",
		"postgres://u@h/db":      "root/root.key",
	} {
		if got := DefaultRootKeyPath(db); got != want {
			t.Errorf("DefaultRootKeyPath(%q) = %q, want %q", db, got, want)
		}
	}
	t.Setenv("LIFELINE_ROOT_KEY", "/media/usb/root.key")
	if got := DefaultRootKeyPath("x.db"); got != "/media/usb/root.key" {
		t.Errorf("with env: %q", got)
	}
}

// The pin's text is what its QR code holds: a real decoder reads it back
// and it parses to the same key; the fingerprint is six groups of four.
func TestRootPin(t *testing.T) {
	k := testRoot(t)
	pin := k.Pin()
	s := pin.String()
	if len(s) != 57 || !strings.HasPrefix(s, PinPrefix) {
		t.Fatalf("pin %q", s)
	}
	fp := pin.Fingerprint()
	if len(fp) != 29 || strings.Count(fp, "-") != 5 {
		t.Errorf("fingerprint %q", fp)
	}
	for _, in := range []string{s, strings.ToLower(s), " " + s + "\r\n", strings.Replace(s, ":", "%3A", 1)} {
		got, err := ParseRootPin(in)
		if err != nil || !got.Public.Equal(pin.Public) || got.ID != k.ID {
			t.Errorf("ParseRootPin(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "LLR1:", s[:56], s + "AA", "LLR2:" + s[5:], "LL1:" + s[5:]} {
		if _, err := ParseRootPin(in); lifeline.ErrorCode(err) != lifeline.EINVALID {
			t.Errorf("ParseRootPin(%q) = %v", in, err)
		}
	}
	q, err := qrcode.New(s, qrcode.High)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := q.PNG(300)
	decoded, err := png.Decode(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	text, _, err := qrread.Decode(decoded)
	if err != nil || text != s {
		t.Fatalf("QR reads %q, %v", text, err)
	}

	// root.pub: comments, several roots, a pin given as text.
	other := testRoot(t)
	var buf bytes.Buffer
	if err := WriteRoots(&buf, Roots{pin, other.Pin()}, t0); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), fp) {
		t.Errorf("root file lacks the fingerprint:\n%s", buf.String())
	}
	rs, err := ReadRoots(&buf)
	if err != nil || len(rs) != 2 || !rs[1].Public.Equal(other.Pin().Public) {
		t.Fatalf("ReadRoots = %v, %v", rs, err)
	}
	path := filepath.Join(t.TempDir(), "root.pub")
	os.WriteFile(path, []byte("# nothing\n\n"), 0o644)
	if _, err := LoadRoots(path); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Errorf("a root file without a root: %v", err)
	}
	if rs, err := LoadRoots(strings.ToLower(s)); err != nil || len(rs) != 1 {
		t.Errorf("LoadRoots(pin) = %v, %v", rs, err)
	}
}

// A trust list with an extra key, signed by a stranger's root, is refused;
// the genuine one yields exactly the signing keys, and its JWK Set is
// byte for byte the unsigned export.
func TestSignedTrustList(t *testing.T) {
	root, stranger := testRoot(t), testRoot(t)
	a := newKey(t, t0.Add(-time.Hour), t0.Add(90*24*time.Hour))
	b := newKey(t, t0, t0.Add(90*24*time.Hour))
	mine := newKey(t, t0.Add(-time.Hour), t0.Add(90*24*time.Hour))
	info := ListTimes(TrustListKind, 4, t0, 0, 0)
	raw, err := SignTrustList(root, TrustListOf([]*SigningKey{a, b}), info)
	if err != nil {
		t.Fatal(err)
	}
	l, err := OpenList(raw, Roots{root.Pin()})
	if err != nil {
		t.Fatal(err)
	}
	if l.Kind != TrustListKind || l.Version != 4 || l.Root != root.ID || l.Trust.Len() != 2 || len(l.Trust[a.ID]) != 1 || len(l.Trust[b.ID]) != 1 {
		t.Fatalf("opened %+v", l.ListInfo)
	}
	if !l.Expires.Equal(t0.Add(DefaultTrustLimit)) {
		t.Errorf("trust list expires %v", l.Expires)
	}
	var unsigned bytes.Buffer
	TrustListOf([]*SigningKey{a, b}).WriteJWKS(&unsigned)
	if !bytes.Contains(raw, unsigned.Bytes()) {
		t.Error("the signed list does not carry the unsigned JWK Set as is")
	}

	forged, err := SignTrustList(stranger, TrustListOf([]*SigningKey{a, b, mine}), info)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenList(forged, Roots{root.Pin()}); !errors.Is(err, ErrListSigner) {
		t.Fatalf("stranger's trust list: %v", err)
	}
	// The extra key's codes are then never trusted.
	p, _ := issue(t, mine, testHolder(lifeline.DocMainlandID))
	if r := (&Verifier{Trust: l.Trust, Now: clock(t0.Add(time.Hour))}).Verify(p); r.Reason != UnknownKey {
		t.Errorf("code of the stranger's key: %q", r.Reason)
	}

	// The root is never a signing key in its own list.
	rootAsSigner := &SigningKey{ID: root.ID, Private: root.Private, NotBefore: t0, NotAfter: t0.Add(time.Hour)}
	if _, err := SignTrustList(root, TrustListOf([]*SigningKey{a, rootAsSigner}), info); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Fatalf("root in its own trust list: %v", err)
	}
	var js bytes.Buffer
	TrustListOf([]*SigningKey{a, rootAsSigner}).WriteJWKS(&js)
	sneaked, _ := signList(root, TrustListKind, wireTrustList{wireListHead: headOf(info), Keys: js.Bytes()})
	if _, err := OpenList(sneaked, Roots{root.Pin()}); !errors.Is(err, ErrListMalformed) {
		t.Fatalf("a trust list holding the root: %v", err)
	}
}

// signRawList signs a payload with the headers given, as a careless or
// hostile signer would.
func signRawList(t *testing.T, root *RootKey, protected cose.ProtectedHeader, unprotected cose.UnprotectedHeader, payload any) []byte {
	t.Helper()
	body, err := encMode.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := cose.NewSigner(cose.AlgorithmEd25519, root.Private)
	msg := cose.Sign1Message{Headers: cose.Headers{Protected: protected, Unprotected: unprotected}, Payload: body}
	if err := msg.Sign(rand.Reader, nil, signer); err != nil {
		t.Fatal(err)
	}
	b, err := msg.MarshalCBOR()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The envelope's rules, each broken by a list the root really signed.
func TestListEnvelopeRules(t *testing.T) {
	root := testRoot(t)
	roots := Roots{root.Pin()}
	var b RevocationBuilder
	b.AddSerial([]byte("x"))
	l := b.Build()
	info := ListTimes(RevocationListKind, 2, t0, 0, 0)
	payload := l.wire(info)
	hdr := func(typ any) cose.ProtectedHeader {
		return cose.ProtectedHeader{cose.HeaderLabelAlgorithm: cose.AlgorithmEd25519, cose.HeaderLabelKeyID: root.ID[:], cose.HeaderLabelType: typ}
	}
	crit := func(labels ...any) cose.ProtectedHeader {
		h := hdr(string(RevocationListKind))
		h[cose.HeaderLabelCritical] = labels
		for _, l := range labels {
			if _, ok := h[l]; !ok {
				h[l] = "x"
			}
		}
		return h
	}
	trustPayload := wireTrustList{wireListHead: headOf(ListTimes(TrustListKind, 2, t0, 0, 0)), Keys: []byte(`{"keys":[]}`)}
	badTimes := payload
	badTimes.Expires = badTimes.IssuedAt - 1
	zeroVersion := payload
	zeroVersion.Version = 0
	unsorted := payload
	unsorted.Hashes = append(hashesToWire([]uint64{5}), hashesToWire([]uint64{3})...)
	ragged := payload
	ragged.Hashes = ragged.Hashes[:7]
	delta := wireRevocations{wireListHead: headOf(info), Since: 1, Hashes: hashesToWire([]uint64{4}), Removed: hashesToWire([]uint64{4})}
	fullWithRemovals := payload
	fullWithRemovals.Removed = hashesToWire([]uint64{4})
	for _, tt := range []struct {
		name string
		raw  []byte
		ok   bool
	}{
		{"as signed", signRawList(t, root, hdr(string(RevocationListKind)), nil, payload), true},
		{"crit names typ", signRawList(t, root, crit(cose.HeaderLabelType), nil, payload), true},
		{"crit names an unknown label", signRawList(t, root, crit(int64(-70000)), nil, payload), false},
		{"unprotected header", signRawList(t, root, hdr(string(RevocationListKind)), cose.UnprotectedHeader{int64(99): "x"}, payload), false},
		{"no typ", signRawList(t, root, cose.ProtectedHeader{cose.HeaderLabelAlgorithm: cose.AlgorithmEd25519, cose.HeaderLabelKeyID: root.ID[:]}, nil, payload), false},
		{"unknown typ", signRawList(t, root, hdr("application/json"), nil, payload), false},
		{"typ as a number", signRawList(t, root, hdr(uint64(60)), nil, payload), false},
		{"trust list labelled a revocation list", signRawList(t, root, hdr(string(RevocationListKind)), nil, trustPayload), false},
		{"revocation list labelled a trust list", signRawList(t, root, hdr(string(TrustListKind)), nil, payload), false},
		{"expires before issue", signRawList(t, root, hdr(string(RevocationListKind)), nil, badTimes), false},
		{"version 0", signRawList(t, root, hdr(string(RevocationListKind)), nil, zeroVersion), false},
		{"hashes out of order", signRawList(t, root, hdr(string(RevocationListKind)), nil, unsorted), false},
		{"a hash cut short", signRawList(t, root, hdr(string(RevocationListKind)), nil, ragged), false},
		{"full list with removals", signRawList(t, root, hdr(string(RevocationListKind)), nil, fullWithRemovals), false},
		{"delta adds and removes a hash", signRawList(t, root, hdr(string(RevocationDeltaKind)), nil, delta), false},
		{"not COSE", []byte("LLRL\x01\x08\x00\x00"), false},
		{"empty", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenList(tt.raw, roots)
			if tt.ok != (err == nil) {
				t.Fatalf("OpenList: %v", err)
			}
			if err != nil && !errors.Is(err, ErrListMalformed) {
				t.Errorf("error %v is not ErrListMalformed", err)
			}
		})
	}
}

// Two roots under one kid: a list signed by either opens.
func TestRootsSharingAKid(t *testing.T) {
	a, b := testRoot(t), testRoot(t)
	b.ID = a.ID
	roots := Roots{{ID: a.ID, Public: a.Pin().Public}, {ID: a.ID, Public: b.Private.Public().(ed25519.PublicKey)}}
	for name, k := range map[string]*RootKey{"first": a, "second": b} {
		raw, err := SignTrustList(k, TrustList{}, ListTimes(TrustListKind, 1, t0, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := OpenList(raw, roots); err != nil {
			t.Errorf("%s root: %v", name, err)
		}
	}
}

// TestListKnownAnswer checks the worked example of docs/offline-code.md,
// "Signed lists": RFC 8032 test key 2 as the root, signing a revocation
// list of one serial and one key cut-off. Ed25519 and the deterministic
// encoding make every byte exact.
func TestListKnownAnswer(t *testing.T) {
	seed, _ := hex.DecodeString("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
	root := &RootKey{Private: ed25519.NewKeyFromSeed(seed)}
	root.ID = KeyIDOf(root.Pin().Public)
	if root.ID.String() != "39f713d0a644253f" || root.Pin().String() != "LLR1:HVABPQ7IIOEVVEVXBKTU2G36XSOJQLGPF3CJNDGAZVK7CKXUMYGA" || root.Pin().Fingerprint() != "HH3R-HUFG-IQST-6BCS-SQQ3-T5I3" {
		t.Fatalf("root %s, pin %s, fingerprint %s", root.ID, root.Pin(), root.Pin().Fingerprint())
	}
	serial, _ := hex.DecodeString("000102030405060708090a0b0c0d0e0f")
	kid, _ := ParseKeyID("21fe31dfa154a261")
	var b RevocationBuilder
	b.AddSerial(serial)
	b.AddCutoff(kid, time.Date(2022, 4, 1, 0, 0, 0, 0, time.UTC))
	raw, err := SignRevocationList(root, b.Build(), ListTimes(RevocationListKind, 7, time.Date(2022, 4, 10, 0, 0, 0, 0, time.UTC), 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	const want = "d284583da30127044839f713d0a644253f10782d6170706c69636174696f6e2f766e642e6c6966656c696e652e7265766f636174696f6e2d6c6973742b63626f72" +
		"a0" +
		"5834a60107021a62521e00031a62536f80041a625b58800781824821fe31dfa154a2611b0000017fe26bf4000848be45cb2605bf36be" +
		"58408ce1d4dbc832a258dccac03bab5fa62dc0cacc59fe1381d29c001b44afd2a26b7679dcde74b2fa4f974c22ed2aba5b721b73ae8508961e9ae9e9b4f8e30eed05"
	if got := hex.EncodeToString(raw); got != want {
		t.Fatalf("signed list\n got %s\nwant %s", got, want)
	}
	// Another implementation's signature over the same bytes: go-cose's
	// own verifier accepts the envelope.
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(raw); err != nil {
		t.Fatal(err)
	}
	ver, _ := cose.NewVerifier(cose.AlgorithmEd25519, root.Pin().Public)
	if err := msg.Verify(nil, ver); err != nil {
		t.Fatal(err)
	}
}
