package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
)

const relativeCols = `rel.id, rel.resident_id, rel.relative_resident_id, rel.phone, rel.relation, rel.state, rel.reason, rel.created_by, rel.reviewed_by, rel.created_at, rel.reviewed_at`

func scanRelative(s scanner) (lifeline.Relative, error) {
	var r lifeline.Relative
	var relID sql.NullInt64
	var state string
	var created, reviewed int64
	err := s.Scan(&r.ID, &r.ResidentID, &relID, &r.Phone, &r.Relation, &state, &r.Reason, &r.CreatedBy, &r.ReviewedBy, &created, &reviewed)
	r.RelativeResidentID, r.State, r.CreatedAt, r.ReviewedAt = relID.Int64, lifeline.ReviewState(state), fromMS(created), fromMS(reviewed)
	return r, err
}

// LinkRelative stores a link from a resident to a relative, who is another
// resident or a bare phone. Two residents of one household are approved at
// once; every other link waits for staff review. Linking the same pair again
// returns the stored link unless it was rejected. A new link is written to
// the audit log with it ("link"). Both residents must be ones the actor in
// ctx may see: a relative elsewhere is linked by phone.
func (db *DB) LinkRelative(ctx context.Context, r *lifeline.Relative) error {
	if (r.RelativeResidentID == 0) == (strings.TrimSpace(r.Phone) == "") {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("亲属应为一位居民或一个电话号码", "a relative is either a resident or a phone number"))
	}
	if r.RelativeResidentID == r.ResidentID {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("不能把居民关联为自己的亲属", "a resident cannot be their own relative"))
	}
	if r.Phone != "" {
		p, err := lifeline.NormalizePhone(r.Phone)
		if err != nil {
			return err
		}
		r.Phone = p
	}
	if r.CreatedBy == "" {
		r.CreatedBy = lifeline.ActorFrom(ctx).User
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		household := func(id int64) (sql.NullInt64, error) {
			cond, args := inScope(ctx, "r.id")
			var hh sql.NullInt64
			err := tx.QueryRowContext(ctx, db.SQL(`SELECT household_id FROM residents r WHERE r.id = ?`+cond), append([]any{id}, args...)...).Scan(&hh)
			return hh, err
		}
		hh, err := household(r.ResidentID)
		if errors.Is(err, sql.ErrNoRows) {
			return errResidentNotFound()
		} else if err != nil {
			return db.unavailable(err)
		}
		r.State = lifeline.ReviewPending
		var q string
		var args []any
		if r.RelativeResidentID != 0 {
			other, err := household(r.RelativeResidentID)
			if errors.Is(err, sql.ErrNoRows) {
				return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("找不到该亲属", "no such relative"))
			} else if err != nil {
				return db.unavailable(err)
			}
			if hh.Valid && other.Valid && hh.Int64 == other.Int64 {
				r.State = lifeline.AutoApproved
			}
			q, args = `SELECT `+relativeCols+` FROM relatives rel WHERE rel.resident_id = ? AND rel.relative_resident_id = ? AND rel.state <> 'rejected'`, []any{r.ResidentID, r.RelativeResidentID}
		} else {
			q, args = `SELECT `+relativeCols+` FROM relatives rel WHERE rel.resident_id = ? AND rel.phone = ? AND rel.state <> 'rejected'`, []any{r.ResidentID, r.Phone}
		}
		if old, err := scanRelative(tx.QueryRowContext(ctx, db.SQL(q), args...)); err == nil {
			*r = old
			return nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return db.unavailable(err)
		}
		now := db.Now()
		r.CreatedAt, r.ReviewedAt, r.ReviewedBy, r.Reason = fromMS(ms(now)), fromMS(0), "", ""
		if r.State == lifeline.AutoApproved {
			r.ReviewedAt, r.ReviewedBy = r.CreatedAt, "auto"
		}
		err = tx.QueryRowContext(ctx, db.SQL(`INSERT INTO relatives (resident_id, relative_resident_id, phone, relation, state, created_by, reviewed_by, created_at, reviewed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			r.ResidentID, nullID(r.RelativeResidentID), r.Phone, r.Relation, string(r.State), r.CreatedBy, r.ReviewedBy, ms(r.CreatedAt), ms(r.ReviewedAt)).Scan(&r.ID)
		if err != nil {
			return db.unavailable(err)
		}
		return db.auditTx(ctx, tx, ms(r.CreatedAt), r.CreatedBy, "link", r.ResidentID, r.Relation+" "+string(r.State))
	})
}

// ReviewRelative approves or rejects a pending link, and writes the review
// to the audit log with it ("review"). A link of a resident the actor in
// ctx may not see is not found. Four eyes: whoever made the link cannot
// approve it (the reviewer is by, or the actor in ctx), only withdraw it
// by rejecting it.
func (db *DB) ReviewRelative(ctx context.Context, id int64, approve bool, reason, by string) error {
	state, detail := lifeline.Rejected, "rejected: "+reason
	if approve {
		state, detail = lifeline.Approved, "approved"
	}
	by = actorOr(ctx, by)
	now := ms(db.Now())
	cond, cargs := inScope(ctx, "relatives.resident_id")
	return db.tx(ctx, func(tx *sql.Tx) error {
		var rid int64
		var createdBy, cur string
		err := tx.QueryRowContext(ctx, db.SQL(`SELECT resident_id, created_by, state FROM relatives WHERE id = ?`+cond), append([]any{id}, cargs...)...).Scan(&rid, &createdBy, &cur)
		if errors.Is(err, sql.ErrNoRows) {
			return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("找不到该亲属关联", "no such relative link"))
		} else if err != nil {
			return db.unavailable(err)
		}
		if cur != string(lifeline.ReviewPending) {
			return errReviewed()
		}
		if approve && createdBy == by {
			return lifeline.Errorf(lifeline.EFORBIDDEN, lifeline.T("这条关联是您提交的，须由另一位工作人员审核通过", "you made this link: another worker must approve it"))
		}
		res, err := tx.ExecContext(ctx, db.SQL(`UPDATE relatives SET state = ?, reason = ?, reviewed_by = ?, reviewed_at = ? WHERE id = ? AND state = 'pending'`),
			string(state), reason, by, now, id)
		if err != nil {
			return db.unavailable(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errReviewed() // reviewed by someone else meanwhile
		}
		return db.auditTx(ctx, tx, now, by, "review", rid, detail)
	})
}

func errReviewed() error {
	return lifeline.Errorf(lifeline.ECONFLICT, lifeline.T("该亲属关联已审核过", "that relative link has already been reviewed"))
}

// Relatives returns the links of one resident (the cared-for side), oldest
// first: none for a resident the actor in ctx may not see.
func (db *DB) Relatives(ctx context.Context, residentID int64) ([]lifeline.Relative, error) {
	cond, args := inScope(ctx, "rel.resident_id")
	return queryRows(ctx, db, db.r, scanRelative, `SELECT `+relativeCols+` FROM relatives rel WHERE rel.resident_id = ?`+cond+` ORDER BY rel.id`, append([]any{residentID}, args...)...)
}

// PendingRelatives returns links waiting for review, oldest first, for the
// residents of one community ("" means all), within the community of the
// actor in ctx.
func (db *DB) PendingRelatives(ctx context.Context, community string) ([]lifeline.Relative, error) {
	community, ok := scopeCommunity(ctx, community)
	if !ok {
		return nil, nil
	}
	if community == "" {
		return queryRows(ctx, db, db.r, scanRelative, `SELECT `+relativeCols+` FROM relatives rel WHERE rel.state = 'pending' ORDER BY rel.created_at, rel.id`)
	}
	return queryRows(ctx, db, db.r, scanRelative, `SELECT `+relativeCols+` FROM relatives rel
		JOIN residents r ON r.id = rel.resident_id JOIN households h ON h.id = r.household_id
		WHERE rel.state = 'pending' AND h.community = ? ORDER BY rel.created_at, rel.id`, community)
}

// CaredForByPhone returns the residents a phone may ask about: those who
// have the phone, then those linked by an active link to the phone itself or
// to a resident who has it. Pending and rejected links give nothing.
// (CROSS JOIN keeps SQLite from reading every approved link through
// relatives_state; see statusByPhoneQuery. The SMS gateway uses
// StatusByPhone, which answers in one statement.)
func (db *DB) CaredForByPhone(ctx context.Context, phone string) ([]*lifeline.Resident, error) {
	p, err := lifeline.NormalizePhone(phone)
	if err != nil {
		return nil, err
	}
	type reach struct {
		id     int64
		linked int
	}
	own := map[int64]bool{}
	var ids []int64
	err = eachRow(ctx, db, db.r, func(s scanner) (r reach, err error) { return r, s.Scan(&r.id, &r.linked) }, func(r reach) error {
		if _, dup := own[r.id]; !dup {
			ids = append(ids, r.id)
			own[r.id] = r.linked == 0
		} else if r.linked == 0 {
			own[r.id] = true
		}
		return nil
	}, `
		SELECT resident_id, 0 FROM phones WHERE tail4 = ? AND phone = ?
		UNION
		SELECT rel.resident_id, 1 FROM relatives rel WHERE rel.phone = ? AND rel.state IN ('auto_approved', 'approved')
		UNION
		SELECT rel.resident_id, 1 FROM phones p CROSS JOIN relatives rel
		WHERE p.tail4 = ? AND p.phone = ? AND rel.relative_resident_id = p.resident_id AND rel.state IN ('auto_approved', 'approved')`,
		lifeline.PhoneTail(p), p, p, lifeline.PhoneTail(p), p)
	if err != nil {
		return nil, err
	}
	rs, err := db.residentsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	// The phone's own residents first, then the people it cares for, by name.
	sortResidents(rs, func(r *lifeline.Resident) bool { return own[r.ID] })
	return rs, nil
}
