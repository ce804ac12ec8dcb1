package code

import (
	"context"
	"time"
)

// StoredRevocations is the revocation list of everything a store has
// revoked, now: every revoked serial and every key's cut-off, unsigned and
// unversioned. It is for a verifier beside the store (verify at a desk),
// which must refuse a card revoked minutes ago, before any list is
// published; checkpoints get signed lists (ExportRevocations).
func StoredRevocations(ctx context.Context, s interface {
	EachRevoked(ctx context.Context, fn func(serial []byte) error) error
	KeyCutoffs(ctx context.Context) (map[string]time.Time, error)
}) (*RevocationList, error) {
	var b RevocationBuilder
	if err := s.EachRevoked(ctx, func(serial []byte) error { b.AddSerial(serial); return nil }); err != nil {
		return nil, err
	}
	cuts, err := s.KeyCutoffs(ctx)
	if err != nil {
		return nil, err
	}
	for kid, t := range cuts {
		id, err := ParseKeyID(kid)
		if err != nil {
			return nil, err
		}
		b.AddCutoff(id, t)
	}
	return b.Build(), nil
}

// VerifyAlso is Verify, and for a code that passes, Verify again against
// more revocations (stored: StoredRevocations), whatever lists v holds;
// more nil is Verify.
func (v *Verifier) VerifyAlso(payload string, more *RevocationList) Result {
	r := v.Verify(payload)
	if r.Valid && more != nil {
		w := *v
		w.Revoked = more
		r = w.Verify(payload)
	}
	return r
}
