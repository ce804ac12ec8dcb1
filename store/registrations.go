package store

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// sortResidents orders residents with first(r) true before the others, and
// by name, then id, within each group.
func sortResidents(rs []*lifeline.Resident, first func(*lifeline.Resident) bool) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := first(rs[i]), first(rs[j])
		if a != b {
			return a
		}
		if rs[i].Name != rs[j].Name {
			return rs[i].Name < rs[j].Name
		}
		return rs[i].ID < rs[j].ID
	})
}

const registrationCols = `id, resident_id, tube, site, sampled_at, staff, idempotency_key, created_at, delivered_at, attempts, last_error, tube_id, round_id`

func scanRegistration(s scanner) (lifeline.Registration, error) {
	var r lifeline.Registration
	var sampled, created, delivered int64
	var tube, round sql.NullInt64
	err := s.Scan(&r.ID, &r.ResidentID, &r.Tube, &r.Site, &sampled, &r.Staff, &r.IdempotencyKey, &created, &delivered, &r.Attempts, &r.LastError, &tube, &round)
	r.SampledAt, r.CreatedAt, r.DeliveredAt = fromMS(sampled), fromMS(created), fromMS(delivered)
	r.TubeID, r.RoundID = tube.Int64, round.Int64
	return r, err
}

// CreateRegistration stores an on-site registration durably before it
// returns, with its entry in the audit log ("register"). An empty
// idempotency key gets a random one; a key already stored returns the
// stored registration (a retried request is not a second sample, and
// writes nothing). The resident must be one the actor in ctx may see. A
// resident still to be sampled in a round whose window holds the sample
// counts as sampled in it.
func (db *DB) CreateRegistration(ctx context.Context, r *lifeline.Registration) error {
	r.Tube = strings.TrimSpace(r.Tube)
	if r.Tube == "" {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("缺少试管条码", "the tube barcode is missing"))
	}
	if r.IdempotencyKey == "" {
		key, err := newKey()
		if err != nil {
			return err
		}
		r.IdempotencyKey = key
	}
	if r.Staff == "" {
		r.Staff = lifeline.ActorFrom(ctx).User
	}
	now := db.Now()
	if r.SampledAt.IsZero() {
		r.SampledAt = now
	}
	r.CreatedAt = fromMS(ms(now))
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.checkResident(ctx, tx, r.ResidentID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, db.SQL(`INSERT INTO registrations (resident_id, tube, site, sampled_at, staff, idempotency_key, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`),
			r.ResidentID, r.Tube, r.Site, ms(r.SampledAt), r.Staff, r.IdempotencyKey, ms(r.CreatedAt)).Scan(&r.ID)
		if errors.Is(err, sql.ErrNoRows) {
			old, err := scanRegistration(tx.QueryRowContext(ctx, db.SQL(`SELECT `+registrationCols+` FROM registrations WHERE idempotency_key = ?`), r.IdempotencyKey))
			if err != nil {
				return db.unavailable(err)
			}
			*r = old
			return nil
		}
		if err != nil {
			return db.unavailable(err)
		}
		s := &statusWriter{db: db, tx: tx, ctx: ctx, now: ms(now)}
		defer s.close()
		err = s.updateMembers(r.ResidentID, r.SampledAt, func(m lifeline.RoundMember) lifeline.RoundMember { return m.SampledAlone(r.SampledAt) })
		if err != nil {
			return err
		}
		return db.auditTx(ctx, tx, ms(r.CreatedAt), r.Staff, "register", r.ResidentID, "tube "+r.Tube)
	})
}

// PendingRegistrations returns undelivered registrations in the order they
// were made, but for swabs in pooled tubes, which go with their tube
// (PendingTubes).
func (db *DB) PendingRegistrations(ctx context.Context, limit int) ([]lifeline.Registration, error) {
	if limit <= 0 {
		limit = 100
	}
	return queryRows(ctx, db, db.r, scanRegistration, `SELECT `+registrationCols+` FROM registrations WHERE delivered_at = 0 AND tube_id IS NULL ORDER BY id LIMIT ?`, limit)
}

func (db *DB) updateRegistration(ctx context.Context, q string, args ...any) error {
	res, err := db.w.ExecContext(ctx, db.SQL(q), args...)
	if err != nil {
		return db.unavailable(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("找不到该登记", "no such registration"))
	}
	return nil
}

// MarkRegistrationDelivered records that upstream accepted a registration.
func (db *DB) MarkRegistrationDelivered(ctx context.Context, id int64, at time.Time) error {
	if at.IsZero() {
		at = db.Now()
	}
	return db.updateRegistration(ctx, `UPDATE registrations SET delivered_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`, ms(at), id)
}

// MarkRegistrationFailed counts a failed delivery attempt and keeps its
// error; the registration stays pending.
func (db *DB) MarkRegistrationFailed(ctx context.Context, id int64, msg string) error {
	return db.updateRegistration(ctx, `UPDATE registrations SET attempts = attempts + 1, last_error = ? WHERE id = ?`, msg, id)
}

// RegistrationBacklog returns how many messages wait for delivery
// (registrations alone, and closed tubes, one each) and when the oldest
// was made or closed (zero if none wait).
func (db *DB) RegistrationBacklog(ctx context.Context) (n int, oldest time.Time, err error) {
	var o, to sql.NullInt64
	var tubes int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*), min(created_at) FROM registrations WHERE delivered_at = 0 AND tube_id IS NULL`).Scan(&n, &o); err != nil {
		return 0, time.Time{}, db.unavailable(err)
	}
	if err := db.r.QueryRowContext(ctx, `SELECT count(*), min(closed_at) FROM tubes WHERE delivered_at = 0 AND closed_at > 0`).Scan(&tubes, &to); err != nil {
		return 0, time.Time{}, db.unavailable(err)
	}
	if to.Valid && (!o.Valid || to.Int64 < o.Int64) {
		o = to
	}
	return n + tubes, fromMS(o.Int64), nil
}

// ResidentRegistrations returns a resident's registrations, oldest first:
// none for a resident the actor in ctx may not see.
func (db *DB) ResidentRegistrations(ctx context.Context, residentID int64) ([]lifeline.Registration, error) {
	cond, args := inScope(ctx, "registrations.resident_id")
	return queryRows(ctx, db, db.r, scanRegistration, `SELECT `+registrationCols+` FROM registrations WHERE resident_id = ?`+cond+` ORDER BY id`, append([]any{residentID}, args...)...)
}
