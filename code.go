package lifeline

import (
	"context"
	"time"
)

// IssuedCode records one paper offline code that was issued: which serial,
// to whom, by whom, when, signed by which key, and whether it was revoked.
type IssuedCode struct {
	Serial       []byte // the 16-byte CWT cti
	ResidentID   int64
	KeyID        string // hex of the 8-byte kid
	IssuedBy     string
	IssuedAt     time.Time
	ExpiresAt    time.Time
	RevokedAt    time.Time // zero if not revoked
	RevokeReason string
}

// Revoked reports whether the code was revoked.
func (c *IssuedCode) Revoked() bool { return !c.RevokedAt.IsZero() }

// CodeService records issued codes and revocations.
type CodeService interface {
	// RecordIssued stores issued codes in one transaction.
	RecordIssued(ctx context.Context, codes []IssuedCode) error
	IssuedCode(ctx context.Context, serial []byte) (*IssuedCode, error)
	IssuedCodes(ctx context.Context, residentID int64) ([]IssuedCode, error)
	// RevokeSerial revokes one code (a lost card).
	RevokeSerial(ctx context.Context, serial []byte, reason, by string) error
	// RevokeResident revokes every code of a resident and returns how many.
	RevokeResident(ctx context.Context, residentID int64, reason, by string) (int, error)
	// RevokeKeyBefore revokes every code a key signed before a cut-off.
	RevokeKeyBefore(ctx context.Context, kid string, before time.Time, reason, by string) (int, error)
	// EachRevoked calls fn for every revoked serial.
	EachRevoked(ctx context.Context, fn func(serial []byte) error) error
	// KeyCutoffs returns, per key id, the time before which its codes are revoked.
	KeyCutoffs(ctx context.Context) (map[string]time.Time, error)
}
