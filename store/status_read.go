package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	lifeline "github.com/lifeline-health/lifeline"
)

// statusByPhoneQuery finds the residents some phones may ask about and
// reads what a status reply shows of each, in one statement (so one read
// transaction, one round trip) for every phone in a JSON array: for each
// phone, the residents who have it (own = 1), and those linked by an active
// link to the phone itself or to a resident who has it. Pending and
// rejected links give nothing, exactly as in CaredForByPhone. A resident
// reached twice comes twice; StatusByPhone keeps one (deduplicating a
// handful of rows in Go is cheaper than the temporary B-tree a GROUP BY or
// UNION would build on every message).
//
// Every phone lookup gives tail4 with the phone so that it uses the
// phones_tail index. CROSS JOIN fixes SQLite's join order: from the phones
// asked about to their links (relatives_relative) to the resident, instead
// of reading every approved link through relatives_state, its choice for a
// plain JOIN; PostgreSQL treats it as the inner join it is. The first line
// (the list of phones) differs by dialect: see dialect.phoneArray.
const statusByPhoneQuery = `
	SELECT q.phone, 1, '', ` + statusCols + ` FROM q CROSS JOIN phones p CROSS JOIN residents r` + statusJoins + `
	WHERE p.tail4 = q.tail4 AND p.phone = q.phone AND r.id = p.resident_id
	UNION ALL
	SELECT q.phone, 0, rel.relation, ` + statusCols + ` FROM q CROSS JOIN relatives rel CROSS JOIN residents r` + statusJoins + `
	WHERE rel.phone = q.phone AND rel.state IN ('auto_approved', 'approved') AND r.id = rel.resident_id
	UNION ALL
	SELECT q.phone, 0, rel.relation, ` + statusCols + ` FROM q CROSS JOIN phones p CROSS JOIN relatives rel CROSS JOIN residents r` + statusJoins + `
	WHERE p.tail4 = q.tail4 AND p.phone = q.phone AND rel.relative_resident_id = p.resident_id
		AND rel.state IN ('auto_approved', 'approved') AND r.id = rel.resident_id`

// statusByPhoneSQL is statusByPhoneQuery, its one parameter a JSON array
// of normalised phones: made once per store, as it is the text every
// message's read looks its prepared statement up by.
func (db *DB) statusByPhoneSQL() string {
	db.statusSQL.once.Do(func() { db.statusSQL.text = db.SQL(db.dialect.phoneArray + statusByPhoneQuery) })
	return db.statusSQL.text
}

// statusCols reads of a resident what a status reply shows, and what
// tells two people with alike masked names apart (sex, for the relation's
// word, and the last two characters of the document: never the number).
const (
	statusCols  = `r.id, r.name, r.sex, substr(r.doc_number, length(r.doc_number) - 1), r.color, r.status_updated_at, COALESCE(h.community, ''), t.sampled_at, t.result`
	statusJoins = ` LEFT JOIN households h ON h.id = r.household_id LEFT JOIN test_results t ON t.id = r.latest_test_id`
)

