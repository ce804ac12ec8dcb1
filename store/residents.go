package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"

	lifeline "github.com/lifeline-health/lifeline"
)

// residentCols selects a whole resident: the row, its household, its latest
// test and its phones (aggregated, so one query loads everything and a
// streaming caller never needs a second connection).
func (db *DB) residentCols() string {
	return `r.id, r.name, r.doc_type, r.doc_number, r.nationality, r.birth, r.sex, r.household_id, r.needs_manual, r.on_site,
	r.color, r.color_reason, r.color_at, r.status_updated_at, r.created_at, r.updated_at,
	h.community, h.building, h.unit, h.room,
	t.id, t.sampled_at, t.result, t.site, t.tube, t.external_id, t.received_at, ` + db.dialect.phoneList
}

// residentJoins follows residentCols when the query starts from residents.
const residentJoins = ` FROM residents r LEFT JOIN households h ON h.id = r.household_id LEFT JOIN test_results t ON t.id = r.latest_test_id`

func scanResident(s scanner) (*lifeline.Resident, error) {
	var (
		r                                  lifeline.Resident
		docType, birth, sex, color         string
		hh                                 sql.NullInt64
		manual, onSite                     int
		colorAt, statusAt, created, update int64
		comm, bld, unit, room              sql.NullString
		tid, tsampled, treceived           sql.NullInt64
		tresult, tsite, ttube, text        sql.NullString
		phones                             sql.NullString
	)
	err := s.Scan(&r.ID, &r.Name, &docType, &r.Doc.Number, &r.Doc.Nationality, &birth, &sex, &hh, &manual, &onSite,
		&color, &r.Status.Reason, &colorAt, &statusAt, &created, &update,
		&comm, &bld, &unit, &room,
		&tid, &tsampled, &tresult, &tsite, &ttube, &text, &treceived, &phones)
	if err != nil {
		return nil, err
	}
	r.Doc.Type = lifeline.DocType(docType)
	if birth != "" {
		r.Birth, _ = time.Parse(time.DateOnly, birth)
	}
	r.Sex = lifeline.Sex(sex)
	r.HouseholdID = hh.Int64
	r.NeedsManual = manual != 0
	r.OnSite = onSite != 0
	r.Status.Color = lifeline.Color(color)
	r.Status.ColorAt = fromMS(colorAt)
	r.Status.UpdatedAt = fromMS(statusAt)
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(update)
	r.Address = lifeline.Address{Community: comm.String, Building: bld.String, Unit: unit.String, Room: room.String}
	if tid.Valid {
		r.Status.Latest = &lifeline.TestResult{
			ID: tid.Int64, ResidentID: r.ID, SampledAt: fromMS(tsampled.Int64), Result: lifeline.Result(tresult.String),
			Site: tsite.String, Tube: ttube.String, ExternalID: text.String, ReceivedAt: fromMS(treceived.Int64),
		}
	}
	if phones.String != "" {
		r.Phones = strings.Split(phones.String, ",")
	}
	return &r, nil
}

// queryResidents runs a query selecting residentCols and collects the rows.
func (db *DB) queryResidents(ctx context.Context, q queryer, query string, args ...any) ([]*lifeline.Resident, error) {
	return queryRows(ctx, db, q, scanResident, query, args...)
}

// residentsByID loads residents and returns them in the order of ids,
// skipping ids that do not exist or that the actor in ctx may not see.
func (db *DB) residentsByID(ctx context.Context, ids []int64) ([]*lifeline.Resident, error) {
	byID := make(map[int64]*lifeline.Resident, len(ids))
	cond, cargs := householdInScope(ctx)
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, len(chunk), len(chunk)+len(cargs))
		for i, id := range chunk {
			args[i] = id
		}
		rs, err := db.queryResidents(ctx, db.r, `SELECT `+db.residentCols()+residentJoins+` WHERE r.id IN (`+placeholders(len(chunk))+`)`+cond, append(args, cargs...)...)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			byID[r.ID] = r
		}
	}
	out := make([]*lifeline.Resident, 0, len(ids))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// tuples is n tuples of width placeholders, for a multi-row INSERT:
// "(?, ?), (?, ?)".
func tuples(n, width int) string {
	t := "(" + placeholders(width) + ")"
	return strings.TrimSuffix(strings.Repeat(t+", ", n), ", ")
}

