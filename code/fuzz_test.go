package code

import (
	"bytes"
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

// FuzzReadRevocationList: a damaged or hostile list file must be refused
// cleanly, and what is accepted must write back to the same bytes.
func FuzzReadRevocationList(f *testing.F) {
	var b RevocationBuilder
	b.AddSerial([]byte("a"))
	b.AddSerial([]byte("b"))
	b.AddCutoff(KeyID{1, 2, 3}, t0)
	var buf bytes.Buffer
	b.Build(t0).WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte("LLRL"))
	f.Fuzz(func(t *testing.T, in []byte) {
		l, err := ReadRevocationList(bytes.NewReader(in))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if _, err := l.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), in[:out.Len()]) {
			t.Fatalf("accepted list does not write back the same")
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
		for id, key := range tl {
			if KeyIDOf(key.Public) != id {
				t.Fatalf("key id %s does not match its key", id)
			}
		}
	})
}
