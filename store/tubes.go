package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// A pooled tube's swabs are registrations with the tube and its round:
// each is stored the moment it is added, and the tube is delivered
// upstream, once closed, as one message with its members (see
// PendingTubes). A resident is kept out of two open tubes of one round by
// a unique index over (open_round, resident_id), which holds whichever
// replica adds them; a tube keeps to its size with one conditional UPDATE
// of its count.

const tubeCols = `id, round_id, code, size, members, site, staff, idempotency_key, opened_at, closed_at, delivered_at, attempts, last_error, result, result_at`

func scanTube(s scanner) (lifeline.Tube, int, error) {
	var t lifeline.Tube
	var members int
	var result string
	var opened, closed, delivered, resultAt int64
	err := s.Scan(&t.ID, &t.RoundID, &t.Code, &t.Size, &members, &t.Site, &t.Staff, &t.IdempotencyKey, &opened, &closed, &delivered, &t.Attempts, &t.LastError, &result, &resultAt)
	t.OpenedAt, t.ClosedAt, t.DeliveredAt, t.ResultAt = fromMS(opened), fromMS(closed), fromMS(delivered), fromMS(resultAt)
	t.Result = lifeline.Result(result)
	return t, members, err
}

func errTubeNotFound() error {
	return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("找不到该试管", "no such tube"))
}

// newKey is a random idempotency key.
func newKey() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// tubeOn reads the tube whose column (id or code) is v, with how many
// swabs it holds and its round, which the actor in ctx must see.
func (db *DB) tubeOn(ctx context.Context, q queryer, column string, v any) (*lifeline.Tube, int, *lifeline.Round, error) {
	t, n, err := scanTube(q.QueryRowContext(ctx, db.SQL(`SELECT `+tubeCols+` FROM tubes WHERE `+column+` = ?`), v))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil, errTubeNotFound()
	}
	if err != nil {
		return nil, 0, nil, db.unavailable(err)
	}
	round, err := db.roundOn(ctx, q, t.RoundID)
	if lifeline.ErrorCode(err) == lifeline.ENOTFOUND {
		return nil, 0, nil, errTubeNotFound()
	}
	if err != nil {
		return nil, 0, nil, err
	}
	return &t, n, round, nil
}

// withMembers fills in the members of tubes, in the order they were
// added.
func (db *DB) withMembers(ctx context.Context, q queryer, tubes []lifeline.Tube) error {
	for i := range tubes {
		ms, err := queryRows(ctx, db, q, func(s scanner) (lifeline.TubeMember, error) {
			var m lifeline.TubeMember
			var at int64
			err := s.Scan(&m.RegistrationID, &m.ResidentID, &m.Name, &at)
			m.SampledAt = fromMS(at)
			return m, err
		}, `SELECT g.id, g.resident_id, r.name, g.sampled_at FROM registrations g JOIN residents r ON r.id = g.resident_id WHERE g.tube_id = ? ORDER BY g.id`, tubes[i].ID)
		if err != nil {
			return err
		}
		tubes[i].Members = ms
	}
	return nil
}

// loadTube reads a tube with its members inside tx.
func (db *DB) loadTube(ctx context.Context, tx *sql.Tx, id int64) (*lifeline.Tube, error) {
	t, _, _, err := db.tubeOn(ctx, tx, "id", id)
	if err != nil {
		return nil, err
	}
	ts := []lifeline.Tube{*t}
	if err := db.withMembers(ctx, tx, ts); err != nil {
		return nil, err
	}
	return &ts[0], nil
}

// OpenTube starts a tube in a round, or fills t with the open tube of the
// round that has its barcode (a worker scanning it again to add more).
func (db *DB) OpenTube(ctx context.Context, t *lifeline.Tube) error {
	t.Code = strings.TrimSpace(t.Code)
	if err := lifeline.ValidTubeCode(t.Code); err != nil {
		return err
	}
	round, err := db.Round(ctx, t.RoundID)
	if err != nil {
		return err
	}
	if t.Size == 0 {
		t.Size = round.Pool
	}
	if t.Size != round.Pool && t.Size != 1 {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("试管人数应为本轮的混管人数或 1", "a tube holds the round's pool size or one person"))
	}
	actor, now := lifeline.ActorFrom(ctx).User, db.Now()
	key, err := newKey()
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, db.SQL(`INSERT INTO tubes (round_id, code, size, site, staff, idempotency_key, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (code) DO NOTHING RETURNING id`), t.RoundID, t.Code, t.Size, t.Site, actor, key, ms(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			old, _, _, err := db.tubeOn(ctx, tx, "code", t.Code)
			switch {
			case lifeline.ErrorCode(err) == lifeline.ENOTFOUND || (err == nil && old.RoundID != t.RoundID):
				return lifeline.Errorf(lifeline.ECONFLICT, lifeline.T("此条码已是另一轮检测的试管", "this barcode is a tube of another round"))
			case err != nil:
				return err
			case !old.Open():
				return lifeline.Errorf(lifeline.ECONFLICT, lifeline.T("试管 "+t.Code+" 已封管，请换一支新试管", "tube "+t.Code+" is closed already; take a new tube"))
			}
			got, err := db.loadTube(ctx, tx, old.ID)
			if err == nil {
				*t = *got
			}
			return err
		}
		if err != nil {
			return db.unavailable(err)
		}
		got, err := db.loadTube(ctx, tx, id)
		if err != nil {
			return err
		}
		*t = *got
		return db.auditTx(ctx, tx, ms(now), actor, "tube", 0, fmt.Sprintf("round %d: open tube %s for %d", t.RoundID, t.Code, t.Size))
	})
}