func errResidentNotFound() error {
	return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("找不到该居民", "no such resident"))
}

// Resident returns one resident with phones, address and status; one the
// actor in ctx may not see is not found (see scope.go).
func (db *DB) Resident(ctx context.Context, id int64) (*lifeline.Resident, error) {
	cond, args := householdInScope(ctx)
	rs, err := db.queryResidents(ctx, db.r, `SELECT `+db.residentCols()+residentJoins+` WHERE r.id = ?`+cond, append([]any{id}, args...)...)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, errResidentNotFound()
	}
	return rs[0], nil
}

// ResidentByDocument returns the resident holding a document, current or
// replaced (an old passport still finds its holder); with no type, under
// any type (residentByAnyDocument).
func (db *DB) ResidentByDocument(ctx context.Context, d lifeline.Document) (*lifeline.Resident, error) {
	d.Number = lifeline.NormalizeDocNumber(d.Number)
	if d.Number == "" {
		return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("证件号码为空", "document number is empty"))
	}
	if d.Type == "" {
		return db.residentByAnyDocument(ctx, d.Number)
	}
	id, err := db.residentIDByDoc(ctx, db.r, d)
	if err != nil {
		return nil, err
	}
	return db.Resident(ctx, id)
}

// residentIDByDoc finds a resident by current or replaced document.
func (db *DB) residentIDByDoc(ctx context.Context, q queryer, d lifeline.Document) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, db.SQL(`SELECT id FROM residents WHERE doc_rev = ? AND doc_type = ? AND doc_number <> ''`), reverse(d.Number), string(d.Type)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = q.QueryRowContext(ctx, db.SQL(`SELECT resident_id FROM resident_documents WHERE doc_type = ? AND doc_number = ?`), string(d.Type), d.Number).Scan(&id)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("找不到持有该证件的居民", "no resident holds that document"))
	}
	if err != nil {
		return 0, db.unavailable(err)
	}
	return id, nil
}

// ResidentsByPhone returns every resident bound to a phone number (whom
// the actor in ctx may see).
func (db *DB) ResidentsByPhone(ctx context.Context, phone string) ([]*lifeline.Resident, error) {
	p, err := lifeline.NormalizePhone(phone)
	if err != nil {
		return nil, err
	}
	cond, args := householdInScope(ctx)
	return db.queryResidents(ctx, db.r, `SELECT `+db.residentCols()+residentJoins+
		` WHERE r.id IN (SELECT resident_id FROM phones WHERE tail4 = ? AND phone = ?)`+cond+` ORDER BY r.name, r.id`, append([]any{lifeline.PhoneTail(p), p}, args...)...)
}

// HouseholdMembers returns the residents of one household, by name: none
// for a household the actor in ctx may not see.
func (db *DB) HouseholdMembers(ctx context.Context, householdID int64) ([]*lifeline.Resident, error) {
	cond, args := householdInScope(ctx)
	return db.queryResidents(ctx, db.r, `SELECT `+db.residentCols()+residentJoins+
		` WHERE r.household_id = ?`+cond+` ORDER BY r.name, r.id`, append([]any{householdID}, args...)...)
}