// StatusByPhone returns the residents a phone may ask about (the same
// people, in the same order, as CaredForByPhone: the phone's own residents
// first, then the people it cares for, by name) with only what a status
// reply needs: ID, Name, Sex, Status.Color, Status.UpdatedAt,
// Status.Latest (SampledAt and Result), Address.Community, and Tie (how the
// phone reaches them: own, or the relation of the link, and the last two
// characters of the document). Document numbers and other personal data
// are not read at all.
//
// It reads the store as it is now (no cache): a status written by any
// process before the call is in its answer.
//
// It is the SMS gateway's read, one per message, and in a surge messages
// arrive together: so concurrent calls are read together (group read, as
// BeginInbound commits together; see batcher). Every read begins after all
// of its calls were made, so no one gets a state older than their call.
// Nothing waits on purpose: an idle gateway reads each message alone, and
// the busier it is the more messages share one statement and one read
// transaction, so a phone costs less the more phones ask at once
// (BenchmarkStatusByPhone).
func (db *DB) StatusByPhone(ctx context.Context, phone string) ([]*lifeline.Resident, error) {
	p, err := lifeline.NormalizePhone(phone)
	if err != nil {
		return nil, err
	}
	w := &statusWait{phone: p, done: make(chan struct{})}
	db.statusReads.add(w)
	select {
	case <-w.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// One batch reads for callers of any community: each keeps what its
	// actor may see (see scope.go).
	return visible(ctx, w.out), w.err
}

type statusWait struct {
	phone string
	out   []*lifeline.Resident
	err   error
	done  chan struct{}
}

// maxStatusBatch bounds the phones read in one statement.
const maxStatusBatch = 256

// readStatuses reads a batch of calls' statuses in one statement and wakes
// their callers.
func (db *DB) readStatuses(batch []*statusWait) {
	byPhone, err := db.statusRows(batch)
	for _, w := range batch {
		if err != nil {
			w.err = err
		} else {
			w.out = byPhone[w.phone].residents()
		}
		close(w.done)
	}
}

// statusRows runs statusByPhoneQuery for the phones of batch (the
// context: batchContext).
func (db *DB) statusRows(batch []*statusWait) (map[string]*phoneStatus, error) {
	ctx, cancel := db.batchContext()
	defer cancel()
	byPhone := make(map[string]*phoneStatus, len(batch))
	phones := make([]string, 0, len(batch))
	for _, w := range batch {
		if byPhone[w.phone] == nil {
			byPhone[w.phone] = &phoneStatus{}
			phones = append(phones, w.phone)
		}
	}
	arg, err := json.Marshal(phones)
	if err != nil {
		return nil, err
	}
	st, err := db.prepared(ctx, db.r, db.statusByPhoneSQL())
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, string(arg))
	if err != nil {
		return nil, db.unavailable(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			phone    string
			isOwn    int
			relation string
			r        lifeline.Resident
			sex      string
			color    string
			updated  int64
			sampled  *int64
			result   *string
		)
		if err := rows.Scan(&phone, &isOwn, &relation, &r.ID, &r.Name, &sex, &r.Tie.DocTail, &color, &updated, &r.Address.Community, &sampled, &result); err != nil {
			return nil, db.unavailable(err)
		}
		ps := byPhone[phone]
		if ps == nil {
			return nil, fmt.Errorf("status read: a row for a phone not asked about")
		}
		if i := slices.IndexFunc(ps.rows, func(o *lifeline.Resident) bool { return o.ID == r.ID }); i >= 0 {
			// Reached twice: the phone's own, or the first link's relation.
			if isOwn != 0 && !ps.own[i] {
				ps.own[i], ps.rows[i].Tie.Relation = true, ""
			}
			continue
		}
		r.Sex = lifeline.Sex(sex)
		r.Tie.Relation = relation
		r.Status.Color = lifeline.Color(color)
		r.Status.UpdatedAt = fromMS(updated)
		if sampled != nil && result != nil {
			r.Status.Latest = &lifeline.TestResult{ResidentID: r.ID, SampledAt: fromMS(*sampled), Result: lifeline.Result(*result)}
		}
		ps.own = append(ps.own, isOwn != 0)
		ps.rows = append(ps.rows, &r)
	}
	if err := rows.Err(); err != nil {
		return nil, db.unavailable(err)
	}
	for _, ps := range byPhone {
		for i, r := range ps.rows {
			r.Tie.Own = ps.own[i]
		}
		if len(ps.rows) > 1 {
			first := make(map[int64]bool, len(ps.rows))
			for i, r := range ps.rows {
				first[r.ID] = ps.own[i]
			}
			sortResidents(ps.rows, func(r *lifeline.Resident) bool { return first[r.ID] })
		}
	}
	return byPhone, nil
}

// phoneStatus is what one phone may see, each resident once, in reply
// order once statusRows returns; while it reads, own[i] says whether
// rows[i] has the phone.
type phoneStatus struct {
	rows []*lifeline.Resident
	own  []bool
}

// residents returns the residents, each a copy of its own (two calls for
// one phone in a batch share nothing).
func (ps *phoneStatus) residents() []*lifeline.Resident {
	if ps == nil || len(ps.rows) == 0 {
		return nil
	}
	out := make([]*lifeline.Resident, len(ps.rows))
	for i, r := range ps.rows {
		c := *r
		if r.Status.Latest != nil {
			t := *r.Status.Latest
			c.Status.Latest = &t
		}
		out[i] = &c
	}
	return out
}
