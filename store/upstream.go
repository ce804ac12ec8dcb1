package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

var _ lifeline.LeaseService = (*DB)(nil)

// ClaimLease takes or renews a named lease. The conditional upsert is one
// statement: PostgreSQL locks the conflicting row and re-checks the WHERE
// against its latest version, SQLite has one writer, so of two replicas
// claiming at once exactly one gets a row back.
func (db *DB) ClaimLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if name == "" || holder == "" {
		return false, lifeline.Errorf(lifeline.EINVALID, lifeline.T("租约名称和持有者不能为空", "a lease needs a name and a holder"))
	}
	now := db.Now()
	var got string
	err := db.w.QueryRowContext(ctx, db.SQL(`INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?
		RETURNING holder`), name, holder, ms(now.Add(ttl)), ms(now)).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, db.unavailable(err)
	}
	return got == holder, nil
}

// ReleaseLease ends holder's lease at once so another replica need not wait
// for it to run out.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := db.w.ExecContext(ctx, db.SQL(`UPDATE leases SET expires_at = 0 WHERE name = ? AND holder = ?`), name, holder)
	if err != nil {
		return db.unavailable(err)
	}
	return nil
}