// CountResidents returns how many residents are stored.
func (db *DB) CountResidents(ctx context.Context) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM residents`).Scan(&n); err != nil {
		return 0, db.unavailable(err)
	}
	return n, nil
}

// CreateResident stores a new resident, creating the household if needed. A
// resident whose document is already stored is a conflict.
func (db *DB) CreateResident(ctx context.Context, r *lifeline.Resident) error {
	if err := prepareResident(r); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error { return db.createResident(ctx, tx, r) })
}

// RegisterWalkIn stores a person who came to the desk and is not on the
// roster, marked as registered on site (Resident.OnSite), in the actor's
// community: at the address given, or, with none, in a household of their
// own (lifeline.OnSiteBuilding), so that they share a household with no
// one. The audit entry is written with them.
func (db *DB) RegisterWalkIn(ctx context.Context, r *lifeline.Resident) error {
	actor := lifeline.ActorFrom(ctx)
	if actor.Community != "" {
		r.Address.Community = actor.Community
	}
	if strings.TrimSpace(r.Address.Community) == "" {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("请指定社区", "give the community"))
	}
	if r.Address.Building == "" && r.Address.Room == "" {
		r.Address = lifeline.OnSiteAddress(r.Address.Community, db.Now())
	}
	if err := prepareResident(r); err != nil {
		return err
	}
	r.OnSite = true
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.createResident(ctx, tx, r); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.SQL(`UPDATE residents SET on_site = 1 WHERE id = ?`), r.ID); err != nil {
			return db.unavailable(err)
		}
		return db.auditTx(ctx, tx, ms(db.Now()), actor.User, "walk_in", r.ID, "registered on site, not on the roster")
	})
}

// createResident writes a prepared resident in tx.
func (db *DB) createResident(ctx context.Context, tx *sql.Tx, r *lifeline.Resident) error {
	w, err := db.newRosterWriter(ctx, tx, nil)
	if err != nil {
		return err
	}
	defer w.close()
	if r.Doc.Type != lifeline.DocNone {
		if _, err := db.residentIDByDoc(ctx, tx, r.Doc); err == nil {
			return lifeline.Errorf(lifeline.ECONFLICT, lifeline.T("该证件已登记", "a resident with that document is already registered"))
		} else if lifeline.ErrorCode(err) != lifeline.ENOTFOUND {
			return err
		}
	}
	hh, err := w.household(r.Address)
	if err != nil {
		return err
	}
	args := argsOf(r)
	if err := w.insert(r, &args, hh); err != nil {
		return err
	}
	if err := w.flushRows(); err != nil {
		return err
	}
	if err := w.addRows(r.ID, &args); err != nil {
		return err
	}
	if err := w.flush(); err != nil {
		return err
	}
	r.CreatedAt, r.UpdatedAt = fromMS(w.now), fromMS(w.now)
	return nil
}

// prepareResident normalises a resident before it is written: document
// number, phones, and birth date and sex from a mainland ID when missing.
func prepareResident(r *lifeline.Resident) error {
	r.Name = strings.TrimSpace(r.Name)
	r.Doc.Number = lifeline.NormalizeDocNumber(r.Doc.Number)
	r.Doc.Nationality = strings.ToUpper(strings.TrimSpace(r.Doc.Nationality))
	if r.Doc.Type == "" {
		r.Doc.Type = lifeline.DocMainlandID
	}
	if r.Doc.Type == lifeline.DocMainlandID {
		// Fill birth and sex from the number first; Validate then checks
		// given ones against it.
		birth, sex, err := lifeline.ParseMainlandID(r.Doc.Number)
		if err != nil {
			return err
		}
		if !r.Birth.IsZero() && !sameDay(r.Birth, birth) {
			return lifeline.Errorf(lifeline.EINVALID, lifeline.T("出生日期与身份证号码不符", "date of birth does not match the ID number"))
		}
		if r.Sex != lifeline.SexNone && r.Sex != sex {
			return lifeline.Errorf(lifeline.EINVALID, lifeline.T("性别与身份证号码不符", "sex does not match the ID number"))
		}
		if r.Birth.IsZero() {
			r.Birth = birth
		}
		if r.Sex == lifeline.SexNone {
			r.Sex = sex
		}
		if strings.TrimSpace(r.Name) == "" {
			return lifeline.Errorf(lifeline.EINVALID, lifeline.T("姓名不能为空", "name is required"))
		}
	} else if err := r.Validate(); err != nil {
		return err
	}
	if err := r.CheckTexts(); err != nil {
		return err
	}
	r.NeedsManual = r.NeedsManual || r.Doc.Type == lifeline.DocNone
	seen := make(map[string]bool, len(r.Phones))
	phones := r.Phones[:0:0]
	for _, p := range r.Phones {
		if strings.TrimSpace(p) == "" {
			continue
		}
		n, err := lifeline.NormalizePhone(p)
		if err != nil {
			return err
		}
		if !seen[n] {
			seen[n] = true
			phones = append(phones, n)
		}
	}
	r.Phones = phones
	r.Address = trimAddress(r.Address)
	return nil
}

func trimAddress(a lifeline.Address) lifeline.Address {
	return lifeline.Address{
		Community: strings.TrimSpace(a.Community),
		Building:  strings.TrimSpace(a.Building),
		Unit:      strings.TrimSpace(a.Unit),
		Room:      strings.TrimSpace(a.Room),
	}
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

func birthText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// reverse reverses an ASCII document number for the doc_rev index.
func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// nameGrams returns the search grams of a name: every pair of adjacent
// characters and the last character alone, lower case, spaces dropped, no
// repeats. Every character starts at least one gram.
//
// A name already in that folded form (no spaces, nothing to lower: every
// Chinese name) leaves out the pair at its start: a query found there is a
// prefix of the name, which the name index answers (nameSteps searches the
// folded query as a prefix too), and the partial step skips prefixes
// anyway. That is one index entry fewer per resident for the import to
// write. Grams stored by older versions are a superset: harmless.
func nameGrams(name string) []string {
	rs := foldName(name)
	if len(rs) >= 2 && string(rs) == name {
		// From the second character on (not all[1:]: the first pair may
		// also occur later, and dropping repeats kept only the first).
		return allGrams(rs[1:])
	}
	return allGrams(rs)
}

// allGrams returns every gram of a folded name, the one at its start
// included: what an update deletes, whichever version wrote them.
func allGrams(rs []rune) []string {
	if len(rs) == 0 {
		return nil
	}
	out := make([]string, 0, len(rs))
	for i := 1; i <= len(rs); i++ {
		g := string(rs[i-1 : min(i+1, len(rs))])
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

// foldName is a name as the gram index sees it: lower case, no spaces.
func foldName(s string) []rune {
	rs := make([]rune, 0, len(s))
	for _, r := range s {
		if unicode.IsSpace(r) {
			continue
		}
		rs = append(rs, unicode.ToLower(r))
	}
	return rs
}

// ChangeDocument gives a resident a new document (a new passport) while
// keeping their id, history, codes and links. The old document moves to
// resident_documents, so it still finds the resident.
func (db *DB) ChangeDocument(ctx context.Context, residentID int64, d lifeline.Document) error {
	d.Number = lifeline.NormalizeDocNumber(d.Number)
	d.Nationality = strings.ToUpper(strings.TrimSpace(d.Nationality))
	if err := d.Validate(); err != nil {
		return err
	}
	if d.Type == lifeline.DocNone {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("新证件必须有号码", "the new document must have a number"))
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		var oldType, oldNumber, oldNat string
		err := tx.QueryRowContext(ctx, db.SQL(`SELECT doc_type, doc_number, nationality FROM residents WHERE id = ?`), residentID).Scan(&oldType, &oldNumber, &oldNat)
		if errors.Is(err, sql.ErrNoRows) {
			return errResidentNotFound()
		}
		if err != nil {
			return db.unavailable(err)
		}
		if oldType == string(d.Type) && oldNumber == d.Number {
			return nil
		}
		if other, err := db.residentIDByDoc(ctx, tx, d); err == nil && other != residentID {
			return lifeline.Errorf(lifeline.ECONFLICT, lifeline.T("该证件已属于另一位居民", "that document already belongs to another resident"))
		} else if err != nil && lifeline.ErrorCode(err) != lifeline.ENOTFOUND {
			return err
		}
		now := ms(db.Now())
		// The new number may be one this resident held before.
		if _, err := tx.ExecContext(ctx, db.SQL(`DELETE FROM resident_documents WHERE resident_id = ? AND doc_type = ? AND doc_number = ?`), residentID, string(d.Type), d.Number); err != nil {
			return db.unavailable(err)
		}
		if oldNumber != "" {
			if _, err := tx.ExecContext(ctx, db.SQL(`INSERT INTO resident_documents (resident_id, doc_type, doc_number, nationality, replaced_at) VALUES (?, ?, ?, ?, ?)`),
				residentID, oldType, oldNumber, oldNat, now); err != nil {
				return db.unavailable(err)
			}
		}
		_, err = tx.ExecContext(ctx, db.SQL(`UPDATE residents SET doc_type = ?, doc_number = ?, doc_rev = ?, nationality = ?, needs_manual = 0, updated_at = ? WHERE id = ?`),
			string(d.Type), d.Number, reverse(d.Number), d.Nationality, now, residentID)
		if err != nil {
			return db.unavailable(err)
		}
		return nil
	})
}

// TestResults returns a resident's results, newest first (none for a
// resident the actor in ctx may not see).
func (db *DB) TestResults(ctx context.Context, residentID int64, limit int) ([]lifeline.TestResult, error) {
	if limit <= 0 {
		limit = 20
	}
	cond, args := inScope(ctx, "test_results.resident_id")
	return queryRows(ctx, db, db.r, func(s scanner) (lifeline.TestResult, error) {
		t := lifeline.TestResult{ResidentID: residentID}
		var sampled, received int64
		var result string
		var ext sql.NullString
		err := s.Scan(&t.ID, &sampled, &result, &t.Site, &t.Tube, &ext, &received)
		t.SampledAt, t.ReceivedAt, t.Result, t.ExternalID = fromMS(sampled), fromMS(received), lifeline.Result(result), ext.String
		return t, err
	}, `SELECT id, sampled_at, result, site, tube, external_id, received_at
		FROM test_results WHERE resident_id = ?`+cond+` ORDER BY sampled_at DESC, id DESC LIMIT ?`, append(append([]any{residentID}, args...), limit)...)
}

// RecordResult stores a test result and/or colour change, revokes the
// paper codes of a resident it leaves red (redRule), and says what it
// did. Pushing the same update again changes nothing.
func (db *DB) RecordResult(ctx context.Context, u lifeline.StatusUpdate) (ch lifeline.StatusChange, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		s := &statusWriter{db: db, tx: tx, ctx: ctx, now: ms(db.Now())}
		defer s.close()
		ch, err = s.change(u)
		return err
	})
	if err != nil {
		return lifeline.StatusChange{}, err
	}
	return ch, nil
}

// EachResident calls fn for every resident the filter selects (Query is
// ignored), in community, building, unit, room, name order, streaming from
// one read cursor: the order is the households index's, so nothing is
// sorted in memory however many residents there are. Residents with no
// address come last when no address filter is set. The filter is narrowed
// to the community of the actor in ctx (see scope.go).
func (db *DB) EachResident(ctx context.Context, f lifeline.ResidentFilter, fn func(*lifeline.Resident) error) error {
	f, ok := scopeFilter(ctx, f)
	if !ok {
		return nil
	}
	qs, err := db.eachQueries(f)
	if err != nil {
		return err
	}
	for _, q := range qs {
		if err := eachRow(ctx, db, db.r, scanResident, fn, q.sql, q.args...); err != nil {
			return err
		}
	}
	return nil
}

type query struct {
	sql  string
	args []any
}

// eachQueries returns the queries EachResident runs, in order: residents
// with a household, then (with no address filter) those without one.
func (db *DB) eachQueries(f lifeline.ResidentFilter) ([]query, error) {
	var where []string
	var args []any
	if f.Community != "" {
		where, args = append(where, "h.community = ?"), append(args, f.Community)
	}
	if f.Building != "" {
		where, args = append(where, "h.building = ?"), append(args, f.Building)
	}
	if f.HouseholdID != 0 {
		where, args = append(where, "h.id = ?"), append(args, f.HouseholdID)
	}
	phone := ""
	var phoneArgs []any
	if f.Phone != "" {
		p, err := lifeline.NormalizePhone(f.Phone)
		if err != nil {
			return nil, err
		}
		phone, phoneArgs = "r.id IN (SELECT resident_id FROM phones WHERE tail4 = ? AND phone = ?)", []any{lifeline.PhoneTail(p), p}
		where, args = append(where, phone), append(args, phoneArgs...)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	qs := []query{{`SELECT ` + db.residentCols() + ` FROM households h JOIN residents r ON r.household_id = h.id
		LEFT JOIN test_results t ON t.id = r.latest_test_id` + cond + ` ORDER BY h.community, h.building, h.unit, h.room, r.name, r.id`, args}}
	if f.Community != "" || f.Building != "" || f.HouseholdID != 0 {
		return qs, nil
	}
	q := `SELECT ` + db.residentCols() + residentJoins + ` WHERE r.household_id IS NULL`
	if phone != "" {
		q += " AND " + phone
	}
	return append(qs, query{q + ` ORDER BY r.name, r.id`, phoneArgs}), nil
}