// roundMember reads a resident's standing in a round; ok is false when
// the round does not list them.
func (db *DB) roundMember(ctx context.Context, q queryer, roundID, residentID int64) (m lifeline.RoundMember, ok bool, err error) {
	var state string
	var retest int
	var tube sql.NullInt64
	var at int64
	err = q.QueryRowContext(ctx, db.SQL(`SELECT state, retest, tube_id, sampled_at FROM round_members WHERE round_id = ? AND resident_id = ?`), roundID, residentID).Scan(&state, &retest, &tube, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, db.unavailable(err)
	}
	return lifeline.RoundMember{RoundID: roundID, ResidentID: residentID, State: lifeline.SampleState(state), Retest: retest != 0, TubeID: tube.Int64, SampledAt: fromMS(at)}, true, nil
}

// saveRoundMember writes a member's standing.
func (db *DB) saveRoundMember(ctx context.Context, q queryer, m lifeline.RoundMember) error {
	_, err := q.ExecContext(ctx, db.SQL(`UPDATE round_members SET state = ?, retest = ?, tube_id = ?, sampled_at = ? WHERE round_id = ? AND resident_id = ?`),
		string(m.State), boolInt(m.Retest), nullID(m.TubeID), ms(m.SampledAt), m.RoundID, m.ResidentID)
	if err != nil {
		return db.unavailable(err)
	}
	return nil
}

// AddToTube stores a resident's swab in an open tube at once, with its
// audit entry, and closes the tube when it is full. A person to be
// retested alone turns an empty tube into a single tube, and is refused
// by one that holds others; a person already sampled in the round, or in
// another open tube of it, is refused.
func (db *DB) AddToTube(ctx context.Context, tubeID, residentID int64) (*lifeline.Tube, error) {
	actor, now := lifeline.ActorFrom(ctx).User, db.Now()
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	var out *lifeline.Tube
	err = db.tx(ctx, func(tx *sql.Tx) error {
		t, n, _, err := db.tubeOn(ctx, tx, "id", tubeID)
		if err != nil {
			return err
		}
		if !t.Open() {
			return lifeline.Errorf(lifeline.ECONFLICT, lifeline.T("试管 "+t.Code+" 已封管", "tube "+t.Code+" is closed"))
		}
		if err := db.checkResident(ctx, tx, residentID); err != nil {
			return err
		}
		member, listed, err := db.roundMember(ctx, tx, t.RoundID, residentID)
		if err != nil {
			return err
		}
		size := t.Size
		if listed {
			size = member.TubeSizeFor(t.Size, n)
			if member, err = member.AddedToTube(t.ID, size, now); err != nil {
				return err
			}
			if err := db.saveRoundMember(ctx, tx, member); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, db.SQL(`UPDATE tubes SET members = members + 1, size = ? WHERE id = ? AND closed_at = 0 AND members < ?`), size, t.ID, size)
		if err != nil {
			return db.unavailable(err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return lifeline.Errorf(lifeline.ECONFLICT, lifeline.T("试管 "+t.Code+" 已满", "tube "+t.Code+" is full"))
		}
		var regID int64
		err = tx.QueryRowContext(ctx, db.SQL(`INSERT INTO registrations (resident_id, tube, site, sampled_at, staff, idempotency_key, created_at, tube_id, round_id, open_round)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`),
			residentID, t.Code, t.Site, ms(now), actor, key, ms(now), t.ID, t.RoundID, t.RoundID).Scan(&regID)
		if errors.Is(err, sql.ErrNoRows) {
			return db.inOpenTube(ctx, tx, t.RoundID, residentID)
		}
		if err != nil {
			return db.unavailable(err)
		}
		if n+1 >= size {
			if err := db.closeTube(ctx, tx, t.ID, ms(now)); err != nil {
				return err
			}
		}
		if err := db.auditTx(ctx, tx, ms(now), actor, "register", residentID, fmt.Sprintf("round %d tube %s (%d/%d)", t.RoundID, t.Code, n+1, size)); err != nil {
			return err
		}
		out, err = db.loadTube(ctx, tx, t.ID)
		return err
	})
	return out, err
}

// inOpenTube is the error of adding a resident who is in another open
// tube of the round.
func (db *DB) inOpenTube(ctx context.Context, tx *sql.Tx, roundID, residentID int64) error {
	var code string
	err := tx.QueryRowContext(ctx, db.SQL(`SELECT tube FROM registrations WHERE open_round = ? AND resident_id = ?`), roundID, residentID).Scan(&code)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return db.unavailable(err)
	}
	return lifeline.Errorf(lifeline.ECONFLICT, lifeline.T("此人已在本轮另一支未封管的试管 "+code+" 中", "already in another open tube of this round, "+code))
}

