package store

import (
	"context"
	"fmt"

	lifeline "github.com/lifeline-health/lifeline"
)

// redRule is the rule every status change follows, one update
// (RecordResult) or a whole import alike: a resident an update said is
// red, and who is red once every update is stored, has every paper code
// revoked, in the transaction that stored the updates. A red person's old
// green card must stop passing at checkpoints, and a crash can never
// leave the colour stored and the card still valid. It is judged on the
// colour stored at the end, so a red and then a green for the same person
// in one file, or a late retry of an old red after a newer green, revokes
// nothing.
type redRule struct {
	ids    []int64          // in the order first said red
	reason map[int64]string // "red", or "red:<ExternalID>" of the update
}

// note remembers the resident of an applied update if it said red.
func (r *redRule) note(residentID int64, u lifeline.StatusUpdate) {
	if u.Color != lifeline.Red || residentID == 0 {
		return
	}
	if r.reason == nil {
		r.reason = map[int64]string{}
	}
	if _, seen := r.reason[residentID]; !seen {
		r.ids = append(r.ids, residentID)
	}
	r.reason[residentID] = "red"
	if u.ExternalID != "" {
		r.reason[residentID] = "red:" + u.ExternalID
	}
}

// revoke revokes the paper codes of the noted residents who are red now,
// in s's transaction, as one numbered change of the revocation list
// (lists.go), with an audit entry for each resident who had any, and
// returns how many codes it revoked.
func (r *redRule) revoke(s *statusWriter) (int, error) {
	actor := lifeline.ActorFrom(s.ctx).User
	total := 0
	var change int64 // taken once a code is revoked: one change for the transaction
	for _, id := range r.ids {
		var color string
		if err := s.queryRow(`SELECT color FROM residents WHERE id = ?`, []any{id}, &color); err != nil {
			return 0, s.db.unavailable(err)
		}
		if lifeline.Color(color) != lifeline.Red {
			continue
		}
		var has int
		if err := s.queryRow(`SELECT COUNT(*) FROM issued_codes WHERE resident_id = ? AND revoked_at = 0`, []any{id}, &has); err != nil {
			return 0, s.db.unavailable(err)
		}
		if has == 0 {
			continue
		}
		if change == 0 {
			var err error
			if change, err = s.db.nextChange(s.ctx, s.tx); err != nil {
				return 0, err
			}
		}
		n, err := s.exec(`UPDATE issued_codes SET revoked_at = ?, revoke_reason = ?, revoked_seq = ? WHERE resident_id = ? AND revoked_at = 0`, s.now, r.reason[id], change, id)
		if err != nil {
			return 0, err
		}
		if err := s.db.auditTx(s.ctx, s.tx, s.now, actor, "revoke", id, fmt.Sprintf("all codes (%d): %s", n, r.reason[id])); err != nil {
			return 0, err
		}
		total += int(n)
	}
	return total, nil
}

// applyAll is Import's part of the transaction: the batch's status
// updates in order, counted in st, the red rule over them all, then the
// results by tube.
func (s *statusWriter) applyAll(ctx context.Context, b *lifeline.ImportBatch, st *lifeline.ImportStats) error {
	var red redRule
	for i, u := range b.Updates {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := s.apply(u)
		if err != nil {
			return fmt.Errorf("status %d: %w", i+1, err)
		}
		if res.result {
			st.Results++
		}
		if res.color {
			st.Colors++
		}
		if !res.result && !res.color {
			st.Unchanged++
		}
		red.note(res.residentID, u)
	}
	var err error
	if st.Revoked, err = red.revoke(s); err != nil {
		return err
	}
	// A lab's file of a day's tubes writes the results of ten times as
	// many people.
	if err := s.db.bulk.widen(ctx, s.tx, len(b.Tubes)*10); err != nil {
		return s.db.unavailable(err)
	}
	_, err = s.applyTubes(b.Tubes, st)
	return err
}

// change is RecordResult's part of the transaction: the update, the red
// rule, and the colour it leaves.
func (s *statusWriter) change(u lifeline.StatusUpdate) (lifeline.StatusChange, error) {
	res, err := s.apply(u)
	if err != nil {
		return lifeline.StatusChange{}, err
	}
	ch := lifeline.StatusChange{ResidentID: res.residentID, Changed: res.color || res.result}
	var red redRule
	red.note(res.residentID, u)
	if ch.Revoked, err = red.revoke(s); err != nil {
		return lifeline.StatusChange{}, err
	}
	var color string
	if err := s.queryRow(`SELECT color FROM residents WHERE id = ?`, []any{res.residentID}, &color); err != nil {
		return lifeline.StatusChange{}, s.db.unavailable(err)
	}
	ch.Color = lifeline.Color(color)
	return ch, nil
}
