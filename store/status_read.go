package store

import (
	"context"
	"slices"

	lifeline "github.com/lifeline-health/lifeline"
)

// statusByPhoneQuery finds the residents a phone may ask about and reads
// what a status reply shows of each, in one statement (so one read
// transaction, one round trip): the residents who have the phone (own = 1),
// and those linked by an active link to the phone itself or to a resident
// who has it. Pending and rejected links give nothing, exactly as in
// CaredForByPhone. A resident reached twice comes twice; StatusByPhone
// keeps one (deduplicating a handful of rows in Go is cheaper than the
// temporary B-tree a GROUP BY or UNION would build on every message).
//
// Every phone lookup gives tail4 with the phone so that it uses the
// phones_tail index. CROSS JOIN fixes SQLite's join order: from the phone
// to its links (relatives_relative) to the resident, instead of reading
// every approved link through relatives_state, its choice for a plain
// JOIN; PostgreSQL treats it as the inner join it is.
const statusByPhoneQuery = `
	SELECT 1, ` + statusCols + ` FROM phones p CROSS JOIN residents r` + statusJoins + `
	WHERE p.tail4 = ? AND p.phone = ? AND r.id = p.resident_id
	UNION ALL
	SELECT 0, ` + statusCols + ` FROM relatives rel CROSS JOIN residents r` + statusJoins + `
	WHERE rel.phone = ? AND rel.state IN ('auto_approved', 'approved') AND r.id = rel.resident_id
	UNION ALL
	SELECT 0, ` + statusCols + ` FROM phones p CROSS JOIN relatives rel CROSS JOIN residents r` + statusJoins + `
	WHERE p.tail4 = ? AND p.phone = ? AND rel.relative_resident_id = p.resident_id
		AND rel.state IN ('auto_approved', 'approved') AND r.id = rel.resident_id`

const (
	statusCols  = `r.id, r.name, r.color, r.status_updated_at, COALESCE(h.community, ''), t.sampled_at, t.result`
	statusJoins = ` LEFT JOIN households h ON h.id = r.household_id LEFT JOIN test_results t ON t.id = r.latest_test_id`
)

// StatusByPhone returns the residents a phone may ask about (the same
// people, in the same order, as CaredForByPhone: the phone's own residents
// first, then the people it cares for, by name) with only what a status
// reply needs: ID, Name, Status.Color, Status.UpdatedAt, Status.Latest
// (SampledAt and Result) and Address.Community. Document numbers and other
// personal data are not read at all.
//
// It reads the store as it is now (no cache), in one statement: a status
// written by any process is in the next answer.
func (db *DB) StatusByPhone(ctx context.Context, phone string) ([]*lifeline.Resident, error) {
	p, err := lifeline.NormalizePhone(phone)
	if err != nil {
		return nil, err
	}
	st, err := db.prepared(ctx, db.r, db.SQL(statusByPhoneQuery))
	if err != nil {
		return nil, err
	}
	tail := lifeline.PhoneTail(p)
	rows, err := st.QueryContext(ctx, tail, p, p, tail, p)
	if err != nil {
		return nil, db.unavailable(err)
	}
	defer rows.Close()
	var out []*lifeline.Resident
	var own []bool // own[i]: out[i] has the phone
	for rows.Next() {
		var (
			r       lifeline.Resident
			isOwn   int
			color   string
			updated int64
			sampled *int64
			result  *string
		)
		if err := rows.Scan(&isOwn, &r.ID, &r.Name, &color, &updated, &r.Address.Community, &sampled, &result); err != nil {
			return nil, db.unavailable(err)
		}
		if i := slices.IndexFunc(out, func(o *lifeline.Resident) bool { return o.ID == r.ID }); i >= 0 {
			own[i] = own[i] || isOwn != 0
			continue
		}
		r.Status.Color = lifeline.Color(color)
		r.Status.UpdatedAt = fromMS(updated)
		if sampled != nil && result != nil {
			r.Status.Latest = &lifeline.TestResult{ResidentID: r.ID, SampledAt: fromMS(*sampled), Result: lifeline.Result(*result)}
		}
		own = append(own, isOwn != 0)
		out = append(out, &r)
	}
	if err := rows.Err(); err != nil {
		return nil, db.unavailable(err)
	}
	if len(out) > 1 {
		first := make(map[int64]bool, len(out))
		for i, r := range out {
			first[r.ID] = own[i]
		}
		sortResidents(out, func(r *lifeline.Resident) bool { return first[r.ID] })
	}
	return out, nil
}
