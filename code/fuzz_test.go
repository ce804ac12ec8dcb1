package code

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// FuzzVerify feeds the decoder whatever a scanner might type. It must never
// panic, and nothing but the genuine code may verify.
func FuzzVerify(f *testing.F) {
	k, err := GenerateKey(f.TempDir(), t0.Add(-time.Hour), t0.Add(365*24*time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	p, c, err := (&Issuer{Key: k, Now: clock(t0)}).Issue(testHolder(lifeline.DocMainlandID), "幸福里社区")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p)
	f.Add(strings.ToLower(p))
	f.Add(p[:len(p)/2])
	f.Add(Prefix)
	f.Add(Prefix + "%41%")
	f.Add("HC1:NCFOXN%TS3DH")
	v := &Verifier{Trust: TrustListOf([]*SigningKey{k}), Now: clock(t0.Add(time.Hour))}
	f.Fuzz(func(t *testing.T, s string) {
		r := v.Verify(s)
		if r.Valid && string(r.Claims.Serial) != string(c.Serial) {
			t.Fatalf("a code that was never issued verifies: %q", s)
		}
		if !r.Valid && r.Reason == "" {
			t.Fatalf("invalid without a reason: %q", s)
		}
	})
}

// FuzzOpenList: a list handed to a checkpoint is hostile until its
// signature checks out. Whatever the bytes, OpenList must not panic; it
// accepts only what the root signed, and a list it accepts reads the same
// when signed again.
func FuzzOpenList(f *testing.F) {
	root := testRoot(f)
	roots := Roots{root.Pin()}
	k, _ := NewKey(t0, t0.Add(time.Hour))
	var b RevocationBuilder
	b.AddSerial([]byte("a"))
	b.AddSerial([]byte("b"))
	b.AddCutoff(KeyID{1, 2, 3}, t0)
	full := b.Build()
	b = RevocationBuilder{}
	b.AddSerial([]byte("c"))
	b.AddSerial([]byte("a"))
	later := b.Build()
	seeds := [][]byte{
		mustSign(SignTrustList(root, TrustListOf([]*SigningKey{k}), ListTimes(TrustListKind, 3, t0, 0, 0))),
		mustSign(SignRevocationList(root, full, ListTimes(RevocationListKind, 5, t0, 0, 0))),
		mustSign(SignRevocationDelta(root, DeltaOf(5, full, later), ListTimes(RevocationDeltaKind, 6, t0, 0, 0))),
		{0xd2, 0x84, 0x40, 0xa0, 0x40, 0x40},
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		l, err := OpenList(in, roots)
		if err != nil {
			return
		}
		if l.Root != root.ID {
			t.Fatalf("accepted a list signed by %s", l.Root)
		}
		var again []byte
		switch l.Kind {
		case TrustListKind:
			again, err = SignTrustList(root, l.Trust, l.ListInfo)
		case RevocationListKind:
			again, err = SignRevocationList(root, l.Revocations, l.ListInfo)
		case RevocationDeltaKind:
			again, err = SignRevocationDelta(root, l.Delta, l.ListInfo)
		}
		if err != nil {
			t.Fatalf("an accepted list does not sign again: %v", err)
		}
		l2, err := OpenList(again, roots)
		if err != nil || l2.ListInfo != l.ListInfo {
			t.Fatalf("signed again: %v, %+v vs %+v", err, l2, l)
		}
		if l.Revocations != nil && !l.Revocations.Equal(l2.Revocations) {
			t.Fatal("revocations differ when signed again")
		}
	})
}

func mustSign(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzReadRoots: a root file or a scanned pin must never panic, and every
// root it yields is 32 bytes whose text form reads back the same.
func FuzzReadRoots(f *testing.F) {
	root := testRoot(f)
	var buf bytes.Buffer
	WriteRoots(&buf, Roots{root.Pin()}, t0)
	f.Add(buf.String())
	f.Add(root.Pin().String())
	f.Add("# only a comment\n\n")
	f.Add(PinPrefix + "AAAA")
	f.Fuzz(func(t *testing.T, in string) {
		rs, err := ReadRoots(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, r := range rs {
			p, err := ParseRootPin(r.String())
			if err != nil || !p.Public.Equal(r.Public) || p.ID != KeyIDOf(r.Public) {
				t.Fatalf("root %s does not read back: %v", r, err)
			}
		}
	})
}

// FuzzCheckpointHeld: a checkpoint's own files may be damaged by a disk or
// a person; opening must fail cleanly or hold a sound list.
func FuzzCheckpointHeld(f *testing.F) {
	root := testRoot(f)
	dir := f.TempDir()
	cp, err := OpenCheckpoint(dir, Roots{root.Pin()})
	if err != nil {
		f.Fatal(err)
	}
	var b RevocationBuilder
	b.AddSerial([]byte("a"))
	b.AddCutoff(KeyID{9}, t0)
	if _, err := cp.Update([]ListFile{{Name: "r", Data: mustSign(SignRevocationList(root, b.Build(), ListTimes(RevocationListKind, 2, t0, 0, 0)))}}); err != nil {
		f.Fatal(err)
	}
	held, _ := os.ReadFile(filepath.Join(dir, heldRevocationsFile))
	f.Add(held)
	f.Add([]byte{0xa0})
	f.Fuzz(func(t *testing.T, in []byte) {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, heldRevocationsFile), in, 0o600)
		cp, err := OpenCheckpoint(d, Roots{root.Pin()})
		if err != nil {
			return
		}
		if l := cp.revoked; l != nil {
			for i := 1; i < len(l.hashes); i++ {
				if l.hashes[i] <= l.hashes[i-1] {
					t.Fatal("held hashes out of order")
				}
			}
		}
	})
}

// FuzzReadJWKS: a trust list from outside must never panic, and every key
// it yields has the id of its public key.
func FuzzReadJWKS(f *testing.F) {
	k, _ := NewKey(t0, t0.Add(time.Hour))
	var buf bytes.Buffer
	TrustListOf([]*SigningKey{k}).WriteJWKS(&buf)
	f.Add(buf.String())
	f.Add(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA","kid":"x"}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		tl, err := ReadJWKS(strings.NewReader(in))
		if err != nil {
			return
		}
		for id, keys := range tl {
			for _, key := range keys {
				if KeyIDOf(key.Public) != id {
					t.Fatalf("key id %s does not match its key", id)
				}
			}
		}
	})
}
