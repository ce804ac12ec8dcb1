package code

import (
	"crypto/ed25519"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/veraison/go-cose"
)

// benchCodes returns n codes and, for each, the public key, Sig_structure
// and signature that bare Ed25519 verification checks: the same signatures
// both benchmarks verify.
func benchCodes(b *testing.B, n int) (*Verifier, []string, []ed25519.PublicKey, [][]byte, [][]byte) {
	k := newKey(b, t0.Add(-time.Hour), t0.Add(365*24*time.Hour))
	v := &Verifier{Trust: TrustListOf([]*SigningKey{k}), Now: clock(t0.Add(time.Hour))}
	var payloads []string
	var pubs []ed25519.PublicKey
	var msgs, sigs [][]byte
	for i := 0; i < n; i++ {
		p, _ := issue(b, k, testHolder(lifeline.DocMainlandID))
		payloads = append(payloads, p)
		raw, _ := Base45Decode(p[len(Prefix):])
		var m cose.Sign1Message
		if err := m.UnmarshalCBOR(raw); err != nil {
			b.Fatal(err)
		}
		tbs, err := SigStructure(&m)
		if err != nil {
			b.Fatal(err)
		}
		pubs, msgs, sigs = append(pubs, k.Public()), append(msgs, tbs), append(sigs, m.Signature)
	}
	return v, payloads, pubs, msgs, sigs
}

func BenchmarkVerify(b *testing.B) {
	v, payloads, _, _, _ := benchCodes(b, 64)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := v.Verify(payloads[i%len(payloads)]); !r.Valid {
			b.Fatal(r.Reason, r.Err)
		}
	}
}

func BenchmarkEd25519Verify(b *testing.B) {
	_, _, pubs, msgs, sigs := benchCodes(b, 64)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(msgs)
		if !ed25519.Verify(pubs[j], msgs[j], sigs[j]) {
			b.Fatal("bad signature")
		}
	}
}
