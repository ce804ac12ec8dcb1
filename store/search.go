package store

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"

	lifeline "github.com/lifeline-health/lifeline"
)

// Scores rank matches: an exact match before a prefix match before a
// partial one, whatever the kind.
const (
	scoreExact   = 300
	scoreOldDoc  = 290 // a replaced document, exactly
	scorePrefix  = 200
	scorePartial = 100
)

// searchStep is one indexed query that the search box runs. Every step
// selects resident ids, at most the limit, so a search never reads more
// than a few index pages per step however big the roster is.
type searchStep struct {
	kind  lifeline.QueryKind
	score int
	sql   string
	args  []any
}

// maxRune is above every character a name holds, so [p, p+maxRune) is the
// range of strings starting with p in byte order (SQLite BINARY,
// PostgreSQL COLLATE "C").
const maxRune = "\U0010FFFF"

var (
	// 12-3-501, 12-3, 3A-2-1101
	addrDashed = regexp.MustCompile(`^([0-9A-Za-z]{1,6})(?:-([0-9A-Za-z]{1,6}))?(?:-([0-9A-Za-z]{1,6}))?$`)
	// 12栋3单元501室, 12号楼3单元501
	addrChinese = regexp.MustCompile(`^([0-9A-Za-z]{1,6})(?:栋|幢|号楼|座)(?:([0-9A-Za-z]{1,6})单元)?(?:([0-9A-Za-z]{1,6})(?:室|号)?)?$`)
)

// FindResidents searches by the one search box. The query is read as
// typed on a half-width keyboard (lifeline.NormalizeInput: ３-４-９０１ is
// 3-4-901), then classified (document, document tail, phone, phone tail, address, name); each reading
// runs as indexed queries, results are ranked exact > prefix > partial,
// and the lookup is written to the audit log with a masked query. Only
// the residents of the community of the actor in ctx are searched (see
// scope.go).
func (db *DB) FindResidents(ctx context.Context, f lifeline.ResidentFilter) ([]lifeline.ResidentMatch, error) {
	f, mayRead := scopeFilter(ctx, f)
	q := lifeline.NormalizeInput(f.Query)
	if q == "" {
		return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("请输入姓名、证件号码、手机号或门牌号", "type a name, document number, phone number or address"))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 20
	}
	steps, err := db.searchSteps(ctx, q, f, limit)
	if err != nil {
		return nil, err
	}
	type hit struct {
		kind       lifeline.QueryKind
		score, ord int
		step       int
	}
	best := map[int64]hit{}
	var order []int64
	for si, s := range steps {
		if !mayRead {
			break // a community the actor may not see: nothing is found
		}
		// A step can only add matches that rank below those already
		// found: when the limit is filled by better ones, skip it.
		better := 0
		for _, h := range best {
			if h.score > s.score {
				better++
			}
		}
		if better >= limit {
			continue
		}
		rows, err := db.queryStep(ctx, s)
		if err != nil {
			return nil, db.unavailable(err)
		}
		ord := 0
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, db.unavailable(err)
			}
			h, seen := best[id]
			if !seen {
				order = append(order, id)
			}
			if !seen || s.score > h.score {
				best[id] = hit{kind: s.kind, score: s.score, ord: ord, step: si}
			}
			ord++
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, db.unavailable(err)
		}
	}
	// Equal scores interleave by position, so an ambiguous 4-digit query
	// shows document tails and phone tails alternately.
	sort.SliceStable(order, func(i, j int) bool {
		a, b := best[order[i]], best[order[j]]
		if a.score != b.score {
			return a.score > b.score
		}
		if a.ord != b.ord {
			return a.ord < b.ord
		}
		return a.step < b.step
	})
	if len(order) > limit {
		order = order[:limit]
	}
	rs, err := db.residentsByID(ctx, order)
	if err != nil {
		return nil, err
	}
	out := make([]lifeline.ResidentMatch, len(rs))
	kinds := []string{}
	seenKind := map[lifeline.QueryKind]bool{}
	for _, s := range steps {
		if !seenKind[s.kind] {
			seenKind[s.kind] = true
			kinds = append(kinds, string(s.kind))
		}
	}
	for i, r := range rs {
		h := best[r.ID]
		out[i] = lifeline.ResidentMatch{Resident: r, Kind: h.kind, Score: h.score}
	}
	detail := fmt.Sprintf("query=%s kinds=%s results=%d", MaskQuery(q), strings.Join(kinds, ","), len(out))
	if err := db.Audit(ctx, lifeline.AuditEntry{Action: "find", Detail: detail}); err != nil {
		return nil, err
	}
	return out, nil
}