// closeTube closes a tube in tx: it is delivered from now on, and its
// members may go into other tubes of the round (a retest).
func (db *DB) closeTube(ctx context.Context, tx *sql.Tx, id, at int64) error {
	if _, err := tx.ExecContext(ctx, db.SQL(`UPDATE tubes SET closed_at = ? WHERE id = ? AND closed_at = 0`), at, id); err != nil {
		return db.unavailable(err)
	}
	if _, err := tx.ExecContext(ctx, db.SQL(`UPDATE registrations SET open_round = NULL WHERE tube_id = ?`), id); err != nil {
		return db.unavailable(err)
	}
	return nil
}

// RemoveFromTube takes a swab added by mistake out of an open tube: the
// registration is deleted (it was never delivered: the tube is open), with
// an audit entry saying so, and the resident is to be sampled again.
func (db *DB) RemoveFromTube(ctx context.Context, tubeID, residentID int64) (*lifeline.Tube, error) {
	actor, now := lifeline.ActorFrom(ctx).User, ms(db.Now())
	var out *lifeline.Tube
	err := db.tx(ctx, func(tx *sql.Tx) error {
		t, n, round, err := db.tubeOn(ctx, tx, "id", tubeID)
		if err != nil {
			return err
		}
		if !t.Open() {
			return lifeline.Errorf(lifeline.ECONFLICT, lifeline.T("试管 "+t.Code+" 已封管，不能再改", "tube "+t.Code+" is closed and cannot change"))
		}
		var regID int64
		err = tx.QueryRowContext(ctx, db.SQL(`SELECT id FROM registrations WHERE tube_id = ? AND resident_id = ?`), tubeID, residentID).Scan(&regID)
		if errors.Is(err, sql.ErrNoRows) {
			return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("此人不在这支试管中", "this resident is not in the tube"))
		}
		if err != nil {
			return db.unavailable(err)
		}
		size := t.Size
		if n == 1 {
			size = round.Pool // an emptied retest tube is an ordinary tube again
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`DELETE FROM registrations WHERE id = ?`, []any{regID}},
			{`UPDATE tubes SET members = members - 1, size = ? WHERE id = ?`, []any{size, tubeID}},
		} {
			if _, err := tx.ExecContext(ctx, db.SQL(q.sql), q.args...); err != nil {
				return db.unavailable(err)
			}
		}
		if err := db.restoreMember(ctx, tx, t, residentID); err != nil {
			return err
		}
		if err := db.auditTx(ctx, tx, now, actor, "unregister", residentID, fmt.Sprintf("round %d tube %s: removed", t.RoundID, t.Code)); err != nil {
			return err
		}
		out, err = db.loadTube(ctx, tx, tubeID)
		return err
	})
	return out, err
}

// restoreMember puts a resident whose swab left tube t back to where they
// stood before it: their latest other sample in the round, if any.
func (db *DB) restoreMember(ctx context.Context, tx *sql.Tx, t *lifeline.Tube, residentID int64) error {
	m, listed, err := db.roundMember(ctx, tx, t.RoundID, residentID)
	if err != nil || !listed {
		return err
	}
	var prevTube sql.NullInt64
	var prevAt int64
	err = tx.QueryRowContext(ctx, db.SQL(`SELECT tube_id, sampled_at FROM registrations WHERE round_id = ? AND resident_id = ? ORDER BY id DESC LIMIT 1`),
		t.RoundID, residentID).Scan(&prevTube, &prevAt)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return db.unavailable(err)
	}
	return db.saveRoundMember(ctx, tx, m.RemovedFromTube(t.ID, prevTube.Int64, fromMS(prevAt)))
}

