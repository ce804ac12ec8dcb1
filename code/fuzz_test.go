package code

import (
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
