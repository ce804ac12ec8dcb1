package store

import (
	"context"
	"database/sql"
	"slices"

	lifeline "github.com/lifeline-health/lifeline"
)

// Audit appends one entry to the audit log. An empty actor is taken from
// ctx and an empty time is now.
//
// Entries written alone (a search, a view, a reveal) go to the log pool:
// on SQLite a file of its own, so that a search is logged, and answered,
// while an import holds the store's write lock (see DB.log). Entries that
// belong to a change (an import, a code issued) are written in that
// change's transaction, in the store.
func (db *DB) Audit(ctx context.Context, e lifeline.AuditEntry) error {
	a := lifeline.ActorFrom(ctx)
	if e.Actor == "" {
		e.Actor = a.User
	}
	if e.Place == "" {
		e.Place = a.Place
	}
	if e.Note == "" {
		e.Note = a.Note
	}
	at := ms(e.At)
	if at == 0 {
		at = ms(db.Now())
	}
	// Prepared once: every search writes one of these.
	st, err := db.prepared(ctx, db.log, db.SQL(`INSERT INTO audit_log (at, actor, action, resident_id, detail, place, note) VALUES (?, ?, ?, ?, ?, ?, ?)`))
	if err != nil {
		return err
	}
	if _, err := st.ExecContext(ctx, at, e.Actor, e.Action, nullID(e.ResidentID), e.Detail, e.Place, e.Note); err != nil {
		return db.unavailable(err)
	}
	return nil
}

// ViewResident returns one resident, as Resident does, for a person to
// look at: who looked is written to the audit log first ("view"), and if
// it cannot be, nothing is returned.
func (db *DB) ViewResident(ctx context.Context, id int64) (*lifeline.Resident, error) {
	return db.residentAudited(ctx, id, "view", "")
}

// RevealResident is ViewResident for a screen about to show the
// resident's full document number and phones ("reveal").
func (db *DB) RevealResident(ctx context.Context, id int64) (*lifeline.Resident, error) {
	return db.residentAudited(ctx, id, "reveal", "document and phone")
}

// residentAudited reads a resident (whom the actor in ctx may see) and
// returns them once the audit entry of the read is written.
func (db *DB) residentAudited(ctx context.Context, id int64, action, detail string) (*lifeline.Resident, error) {
	r, err := db.Resident(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := db.Audit(ctx, lifeline.AuditEntry{Action: action, ResidentID: id, Detail: detail}); err != nil {
		return nil, err
	}
	return r, nil
}

// AuditLog returns the newest entries about one resident, or about anyone
// when residentID is 0, newest first. On SQLite it merges the store's
// audit_log with the log file's by time (IDs are per file).
func (db *DB) AuditLog(ctx context.Context, residentID int64, limit int) ([]lifeline.AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	out, err := db.auditFrom(ctx, db.r, residentID, limit)
	if err != nil || db.log == db.w {
		return out, err
	}
	more, err := db.auditFrom(ctx, db.log, residentID, limit)
	if err != nil {
		return nil, err
	}
	out = append(out, more...)
	slices.SortStableFunc(out, func(a, b lifeline.AuditEntry) int { return b.At.Compare(a.At) })
	return out[:min(limit, len(out))], nil
}

func (db *DB) auditFrom(ctx context.Context, pool *sql.DB, residentID int64, limit int) ([]lifeline.AuditEntry, error) {
	q := `SELECT id, at, actor, action, resident_id, detail, place, note FROM audit_log ORDER BY id DESC LIMIT ?`
	args := []any{limit}
	if residentID != 0 {
		q = `SELECT id, at, actor, action, resident_id, detail, place, note FROM audit_log WHERE resident_id = ? ORDER BY id DESC LIMIT ?`
		args = []any{residentID, limit}
	}
	return queryRows(ctx, db, pool, scanAudit, q, args...)
}

func scanAudit(s scanner) (lifeline.AuditEntry, error) {
	var e lifeline.AuditEntry
	var at int64
	var rid sql.NullInt64
	err := s.Scan(&e.ID, &at, &e.Actor, &e.Action, &rid, &e.Detail, &e.Place, &e.Note)
	e.At, e.ResidentID = fromMS(at), rid.Int64
	return e, err
}
