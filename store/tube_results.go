package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// A tube's result is every member's: it is written for a chunk of tubes
// at a time with a few set-wise statements (one per kind of result), not
// member by member, so that a results file of a city's tubes, ten swabs
// each, imports at about the rate of a roster of as many people. Each
// member's test row is keyed, as any sample is, by (resident, sample time,
// site), their sample time being when their swab went into the tube, so
// the same result again changes nothing and a corrected one changes it.

// tubeChunk is how many tubes' results are written together.
const tubeChunk = 400

// tubeApplied is what applying one tube's result did.
type tubeApplied struct {
	id      int64
	changed bool
	result  lifeline.Result // each member's
}

// RecordTubeResult gives a tube's members its result in one transaction
// (see lifeline.RoundService) and says who they are, with their stored
// test rows and phones, for the caller's own notices.
func (db *DB) RecordTubeResult(ctx context.Context, r lifeline.TubeResult) (lifeline.TubeChange, error) {
	r.Code = strings.TrimSpace(r.Code)
	if err := lifeline.ValidTubeCode(r.Code); err != nil {
		return lifeline.TubeChange{}, err
	}
	if _, err := lifeline.ParseResult(string(r.Result)); err != nil {
		return lifeline.TubeChange{}, err
	}
	var ch lifeline.TubeChange
	err := db.tx(ctx, func(tx *sql.Tx) error {
		s := &statusWriter{db: db, tx: tx, ctx: ctx, now: ms(db.Now())}
		defer s.close()
		var st lifeline.ImportStats
		done, err := s.applyTubes([]lifeline.TubeResult{r}, &st)
		if err != nil {
			return err
		}
		ch = lifeline.TubeChange{TubeID: done[0].id, Code: r.Code, Changed: done[0].changed, Result: done[0].result, Queued: st.Queued}
		ch.Members, err = db.tubeMemberResults(ctx, tx, done[0].id)
		return err
	})
	if err != nil {
		return lifeline.TubeChange{}, err
	}
	return ch, nil
}

// tubeMemberResults reads a tube's members with their stored results of
// it and their own phones.
func (db *DB) tubeMemberResults(ctx context.Context, tx *sql.Tx, tubeID int64) ([]lifeline.TubeMemberResult, error) {
	ms, err := queryRows(ctx, db, tx, func(s scanner) (lifeline.TubeMemberResult, error) {
		var m lifeline.TubeMemberResult
		var at int64
		err := s.Scan(&m.ResidentID, &m.TestID, &m.Name, &at)
		m.SampledAt = fromMS(at)
		return m, err
	}, `SELECT g.resident_id, x.id, r.name, g.sampled_at FROM registrations g
		JOIN test_results x ON x.resident_id = g.resident_id AND x.sampled_at = g.sampled_at AND x.site = g.site
		JOIN residents r ON r.id = g.resident_id WHERE g.tube_id = ? ORDER BY g.id`, tubeID)
	if err != nil {
		return nil, err
	}
	for i := range ms {
		if ms[i].Phones, err = queryRows(ctx, db, tx, func(s scanner) (string, error) {
			var p string
			return p, s.Scan(&p)
		}, `SELECT phone FROM phones WHERE resident_id = ? ORDER BY position`, ms[i].ResidentID); err != nil {
			return nil, err
		}
	}
	return ms, nil
}

// applyTubes applies tubes' results in s's transaction, a chunk at a
// time, counting them in st, and says what it did to each.
func (s *statusWriter) applyTubes(results []lifeline.TubeResult, st *lifeline.ImportStats) ([]tubeApplied, error) {
	out := make([]tubeApplied, 0, len(results))
	for from := 0; from < len(results); from += tubeChunk {
		if err := s.ctx.Err(); err != nil {
			return nil, err
		}
		done, err := s.applyTubeChunk(results[from:min(from+tubeChunk, len(results))], st)
		if err != nil {
			return nil, err
		}
		out = append(out, done...)
	}
	return out, nil
}

// storedTube is what applying a result needs of a stored tube.
type storedTube struct {
	id     int64
	code   string
	size   int
	result string
	open   bool
}

