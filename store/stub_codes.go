package store

// Stubs until the real methods land; the file is deleted once they do.

import (
	"context"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

var _ = time.Time{}

func (db *DB) RecordIssued(ctx context.Context, codes []lifeline.IssuedCode) error {
	return errNotBuilt
}
func (db *DB) IssuedCode(ctx context.Context, serial []byte) (*lifeline.IssuedCode, error) {
	return nil, errNotBuilt
}
func (db *DB) IssuedCodes(ctx context.Context, residentID int64) ([]lifeline.IssuedCode, error) {
	return nil, errNotBuilt
}
func (db *DB) RevokeSerial(ctx context.Context, serial []byte, reason, by string) error {
	return errNotBuilt
}
func (db *DB) RevokeResident(ctx context.Context, residentID int64, reason, by string) (int, error) {
	return 0, errNotBuilt
}
func (db *DB) RevokeKeyBefore(ctx context.Context, kid string, before time.Time, reason, by string) (int, error) {
	return 0, errNotBuilt
}
func (db *DB) EachRevoked(ctx context.Context, fn func(serial []byte) error) error {
	return errNotBuilt
}
func (db *DB) KeyCutoffs(ctx context.Context) (map[string]time.Time, error) { return nil, errNotBuilt }
