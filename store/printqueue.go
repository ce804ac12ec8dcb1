package store

import (
	"context"
	"database/sql"
	"errors"

	lifeline "github.com/lifeline-health/lifeline"
)

const printCols = `p.id, p.resident_id, p.source, p.requested_at, p.done_at, p.done_by`

func scanPrint(s scanner) (lifeline.PrintRequest, error) {
	var p lifeline.PrintRequest
	var req, done int64
	err := s.Scan(&p.ID, &p.ResidentID, &p.Source, &req, &done, &p.DoneBy)
	p.RequestedAt, p.DoneAt = fromMS(req), fromMS(done)
	return p, err
}

// RequestPrint queues a paper-code request. A resident has at most one open
// request: asking again returns the open one.
func (db *DB) RequestPrint(ctx context.Context, p *lifeline.PrintRequest) error {
	if p.Source == "" {
		p.Source = "staff"
	}
	if p.RequestedAt.IsZero() {
		p.RequestedAt = db.Now()
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.checkResident(ctx, tx, p.ResidentID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, db.SQL(`INSERT INTO print_requests (resident_id, source, requested_at) VALUES (?, ?, ?)
			ON CONFLICT (resident_id) WHERE done_at = 0 DO NOTHING RETURNING id`), p.ResidentID, p.Source, ms(p.RequestedAt)).Scan(&p.ID)
		if errors.Is(err, sql.ErrNoRows) {
			open, err := scanPrint(tx.QueryRowContext(ctx, db.SQL(`SELECT `+printCols+` FROM print_requests p WHERE p.resident_id = ? AND p.done_at = 0`), p.ResidentID))
			if err != nil {
				return db.unavailable(err)
			}
			*p = open
			return nil
		}
		if err != nil {
			return db.unavailable(err)
		}
		p.RequestedAt = fromMS(ms(p.RequestedAt))
		return nil
	})
}

// PrintQueue returns the open requests, oldest first, for one community
// ("" means all), within the community of the actor in ctx.
func (db *DB) PrintQueue(ctx context.Context, community string) ([]lifeline.PrintRequest, error) {
	community, ok := scopeCommunity(ctx, community)
	if !ok {
		return nil, nil
	}
	q := `SELECT ` + printCols + ` FROM print_requests p WHERE p.done_at = 0 ORDER BY p.requested_at, p.id`
	var args []any
	if community != "" {
		q = `SELECT ` + printCols + ` FROM print_requests p JOIN residents r ON r.id = p.resident_id JOIN households h ON h.id = r.household_id
			WHERE p.done_at = 0 AND h.community = ? ORDER BY p.requested_at, p.id`
		args = []any{community}
	}
	return queryRows(ctx, db, db.r, scanPrint, q, args...)
}

// MarkPrinted closes a request. Closing one already closed changes nothing;
// one for a resident the actor in ctx may not see is not found.
func (db *DB) MarkPrinted(ctx context.Context, id int64, by string) error {
	by = actorOr(ctx, by)
	cond, cargs := inScope(ctx, "print_requests.resident_id")
	res, err := db.w.ExecContext(ctx, db.SQL(`UPDATE print_requests SET done_at = ?, done_by = ? WHERE id = ? AND done_at = 0`+cond), append([]any{ms(db.Now()), by, id}, cargs...)...)
	if err != nil {
		return db.unavailable(err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var one int
	err = db.r.QueryRowContext(ctx, db.SQL(`SELECT 1 FROM print_requests WHERE id = ?`+cond), append([]any{id}, cargs...)...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("找不到该打印请求", "no such print request"))
	}
	if err != nil {
		return db.unavailable(err)
	}
	return nil
}