func (s *statusWriter) applyTubeChunk(chunk []lifeline.TubeResult, st *lifeline.ImportStats) ([]tubeApplied, error) {
	codes := make([]any, len(chunk))
	for i, r := range chunk {
		codes[i] = r.Code
	}
	stored := map[string]storedTube{}
	err := eachRow(s.ctx, s.db, s.tx, func(sc scanner) (storedTube, error) {
		var t storedTube
		var closed int64
		err := sc.Scan(&t.id, &t.code, &t.size, &t.result, &closed)
		t.open = closed == 0
		return t, err
	}, func(t storedTube) error {
		stored[t.code] = t
		return nil
	}, `SELECT id, code, size, result, closed_at FROM tubes WHERE code IN (`+placeholders(len(codes))+`)`, codes...)
	if err != nil {
		return nil, err
	}
	// The tubes whose result changes, by what the tube says (with the
	// sender's id) and by what each member gets.
	type said struct {
		result lifeline.Result
		extID  string
	}
	byTube, byMember := map[said][]any{}, map[lifeline.Result][]any{}
	var open []any // tubes the lab has that staff had not closed
	out := make([]tubeApplied, len(chunk))
	for i, r := range chunk {
		t, ok := stored[r.Code]
		if !ok {
			return nil, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("找不到试管 "+r.Code+"：它不是本系统登记的试管", "unknown tube "+r.Code+": no tube of that barcode was registered here"))
		}
		tube := lifeline.Tube{Size: t.size}
		out[i] = tubeApplied{id: t.id, result: tube.MemberResult(r.Result)}
		if t.result == string(r.Result) {
			continue
		}
		out[i].changed = true
		t.result = string(r.Result)
		stored[r.Code] = t // the same tube twice in a chunk: the first result is news, the second not
		k := said{r.Result, r.ExternalID}
		byTube[k] = append(byTube[k], t.id)
		if t.open {
			open, t.open = append(open, t.id), false
			stored[r.Code] = t
		}
		byMember[out[i].result] = append(byMember[out[i].result], t.id)
		st.Tubes++
	}
	for k, ids := range byTube {
		if err := s.tubesSay(k.result, k.extID, ids); err != nil {
			return nil, err
		}
	}
	// A tube the lab has is closed: its people may go into other tubes
	// of the round (a retest).
	if len(open) > 0 {
		if _, err := s.tx.ExecContext(s.ctx, s.db.SQL(`UPDATE registrations SET open_round = NULL WHERE tube_id IN (`+placeholders(len(open))+`)`), open...); err != nil {
			return nil, s.db.unavailable(err)
		}
	}
	for r, ids := range byMember {
		if err := s.membersGet(r, ids, st); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// tubesSay stores what the tubes ids say; a tube the lab has is closed,
// if staff had not closed it.
func (s *statusWriter) tubesSay(r lifeline.Result, extID string, ids []any) error {
	_, err := s.tx.ExecContext(s.ctx, s.db.SQL(`UPDATE tubes SET result = ?, result_id = ?, result_at = ?, closed_at = CASE WHEN closed_at = 0 THEN ? ELSE closed_at END WHERE id IN (`+placeholders(len(ids))+`)`),
		append([]any{string(r), extID, s.now, s.now}, ids...)...)
	if err != nil {
		return s.db.unavailable(err)
	}
	return nil
}

// membersGet gives every member of the tubes ids the result r: their
// test rows, their latest test, their standing in the round, and for a
// positive pool the "retest alone" SMS.
func (s *statusWriter) membersGet(r lifeline.Result, ids []any, st *lifeline.ImportStats) error {
	in := placeholders(len(ids))
	// The WHERE also keeps SQLite from reading ON CONFLICT as a join's ON.
	res, err := s.tx.ExecContext(s.ctx, s.db.SQL(`INSERT INTO test_results (resident_id, sampled_at, result, site, tube, received_at)
		SELECT g.resident_id, g.sampled_at, ?, g.site, g.tube, ? FROM registrations g WHERE g.tube_id IN (`+in+`)
		ON CONFLICT (resident_id, sampled_at, site) DO UPDATE SET result = excluded.result, tube = excluded.tube, received_at = excluded.received_at
		WHERE test_results.result <> excluded.result OR test_results.tube <> excluded.tube`), append([]any{string(r), s.now}, ids...)...)
	if err != nil {
		return s.db.unavailable(err)
	}
	n, _ := res.RowsAffected()
	st.Results += int(n)
	if r == lifeline.PooledPositive {
		st.PooledPositive += int(n)
	}
	// Each member's latest test is their newest sample, as applyTest
	// keeps it.
	if _, err := s.tx.ExecContext(s.ctx, s.db.SQL(`UPDATE residents SET status_updated_at = ?,
		latest_test_id = (SELECT x.id FROM test_results x WHERE x.resident_id = residents.id ORDER BY x.sampled_at DESC, x.id DESC LIMIT 1)
		WHERE id IN (SELECT g.resident_id FROM registrations g WHERE g.tube_id IN (`+in+`))`), append([]any{s.now}, ids...)...); err != nil {
		return s.db.unavailable(err)
	}
	// Members whose latest sample in the round is in these tubes stand
	// where the result puts anyone sampled (a pending result leaves them
	// sampled, as they are). Only those it moves are written: a negative
	// pool moves no one, and writing a row rewrites its entries in the
	// round's indexes.
	if r != lifeline.Pending {
		to := lifeline.RoundMember{State: lifeline.Sampled}.Resulted(r, time.Time{})
		if _, err := s.tx.ExecContext(s.ctx, s.db.SQL(`UPDATE round_members SET state = ?, retest = ? WHERE tube_id IN (`+in+`) AND (state <> ? OR retest <> ?)`),
			append(append([]any{string(to.State), boolInt(to.Retest)}, ids...), string(to.State), boolInt(to.Retest))...); err != nil {
			return s.db.unavailable(err)
		}
	}
	if r == lifeline.PooledPositive {
		return s.queueRetests(ids, st)
	}
	return nil
}

// queueRetests queues, with the result, the "retest alone" SMS to each
// phone of each member of positive pools, keyed as the gateway's own
// notice of that test row (result:<test id>:<phone>), so that it is
// queued once whichever comes first.
func (s *statusWriter) queueRetests(ids []any, st *lifeline.ImportStats) error {
	type notice struct {
		testID  int64
		name    string
		sampled int64
		phone   string
	}
	ns, err := queryRows(s.ctx, s.db, s.tx, func(sc scanner) (notice, error) {
		var n notice
		return n, sc.Scan(&n.testID, &n.name, &n.sampled, &n.phone)
	}, `SELECT x.id, r.name, x.sampled_at, p.phone FROM registrations g
		JOIN test_results x ON x.resident_id = g.resident_id AND x.sampled_at = g.sampled_at AND x.site = g.site
		JOIN residents r ON r.id = g.resident_id JOIN phones p ON p.resident_id = g.resident_id
		WHERE g.tube_id IN (`+placeholders(len(ids))+`) ORDER BY g.id, p.position`, ids...)
	if err != nil {
		return err
	}
	for _, n := range ns {
		m := &lifeline.OutboxMessage{To: n.phone, Kind: "result", DedupeKey: fmt.Sprintf("result:%d:%s", n.testID, n.phone),
			Body: lifeline.PooledPositiveSMS(n.name, fromMS(n.sampled))}
		if err := s.db.enqueueTx(s.ctx, s.tx, m, fromMS(s.now)); err != nil {
			return err
		}
		if m.State == lifeline.OutboxQueued && !m.CreatedAt.IsZero() {
			st.Queued++
		}
	}
	return nil
}

// roundsCovering returns the ids of the rounds whose window holds a sample
// taken at t, reading the (few) rounds once per transaction.
func (s *statusWriter) roundsCovering(t time.Time) ([]int64, error) {
	if !s.roundsRead {
		rs, err := queryRows(s.ctx, s.db, s.tx, scanRound, `SELECT `+roundCols+` FROM rounds`)
		if err != nil {
			return nil, err
		}
		s.rounds, s.roundsRead = rs, true
	}
	var ids []int64
	for _, r := range s.rounds {
		if r.Covers(t) {
			ids = append(ids, r.ID)
		}
	}
	return ids, nil
}

// countInRounds updates a resident's standing in every round whose
// window holds a result's sample, by the rule of lifeline.RoundMember.
func (s *statusWriter) countInRounds(residentID int64, t lifeline.TestResult) error {
	return s.updateMembers(residentID, t.SampledAt, func(m lifeline.RoundMember) lifeline.RoundMember {
		return m.Resulted(t.Result, t.SampledAt)
	})
}

// updateMembers changes a resident's standing in the rounds whose window
// holds a sample taken at t and that list them.
func (s *statusWriter) updateMembers(residentID int64, t time.Time, change func(lifeline.RoundMember) lifeline.RoundMember) error {
	ids, err := s.roundsCovering(t)
	if err != nil {
		return err
	}
	for _, id := range ids {
		m, listed, err := s.db.roundMember(s.ctx, s.tx, id, residentID)
		if err != nil {
			return err
		}
		if next := change(m); listed && next != m {
			if err := s.db.saveRoundMember(s.ctx, s.tx, next); err != nil {
				return err
			}
		}
	}
	return nil
}