// maxPreparedArgs bounds which step queries are kept prepared: the text of
// a partial-name step grows with the query, and a cache entry per long query
// typed into the box would never be freed.
const maxPreparedArgs = 12

// queryStep runs a step through a prepared statement (parsing costs as
// much as running these small queries) unless it is an unusually long one.
func (db *DB) queryStep(ctx context.Context, s searchStep) (*sql.Rows, error) {
	if len(s.args) > maxPreparedArgs {
		return db.r.QueryContext(ctx, db.SQL(s.sql), s.args...)
	}
	st, err := db.prepared(ctx, db.r, db.SQL(s.sql))
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, s.args...)
}

// MaskQuery hides a search query for the audit log: when it holds digits,
// every letter and digit but the last 4 becomes '*', so a full ID or phone
// number is never logged. Names are kept.
func MaskQuery(q string) string {
	if !strings.ContainsAny(q, "0123456789") {
		return q
	}
	rs := []rune(q)
	keep := 4
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i]
		if r < 128 && (unicode.IsDigit(r) || unicode.IsLetter(r)) {
			if keep > 0 {
				keep--
				continue
			}
			rs[i] = '*'
		}
	}
	return string(rs)
}

// scope narrows a step to a community and building; the step's query must
// name the residents table r.
func scope(f lifeline.ResidentFilter) (string, []any) {
	var conds []string
	var args []any
	if f.Community != "" {
		conds, args = append(conds, "h.community = ?"), append(args, f.Community)
	}
	if f.Building != "" {
		conds, args = append(conds, "h.building = ?"), append(args, f.Building)
	}
	if f.HouseholdID != 0 {
		conds, args = append(conds, "h.id = ?"), append(args, f.HouseholdID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " JOIN households h ON h.id = r.household_id AND " + strings.Join(conds, " AND "), args
}

func isASCIIAlnum(s string) (alnum, digits, letters bool) {
	if s == "" {
		return false, false, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = true
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
			letters = true
		default:
			return false, digits, letters
		}
	}
	return true, digits, letters
}

// searchSteps classifies a query and returns the indexed queries that
// answer it.
func (db *DB) searchSteps(ctx context.Context, q string, f lifeline.ResidentFilter, limit int) ([]searchStep, error) {
	join, sargs := scope(f)
	with := func(args ...any) []any { return append(append(append([]any{}, sargs...), args...), limit) }
	var steps []searchStep
	// Phones and old documents reach the resident's row only for a scope:
	// without one, joining would read a random residents page per match
	// just to find the row the results load anyway (residents are never
	// deleted, and their phones are written and replaced with them).
	phones, docs := `phones p`, `resident_documents d`
	if join != "" {
		phones = `phones p JOIN residents r ON r.id = p.resident_id` + join
		docs = `resident_documents d JOIN residents r ON r.id = d.resident_id` + join
	}

	if m := addrDashed.FindStringSubmatch(q); m != nil && strings.Contains(q, "-") {
		return db.addressSteps(m[1:], f, limit), nil
	}
	if m := addrChinese.FindStringSubmatch(q); m != nil {
		return db.addressSteps(m[1:], f, limit), nil
	}
	doc := lifeline.NormalizeDocNumber(q)
	alnum, digits, letters := isASCIIAlnum(doc)
	phoneish := strings.HasPrefix(q, "+") || strings.ContainsAny(q, "()")
	switch {
	case alnum && digits && !letters && len(doc) <= 3:
		// A bare building number.
		return db.addressSteps([]string{doc, "", ""}, f, limit), nil
	case alnum && digits && len(doc) >= 4 && len(doc) <= 6:
		rev := reverse(doc)
		steps = append(steps, searchStep{lifeline.QueryDocTail, scorePartial,
			`SELECT r.id FROM residents r` + join + ` WHERE r.doc_rev >= ? AND r.doc_rev < ? AND r.doc_number <> '' ORDER BY r.doc_rev LIMIT ?`,
			with(rev, rev+maxRune)})
		if !letters && len(doc) == 4 {
			steps = append(steps, searchStep{lifeline.QueryPhoneTail, scorePartial,
				`SELECT p.resident_id FROM ` + phones + ` WHERE p.tail4 = ? ORDER BY p.phone LIMIT ?`,
				with(doc)})
		}
		return steps, nil
	case alnum && digits && len(doc) >= 7 || phoneish:
		if alnum {
			steps = append(steps,
				searchStep{lifeline.QueryDocument, scoreExact,
					`SELECT r.id FROM residents r` + join + ` WHERE r.doc_rev = ? AND r.doc_number <> '' LIMIT ?`, with(reverse(doc))},
				searchStep{lifeline.QueryDocument, scoreOldDoc,
					`SELECT d.resident_id FROM ` + docs + ` WHERE d.doc_number = ? LIMIT ?`, with(doc)})
		}
		if p, err := lifeline.NormalizePhone(q); err == nil {
			steps = append(steps, searchStep{lifeline.QueryPhone, scoreExact,
				`SELECT p.resident_id FROM ` + phones + ` WHERE p.tail4 = ? AND p.phone = ? LIMIT ?`, with(lifeline.PhoneTail(p), p)})
		}
		if len(steps) > 0 {
			return steps, nil
		}
	}
	return db.nameSteps(ctx, q, join, sargs, limit)
}

// addressSteps searches households by building, unit and room; parts
// left empty match anything. A full address is an exact match, a building
// and unit a prefix, a building alone a partial one. Building and one
// more part ("12-501") is also building and room where there are no units,
// the way Address.Short writes such a household: an exact match.
func (db *DB) addressSteps(parts []string, f lifeline.ResidentFilter, limit int) []searchStep {
	conds := []string{"h.building = ?"}
	args := []any{parts[0]}
	score := scorePartial
	if len(parts) > 1 && parts[1] != "" {
		conds, args, score = append(conds, "h.unit = ?"), append(args, parts[1]), scorePrefix
		if len(parts) > 2 && parts[2] != "" {
			conds, args, score = append(conds, "h.room = ?"), append(args, parts[2]), scoreExact
		}
	} else if len(parts) > 2 && parts[2] != "" {
		// 12栋501: building and room, no unit.
		conds, args, score = append(conds, "h.room = ?"), append(args, parts[2]), scorePrefix
	}
	steps := []searchStep{householdStep(conds, args, score, f, limit)}
	if len(parts) == 3 && parts[1] != "" && parts[2] == "" {
		steps = append(steps, householdStep([]string{"h.building = ?", "h.unit = ''", "h.room = ?"}, []any{parts[0], parts[1]}, scoreExact, f, limit))
	}
	return steps
}

// householdStep finds the residents of the households that meet conds
// (with args), in the filter's community.
func householdStep(conds []string, args []any, score int, f lifeline.ResidentFilter, limit int) searchStep {
	if f.Community != "" {
		conds, args = append(conds, "h.community = ?"), append(args, f.Community)
	}
	return searchStep{lifeline.QueryAddress, score,
		`SELECT r.id FROM households h JOIN residents r ON r.household_id = h.id WHERE ` + strings.Join(conds, " AND ") +
			` ORDER BY h.unit, h.room, r.name LIMIT ?`, append(args, limit)}
}

// nameSteps searches names: exact, then prefix (the name index), then
// anywhere in the name (the gram index: the query's character pairs must
// all be there, then the substring is checked on the few candidates).
func (db *DB) nameSteps(ctx context.Context, q string, join string, sargs []any, limit int) ([]searchStep, error) {
	with := func(args ...any) []any { return append(append(append([]any{}, sargs...), args...), limit) }
	steps := []searchStep{
		{lifeline.QueryName, scoreExact, `SELECT r.id FROM residents r` + join + ` WHERE r.name = ? LIMIT ?`, with(q)},
		{lifeline.QueryName, scorePrefix, `SELECT r.id FROM residents r` + join + ` WHERE r.name >= ? AND r.name < ? AND r.name <> ? ORDER BY r.name LIMIT ?`, with(q, q+maxRune, q)},
	}
	fold := foldName(q)
	if len(fold) == 0 {
		return steps, nil
	}
	if fq := string(fold); fq != q {
		// "王 伟" or "Wang": names starting with the folded query hold no
		// gram at their start (nameGrams), so they are found here.
		steps = append(steps, searchStep{lifeline.QueryName, scorePrefix,
			`SELECT r.id FROM residents r` + join + ` WHERE r.name >= ? AND r.name < ? AND r.name <> ? ORDER BY r.name LIMIT ?`, with(fq, fq+maxRune, q)})
	}
	contains := db.dialect.position + `(lower(replace(r.name, ' ', '')), ?) > 0`
	var sb strings.Builder
	var args []any
	if len(fold) == 1 {
		// Every character starts a gram (a pair, or the last character
		// alone), so one character is a range of grams.
		c := string(fold)
		sb.WriteString(`SELECT DISTINCT g.resident_id FROM name_grams g JOIN residents r ON r.id = g.resident_id` + join + ` WHERE g.gram >= ? AND g.gram < ?`)
		args = append(args, c, c+maxRune)
	} else {
		var pairs []string
		for i := 1; i < len(fold); i++ {
			if g := string(fold[i-1 : i+1]); !slices.Contains(pairs, g) {
				pairs = append(pairs, g)
			}
		}
		// The rarest pair drives the query; the others are probes.
		if err := db.rarestFirst(ctx, pairs); err != nil {
			return nil, err
		}
		sb.WriteString(`SELECT g.resident_id FROM name_grams g JOIN residents r ON r.id = g.resident_id` + join + ` WHERE g.gram = ?`)
		args = append(args, pairs[0])
		for _, g := range pairs[1:] {
			sb.WriteString(` AND EXISTS (SELECT 1 FROM name_grams g2 WHERE g2.gram = ? AND g2.resident_id = g.resident_id)`)
			args = append(args, g)
		}
	}
	sb.WriteString(` AND ` + contains + ` AND NOT (r.name >= ? AND r.name < ?) LIMIT ?`)
	args = append(args, string(fold), q, q+maxRune)
	// The scope's arguments come first: its JOIN precedes WHERE.
	all := append(append([]any{}, sargs...), args...)
	all = append(all, limit)
	steps = append(steps, searchStep{lifeline.QueryName, scorePartial, sb.String(), all})
	return steps, nil
}

// gramSample bounds how many index entries rarestFirst reads per gram.
const gramSample = 256

// rarestFirst sorts grams by how many names hold them, counting at most
// gramSample of each, so the rarest drives the partial-name query.
func (db *DB) rarestFirst(ctx context.Context, grams []string) error {
	if len(grams) < 2 {
		return nil
	}
	n := make(map[string]int, len(grams))
	for _, g := range grams {
		var c int
		st, err := db.prepared(ctx, db.r, db.SQL(`SELECT count(*) FROM (SELECT 1 FROM name_grams WHERE gram = ? LIMIT ?) s`))
		if err != nil {
			return err
		}
		err = st.QueryRowContext(ctx, g, gramSample).Scan(&c)
		if err != nil {
			return db.unavailable(err)
		}
		n[g] = c
	}
	slices.SortStableFunc(grams, func(a, b string) int { return n[a] - n[b] })
	return nil
}