// CloseTube closes a tube that is not full, so it is delivered; an empty
// one is thrown away and nil returned. Closing a closed tube changes
// nothing.
func (db *DB) CloseTube(ctx context.Context, tubeID int64) (*lifeline.Tube, error) {
	actor, now := lifeline.ActorFrom(ctx).User, ms(db.Now())
	var out *lifeline.Tube
	err := db.tx(ctx, func(tx *sql.Tx) error {
		t, n, _, err := db.tubeOn(ctx, tx, "id", tubeID)
		if err != nil {
			return err
		}
		switch {
		case !t.Open():
		case n == 0:
			if _, err := tx.ExecContext(ctx, db.SQL(`DELETE FROM tubes WHERE id = ? AND members = 0`), tubeID); err != nil {
				return db.unavailable(err)
			}
			return db.auditTx(ctx, tx, now, actor, "tube", 0, fmt.Sprintf("round %d: empty tube %s thrown away", t.RoundID, t.Code))
		default:
			if err := db.closeTube(ctx, tx, tubeID, now); err != nil {
				return err
			}
			if err := db.auditTx(ctx, tx, now, actor, "tube", 0, fmt.Sprintf("round %d: tube %s closed with %d of %d", t.RoundID, t.Code, n, t.Size)); err != nil {
				return err
			}
		}
		out, err = db.loadTube(ctx, tx, tubeID)
		return err
	})
	return out, err
}

// TubeByCode returns a tube with its members; one of a round the actor may
// not see is not found.
func (db *DB) TubeByCode(ctx context.Context, code string) (*lifeline.Tube, error) {
	t, _, _, err := db.tubeOn(ctx, db.r, "code", strings.TrimSpace(code))
	if err != nil {
		return nil, err
	}
	ts := []lifeline.Tube{*t}
	if err := db.withMembers(ctx, db.r, ts); err != nil {
		return nil, err
	}
	return &ts[0], nil
}

// OpenTubes returns a round's open tubes with their members, oldest first.
func (db *DB) OpenTubes(ctx context.Context, roundID int64) ([]lifeline.Tube, error) {
	if _, err := db.Round(ctx, roundID); err != nil {
		return nil, err
	}
	ts, err := db.tubes(ctx, `WHERE round_id = ? AND closed_at = 0 ORDER BY id`, roundID)
	if err != nil {
		return nil, err
	}
	return ts, db.withMembers(ctx, db.r, ts)
}

func (db *DB) tubes(ctx context.Context, where string, args ...any) ([]lifeline.Tube, error) {
	return queryRows(ctx, db, db.r, func(s scanner) (lifeline.Tube, error) {
		t, _, err := scanTube(s)
		return t, err
	}, `SELECT `+tubeCols+` FROM tubes `+where, args...)
}

// KnownTubes returns which of codes are tubes in the store, whatever their
// round: what an import checks results by tube against.
func (db *DB) KnownTubes(ctx context.Context, codes []string) (map[string]bool, error) {
	known := map[string]bool{}
	for from := 0; from < len(codes); from += 500 {
		chunk := codes[from:min(from+500, len(codes))]
		args := make([]any, len(chunk))
		for i, c := range chunk {
			args[i] = c
		}
		err := eachRow(ctx, db, db.r, func(s scanner) (string, error) {
			var c string
			return c, s.Scan(&c)
		}, func(c string) error { known[c] = true; return nil }, `SELECT code FROM tubes WHERE code IN (`+placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, err
		}
	}
	return known, nil
}

// PendingTubes returns closed tubes waiting to be delivered, in the order
// they were closed, with their members.
func (db *DB) PendingTubes(ctx context.Context, limit int) ([]lifeline.Tube, error) {
	if limit <= 0 {
		limit = 100
	}
	ts, err := db.tubes(ctx, `WHERE delivered_at = 0 AND closed_at > 0 ORDER BY closed_at, id LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	return ts, db.withMembers(ctx, db.r, ts)
}

// MarkTubeDelivered records that upstream accepted a tube, and with it
// every swab in it.
func (db *DB) MarkTubeDelivered(ctx context.Context, id int64, at time.Time) error {
	if at.IsZero() {
		at = db.Now()
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.SQL(`UPDATE tubes SET delivered_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`), ms(at), id)
		if err != nil {
			return db.unavailable(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errTubeNotFound()
		}
		if _, err := tx.ExecContext(ctx, db.SQL(`UPDATE registrations SET delivered_at = ?, attempts = attempts + 1, last_error = '' WHERE tube_id = ?`), ms(at), id); err != nil {
			return db.unavailable(err)
		}
		return nil
	})
}

// MarkTubeFailed counts a failed delivery of a tube and keeps its error;
// the tube stays pending.
func (db *DB) MarkTubeFailed(ctx context.Context, id int64, msg string) error {
	res, err := db.w.ExecContext(ctx, db.SQL(`UPDATE tubes SET attempts = attempts + 1, last_error = ? WHERE id = ?`), msg, id)
	if err != nil {
		return db.unavailable(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errTubeNotFound()
	}
	return nil
}
