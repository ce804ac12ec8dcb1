package store

// Stubs until the real methods land; the file is deleted once they do.

import (
	"context"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

var _ = time.Time{}

func (db *DB) BeginInbound(ctx context.Context, m *lifeline.InboundMessage) (prev *lifeline.InboundMessage, first bool, err error) {
	return nil, false, errNotBuilt
}
func (db *DB) FinishInbound(ctx context.Context, sid, reply string) error   { return errNotBuilt }
func (db *DB) Enqueue(ctx context.Context, m *lifeline.OutboxMessage) error { return errNotBuilt }
func (db *DB) ClaimOutbox(ctx context.Context, worker string, n int, lease time.Duration) ([]lifeline.OutboxMessage, error) {
	return nil, errNotBuilt
}
func (db *DB) MarkAccepted(ctx context.Context, id int64, providerID string) error {
	return errNotBuilt
}
func (db *DB) MarkRetry(ctx context.Context, id int64, errMsg string, next time.Time) error {
	return errNotBuilt
}
func (db *DB) MarkFailed(ctx context.Context, id int64, errMsg string) error { return errNotBuilt }
func (db *DB) RecordDelivery(ctx context.Context, providerID, status, errCode string) error {
	return errNotBuilt
}
func (db *DB) OutboxDepth(ctx context.Context) (int, error)                { return 0, errNotBuilt }
func (db *DB) SetOptOut(ctx context.Context, phone string, out bool) error { return errNotBuilt }
func (db *DB) OptedOut(ctx context.Context, phone string) (bool, error)    { return false, errNotBuilt }
