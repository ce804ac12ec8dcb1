package store

import (
	"context"
	"database/sql"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// nextChange takes the next revocation change number inside a revoking
// transaction. The counter's row stays locked until the transaction ends,
// so numbers are taken in the order the changes commit: a list version
// that includes change N can never miss a change before it that commits
// later.
func (db *DB) nextChange(ctx context.Context, tx *sql.Tx) (int64, error) {
	var n int64
	err := tx.QueryRowContext(ctx, `UPDATE list_counters SET value = value + 1 WHERE name = 'revocation_change' RETURNING value`).Scan(&n)
	if err != nil {
		return 0, db.unavailable(err)
	}
	return n, nil
}

// returnChange gives back a change number whose transaction changed
// nothing, so publishing does not cut a version with the same content.
func (db *DB) returnChange(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `UPDATE list_counters SET value = value - 1 WHERE name = 'revocation_change'`); err != nil {
		return db.unavailable(err)
	}
	return nil
}

func scanRevocationVersion(s scanner) (lifeline.RevocationVersion, error) {
	var v lifeline.RevocationVersion
	var horizon, cut int64
	err := s.Scan(&v.Version, &v.Seq, &horizon, &cut)
	v.Horizon, v.CutAt = fromMS(horizon), fromMS(cut)
	return v, err
}

// PublishRevocations returns the version of the revocation list to export
// at now. The latest version is kept while it is still what the list
// holds: no change since, and none of its codes has left (expired more
// than lifeline.RevocationGrace ago). Otherwise a new version is cut,
// holding every change so far; its horizon never moves back, even if the
// clock does.
func (db *DB) PublishRevocations(ctx context.Context, now time.Time) (lifeline.RevocationVersion, error) {
	var out lifeline.RevocationVersion
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var seq int64
		if err := tx.QueryRowContext(ctx, `SELECT value FROM list_counters WHERE name = 'revocation_change'`).Scan(&seq); err != nil {
			return db.unavailable(err)
		}
		latest, err := scanRevocationVersion(tx.QueryRowContext(ctx, `SELECT version, seq, horizon, cut_at FROM revocation_versions ORDER BY version DESC LIMIT 1`))
		if err != nil && err != sql.ErrNoRows {
			return db.unavailable(err)
		}
		horizon := max(ms(now.Add(-lifeline.RevocationGrace)), ms(latest.Horizon))
		if err == nil && latest.Seq == seq {
			var one int
			err := tx.QueryRowContext(ctx, db.SQL(`SELECT 1 FROM issued_codes WHERE revoked_at <> 0 AND revoked_seq <= ? AND expires_at >= ? AND expires_at < ? LIMIT 1`),
				seq, ms(latest.Horizon), horizon).Scan(&one)
			if err == sql.ErrNoRows {
				out = latest
				return nil
			}
			if err != nil {
				return db.unavailable(err)
			}
		}
		out = lifeline.RevocationVersion{Version: latest.Version + 1, Seq: seq, Horizon: fromMS(horizon), CutAt: fromMS(ms(now))}
		res, err := tx.ExecContext(ctx, db.SQL(`INSERT INTO revocation_versions (version, seq, horizon, cut_at) VALUES (?, ?, ?, ?) ON CONFLICT (version) DO NOTHING`),
			out.Version, out.Seq, horizon, ms(now))
		if err != nil {
			return db.unavailable(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return lifeline.Errorf(lifeline.ECONFLICT, lifeline.T("另一个导出正在进行，请稍后重试", "another export is publishing a version right now; try again"))
		}
		return nil
	})
	return out, err
}

// RevocationVersion returns a published version of the revocation list.
func (db *DB) RevocationVersion(ctx context.Context, version int64) (lifeline.RevocationVersion, error) {
	v, err := scanRevocationVersion(db.r.QueryRowContext(ctx, db.SQL(`SELECT version, seq, horizon, cut_at FROM revocation_versions WHERE version = ?`), version))
	if err == sql.ErrNoRows {
		return v, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("吊销列表没有发布过这个版本", "no revocation list of that version was published"))
	}
	if err != nil {
		return v, db.unavailable(err)
	}
	return v, nil
}

// EachRevokedIn calls fn for every serial a version of the list holds,
// streaming.
func (db *DB) EachRevokedIn(ctx context.Context, v lifeline.RevocationVersion, fn func(serial []byte) error) error {
	return eachRow(ctx, db, db.r, func(s scanner) (serial []byte, err error) { return serial, s.Scan(&serial) },
		fn, `SELECT serial FROM issued_codes WHERE revoked_at <> 0 AND revoked_seq <= ? AND expires_at >= ?`, v.Seq, ms(v.Horizon))
}

// NextTrustListVersion returns the number of the next trust list.
func (db *DB) NextTrustListVersion(ctx context.Context) (int64, error) {
	var n int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `UPDATE list_counters SET value = value + 1 WHERE name = 'trust_version' RETURNING value`).Scan(&n); err != nil {
			return db.unavailable(err)
		}
		return nil
	})
	return n, err
}
