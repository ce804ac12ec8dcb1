package store

import (
	"context"

	lifeline "github.com/lifeline-health/lifeline"
)

// Audit appends one entry to the audit log. An empty actor is taken from
// ctx and an empty time is now.
func (db *DB) Audit(ctx context.Context, e lifeline.AuditEntry) error {
	if e.Actor == "" {
		e.Actor = lifeline.ActorFrom(ctx).User
	}
	at := ms(e.At)
	if at == 0 {
		at = ms(db.Now())
	}
	// Prepared once: every search writes one of these.
	st, err := db.prepared(ctx, db.w, db.SQL(`INSERT INTO audit_log (at, actor, action, resident_id, detail) VALUES (?, ?, ?, ?, ?)`))
	if err != nil {
		return err
	}
	if _, err := st.ExecContext(ctx, at, e.Actor, e.Action, nullID(e.ResidentID), e.Detail); err != nil {
		return db.unavailable(err)
	}
	return nil
}

// AuditLog returns the newest entries about one resident, or about anyone
// when residentID is 0, newest first.
func (db *DB) AuditLog(ctx context.Context, residentID int64, limit int) ([]lifeline.AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT id, at, actor, action, resident_id, detail FROM audit_log ORDER BY id DESC LIMIT ?`
	args := []any{limit}
	if residentID != 0 {
		q = `SELECT id, at, actor, action, resident_id, detail FROM audit_log WHERE resident_id = ? ORDER BY id DESC LIMIT ?`
		args = []any{residentID, limit}
	}
	rows, err := db.r.QueryContext(ctx, db.SQL(q), args...)
	if err != nil {
		return nil, db.unavailable(err)
	}
	defer rows.Close()
	var out []lifeline.AuditEntry
	for rows.Next() {
		var e lifeline.AuditEntry
		var at int64
		var rid *int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &rid, &e.Detail); err != nil {
			return nil, db.unavailable(err)
		}
		e.At = fromMS(at)
		if rid != nil {
			e.ResidentID = *rid
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, db.unavailable(err)
	}
	return out, nil
}
