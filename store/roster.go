package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
)

// chunkRows is how many roster rows the writer handles at a time: one query
// finds which of them are stored, one statement inserts the new ones. The
// bigger the chunk, the fewer statements an import pays for; 1024 rows of
// residents are 12,288 parameters, under both databases' limits (SQLite
// 32,766, PostgreSQL 65,535).
const chunkRows = 1024

// rosterWriter writes residents inside one write transaction. A big import
// is limited by per-statement overhead more than by the B-trees, so it
// works a chunk of rows at a time: one lookup query per chunk, multi-row
// INSERTs for phones and name grams (and on PostgreSQL for residents and
// households too: see newRosterWriter), statements prepared once,
// households loaded a building at a time.
type rosterWriter struct {
	db     *DB
	tx     *sql.Tx
	ctx    context.Context // without cancel: see newRosterWriter
	cancel context.Context // the caller's, checked once a chunk
	now    int64
	nowArg any // now, boxed once
	stmts  []*sql.Stmt

	selOld, selNone, selBuilding, selHousehold, updRes, selPhones, delPhones, delGram *sql.Stmt
	lookups                                                                           map[lookupKey]*sql.Stmt

	residents, newHouseholds, grams, phones *bulkInsert
	// ids hands out resident and household ids before the multi-row
	// INSERTs that use them.
	residentIDs, householdIDs idSource
	// buffered holds stored residents with rows still in the phone and
	// gram buffers, and new ones from bufferedNew on (their ids only grow,
	// so one number stands for all of them instead of a map entry for
	// each): touching them again first flushes, so deletes see them.
	buffered    map[int64]bool
	bufferedNew int64
	households  map[lifeline.Address]int64
	buildings   map[[2]string]bool // community, building: loaded into households
	hasOldDocs  bool
	// emptyAtStart: the store held no residents when the import began,
	// so only a row this import wrote (written: its id by rowKey) can be
	// found, and it is found by its id: the others are not looked up, and
	// nothing is looked up by document (an import into an empty store
	// builds residents_doc at its end; see importRun).
	emptyAtStart bool
	written      map[string]int64
}

// newRosterWriter makes a writer for tx. conn, if not nil, is the
// connection tx runs on, which the multi-row INSERTs may reach the
// database's driver through (see bulkWriting.statements).
func (db *DB) newRosterWriter(ctx context.Context, tx *sql.Tx, conn *sql.Conn) (*rosterWriter, error) {
	// Statements run without ctx's cancel: the driver would start a
	// watcher per statement. The transaction itself still watches ctx and
	// rolls back when it is cancelled, and the writer checks ctx per chunk.
	w := &rosterWriter{db: db, tx: tx, ctx: context.WithoutCancel(ctx), cancel: ctx, now: ms(db.Now()),
		buffered: map[int64]bool{}, written: map[string]int64{}, households: map[lifeline.Address]int64{}, buildings: map[[2]string]bool{}}
	w.nowArg = w.now
	prep := []struct {
		s **sql.Stmt
		q string
	}{
		{&w.selOld, `SELECT r.id, r.doc_type, r.doc_number, r.name, r.nationality, r.birth, r.sex, r.household_id, r.needs_manual FROM resident_documents d JOIN residents r ON r.id = d.resident_id WHERE d.doc_type = ? AND d.doc_number = ?`},
		{&w.selNone, `SELECT id, doc_type, doc_number, name, nationality, birth, sex, household_id, needs_manual FROM residents WHERE household_id = ? AND name = ? AND doc_type = 'none' AND birth = ?`},
		{&w.selBuilding, `SELECT id, unit, room FROM households WHERE community = ? AND building = ?`},
		{&w.selHousehold, `SELECT community, building, unit, room FROM households WHERE id = ?`},
		{&w.updRes, `UPDATE residents SET name = ?, nationality = ?, birth = ?, sex = ?, household_id = ?, needs_manual = ?, on_site = 0, updated_at = ? WHERE id = ?`},
		{&w.selPhones, `SELECT phone FROM phones WHERE resident_id = ? ORDER BY position`},
		{&w.delPhones, `DELETE FROM phones WHERE resident_id = ?`},
		{&w.delGram, `DELETE FROM name_grams WHERE gram = ? AND resident_id = ?`},
	}
	for _, p := range prep {
		s, err := tx.PrepareContext(w.ctx, db.SQL(p.q))
		if err != nil {
			w.close()
			return nil, db.unavailable(fmt.Errorf("prepare %q: %w", p.q, err))
		}
		*p.s = s
		w.stmts = append(w.stmts, s)
	}
	// Rows that collide with a unique key are skipped (dialect.ignoreInto)
	// rather than failing the statement. For residents and households
	// nothing is skipped silently: the row count is checked. A repeated
	// gram or phone is no error: it is skipped.
	into, tail := db.dialect.ignoreInto, db.dialect.ignoreTail
	// Residents and households are written with the ids idSource hands
	// out, or, where the database assigns them itself as the largest so
	// far plus one (bulkWriting.assignsIDs), without them: flush then
	// checks that the ids of a chunk follow on from each other and that
	// the last one is what the database assigned (see bulkInsert.rowid).
	resCols, hhCols := `(id, name, doc_type, doc_number, doc_rev, nationality, birth, sex, household_id, needs_manual, created_at, updated_at)`, `(id, community, building, unit, room)`
	rowid := db.bulk.assignsIDs()
	if rowid {
		resCols, hhCols = "("+strings.TrimPrefix(resCols, "(id, "), "("+strings.TrimPrefix(hhCols, "(id, ")
	}
	w.residents = db.newBulkInsert(w.ctx, tx, conn, into+`residents `+resCols, 12, tail, chunkRows)
	w.residents.exact, w.residents.rowid = true, rowid
	w.newHouseholds = db.newBulkInsert(w.ctx, tx, conn, into+`households `+hhCols, 5, tail, chunkRows)
	w.newHouseholds.exact, w.newHouseholds.rowid = true, rowid
	w.residentIDs = db.bulk.ids(w.ctx, tx, "residents")
	w.householdIDs = db.bulk.ids(w.ctx, tx, "households")
	w.grams = db.newBulkInsert(w.ctx, tx, conn, into+`name_grams (gram, resident_id)`, 2, tail, chunkRows)
	w.phones = db.newBulkInsert(w.ctx, tx, conn, into+`phones (phone, resident_id, tail4, position)`, 4, tail, chunkRows)
	w.grams.sorted = true
	var one int
	err := tx.QueryRowContext(w.ctx, `SELECT 1 FROM resident_documents LIMIT 1`).Scan(&one)
	w.hasOldDocs = err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		w.close()
		return nil, db.unavailable(err)
	}
	return w, nil
}

func (w *rosterWriter) close() {
	for _, s := range w.stmts {
		s.Close()
	}
	for _, s := range w.lookups {
		s.Close()
	}
	for _, b := range []*bulkInsert{w.residents, w.newHouseholds, w.grams, w.phones} {
		if b != nil {
			b.close()
		}
	}
}

// flushRows writes the buffered households and residents.
func (w *rosterWriter) flushRows() error {
	if err := w.newHouseholds.flush(); err != nil {
		return err
	}
	return w.residents.flush()
}

// flush writes the buffered phone and gram rows.
func (w *rosterWriter) flush() error {
	if err := w.grams.flush(); err != nil {
		return err
	}
	if err := w.phones.flush(); err != nil {
		return err
	}
	clear(w.buffered)
	w.bufferedNew = 0
	return nil
}

// household returns the id of the household at an address, creating it;
// 0 (stored as NULL) when the address is empty. The first address of a
// building loads all of that building's households.
func (w *rosterWriter) household(a lifeline.Address) (int64, error) {
	if a == (lifeline.Address{}) {
		return 0, nil
	}
	if id, ok := w.households[a]; ok {
		return id, nil
	}
	bk := [2]string{a.Community, a.Building}
	if !w.buildings[bk] {
		w.buildings[bk] = true
		rows, err := w.selBuilding.QueryContext(w.ctx, a.Community, a.Building)
		if err != nil {
			return 0, w.db.unavailable(err)
		}
		for rows.Next() {
			var id int64
			h := lifeline.Address{Community: a.Community, Building: a.Building}
			if err := rows.Scan(&id, &h.Unit, &h.Room); err != nil {
				rows.Close()
				return 0, w.db.unavailable(err)
			}
			w.households[h] = id
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return 0, w.db.unavailable(err)
		}
		if id, ok := w.households[a]; ok {
			return id, nil
		}
	}
	// Buffered like residents; the residents' foreign key to it is checked
	// at commit.
	id, err := w.householdIDs.next()
	if err != nil {
		return 0, err
	}
	if err := w.newHouseholds.add(id, a.Community, a.Building, a.Unit, a.Room); err != nil {
		return 0, err
	}
	w.households[a] = id
	return id, nil
}

// idSource hands out ids for a table's new rows in one write transaction,
// before the rows are inserted (see bulkWriting.ids).
type idSource interface {
	next() (int64, error)
}

// existing is a stored resident's row as the import compares it.
type existing struct {
	id                                        int64
	docType, docNumber, name, nat, birth, sex string
	household                                 sql.NullInt64
	manual                                    int
}

func (e *existing) scan(s scanner) error {
	return s.Scan(&e.id, &e.docType, &e.docNumber, &e.name, &e.nat, &e.birth, &e.sex, &e.household, &e.manual)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// boolInt is an int64 so the driver takes it as is (an int goes through
// database/sql's reflection-based conversion).
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// rowKey identifies a roster row within a batch: its document, or for a
// resident without one, name, birth date and address.
func rowKey(r *lifeline.Resident) string {
	if r.Doc.Type == lifeline.DocNone {
		return "none|" + r.Name + "|" + birthText(r.Birth) + "|" + r.Address.Key()
	}
	return r.Doc.Key()
}

// upsertAll upserts residents a chunk at a time (offset: how many residents
// of the import came before rs, for messages). A chunk never holds the
// same person twice, so the lookup at its start stays true through it.
func (w *rosterWriter) upsertAll(rs []lifeline.Resident, args []rowArgs, offset int, st *lifeline.ImportStats) error {
	seen := make(map[string]bool, chunkRows)
	keys := make([]string, 0, chunkRows) // rowKey of each row of the chunk
	start := 0
	for i := 0; i <= len(rs); i++ {
		var k string
		if i < len(rs) {
			k = args[i].key
			if len(keys) < chunkRows && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
				continue
			}
		}
		if err := w.cancel.Err(); err != nil {
			return err
		}
		if err := w.upsertChunk(rs[start:i], args[start:i], keys, offset+start, st); err != nil {
			return err
		}
		clear(seen)
		keys = keys[:0]
		start = i
		if i < len(rs) {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return nil
}

func (w *rosterWriter) upsertChunk(rs []lifeline.Resident, args []rowArgs, keys []string, offset int, st *lifeline.ImportStats) error {
	if len(rs) == 0 {
		return nil
	}
	hhs := make([]int64, len(rs))
	for i := range rs {
		if partialAddress(&rs[i]) {
			continue // the household waits for the stored address (update)
		}
		hh, err := w.household(rs[i].Address)
		if err != nil {
			return fmt.Errorf("resident %d: %w", offset+i+1, err)
		}
		hhs[i] = hh
	}
	found, err := w.lookupChunk(rs, keys, hhs)
	if err != nil {
		return err
	}
	var fresh []int
	for i := range rs {
		r := &rs[i]
		e := found[i]
		if e == nil && partialAddress(r) {
			if hhs[i], err = w.household(r.Address); err != nil {
				return fmt.Errorf("resident %d: %w", offset+i+1, err)
			}
		}
		if e == nil {
			st.Inserted++
			if err := w.insert(r, &args[i], hhs[i]); err != nil {
				return fmt.Errorf("resident %d: %w", offset+i+1, err)
			}
			if w.emptyAtStart {
				w.written[keys[i]] = r.ID
			}
			fresh = append(fresh, i)
			continue
		}
		if err := w.update(r, &args[i], e, st); err != nil {
			return fmt.Errorf("resident %d: %w", offset+i+1, err)
		}
	}
	if err := w.flushRows(); err != nil {
		return err
	}
	// Phones and grams only after their residents are in: the foreign
	// keys are checked statement by statement.
	for _, i := range fresh {
		if err := w.addRows(rs[i].ID, &args[i]); err != nil {
			return err
		}
		if w.bufferedNew == 0 || rs[i].ID < w.bufferedNew {
			w.bufferedNew = rs[i].ID
		}
	}
	return nil
}

// lookupChunk finds the stored residents of a chunk (keys: their rowKeys):
// one query by document number for the chunk, then replaced documents and
// residents without documents one by one.
func (w *rosterWriter) lookupChunk(rs []lifeline.Resident, keys []string, hhs []int64) ([]*existing, error) {
	found := make([]*existing, len(rs))
	if w.emptyAtStart {
		var ids []any
		for i := range rs {
			if id, ok := w.written[keys[i]]; ok {
				ids = append(ids, id)
			}
		}
		es, err := w.lookup(`id`, ids)
		if err != nil {
			return nil, err
		}
		byID := make(map[int64]*existing, len(es))
		for _, e := range es {
			byID[e.id] = e
		}
		for i := range rs {
			if id, ok := w.written[keys[i]]; ok {
				if found[i] = byID[id]; found[i] == nil {
					return nil, rosterChanged(nil) // written by this import, gone
				}
			}
		}
		return found, nil
	}
	var nums []any
	for i := range rs {
		if rs[i].Doc.Type != lifeline.DocNone {
			nums = append(nums, reverse(rs[i].Doc.Number))
		}
	}
	es, err := w.lookup(`doc_rev`, nums)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]*existing, len(es))
	for _, e := range es {
		byKey[e.docType+":"+e.docNumber] = e
	}
	for i := range rs {
		r := &rs[i]
		var row *sql.Row
		switch {
		case r.Doc.Type == lifeline.DocNone:
			// No number to match on: the same name and birth date in the
			// same household is the same child.
			if hhs[i] == 0 {
				continue
			}
			row = w.selNone.QueryRowContext(w.ctx, hhs[i], r.Name, birthText(r.Birth))
		default:
			if e := byKey[r.Doc.Key()]; e != nil {
				found[i] = e
				continue
			}
			if !w.hasOldDocs {
				continue
			}
			row = w.selOld.QueryRowContext(w.ctx, string(r.Doc.Type), r.Doc.Number)
		}
		e := &existing{}
		if err := e.scan(row); errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return nil, w.db.unavailable(err)
		}
		found[i] = e
	}
	return found, nil
}

// lookup reads the stored residents whose column (doc_rev or id) is one of
// vals.
func (w *rosterWriter) lookup(column string, vals []any) ([]*existing, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	st, err := w.lookupStmt(column, len(vals))
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(w.ctx, vals...)
	if err != nil {
		return nil, w.db.unavailable(err)
	}
	defer rows.Close()
	var out []*existing
	for rows.Next() {
		e := &existing{}
		if err := e.scan(rows); err != nil {
			return nil, w.db.unavailable(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, w.db.unavailable(err)
	}
	return out, nil
}

// lookupStmt returns the statement finding n residents by column (doc_rev
// or id), prepared once per column and n: whole chunks all use one,
// instead of parsing a thousand placeholders per chunk.
func (w *rosterWriter) lookupStmt(column string, n int) (*sql.Stmt, error) {
	k := lookupKey{column, n}
	if st, ok := w.lookups[k]; ok {
		return st, nil
	}
	where := `doc_rev IN (` + placeholders(n) + `) AND doc_number <> ''`
	if column == `id` {
		where = `id IN (` + placeholders(n) + `)`
	}
	st, err := w.tx.PrepareContext(w.ctx, w.db.SQL(`SELECT id, doc_type, doc_number, name, nationality, birth, sex, household_id, needs_manual
		FROM residents WHERE `+where))
	if err != nil {
		return nil, w.db.unavailable(err)
	}
	if w.lookups == nil {
		w.lookups = map[lookupKey]*sql.Stmt{}
	}
	w.lookups[k] = st
	return st, nil
}

type lookupKey struct {
	column string
	n      int
}

// insert gives a new resident an id and puts its row in the residents
// buffer; the caller flushes it (flushRows) and then adds phones and grams
// with addRows.
func (w *rosterWriter) insert(r *lifeline.Resident, p *rowArgs, hh int64) error {
	r.HouseholdID = hh
	id, err := w.residentIDs.next()
	if err != nil {
		return err
	}
	r.ID = id
	b := w.residents
	b.args = append(b.args, id)
	b.args = append(b.args, p.cols[:]...)
	b.args = append(b.args, nullID(hh), p.manual, w.nowArg, w.nowArg)
	return b.added()
}

// addRows adds the name grams and phones of a new resident (p: its
// rowArgs).
func (w *rosterWriter) addRows(id int64, p *rowArgs) error {
	idArg := any(id) // boxed once for all its rows
	for _, g := range p.grams {
		if err := w.grams.add(g, idArg); err != nil {
			return err
		}
	}
	for i := 0; i < len(p.phones); i += 2 {
		if err := w.phones.add(p.phones[i], idArg, p.phones[i+1], int64(i/2)); err != nil {
			return err
		}
	}
	return nil
}

// rowArgs is what the writer stores of a new resident, made ready for the
// statements before the writer needs it: on its own goroutine in an
// import (prepareChunk), so the writer, which an import waits for, only
// binds. A resident already stored is updated from the Resident itself.
type rowArgs struct {
	key string // rowKey
	// name, doc_type, doc_number, doc_rev, nationality, birth, sex
	cols   [7]any
	manual any   // needs_manual
	grams  []any // nameGrams
	phones []any // phone, tail4, for each phone in order
}

// argsOf makes the rowArgs of a prepared resident.
func argsOf(r *lifeline.Resident) rowArgs {
	a := rowArgs{
		key:    rowKey(r),
		cols:   [7]any{r.Name, string(r.Doc.Type), r.Doc.Number, reverse(r.Doc.Number), r.Doc.Nationality, birthText(r.Birth), string(r.Sex)},
		manual: boolInt(r.NeedsManual),
	}
	if r.Name != "" {
		gs := nameGrams(r.Name)
		a.grams = make([]any, len(gs))
		for i, g := range gs {
			a.grams[i] = g
		}
	}
	a.phones = phoneArgs(r.Phones)
	return a
}

// phoneArgs is the phone and tail4 of each phone in order, nil for none.
func phoneArgs(phones []string) []any {
	if len(phones) == 0 {
		return nil
	}
	out := make([]any, 0, 2*len(phones))
	for _, p := range phones {
		out = append(out, p, lifeline.PhoneTail(p))
	}
	return out
}

// partialAddress reports whether a resident's source left out part of the
// address (and has a document to find the stored one by): its household is
// the stored address with the parts given replaced.
func partialAddress(r *lifeline.Resident) bool {
	return r.Omitted&lifeline.FieldAddress != 0 && r.Doc.Type != lifeline.DocNone
}

// update brings a stored resident up to date with a roster row, counting
// what it did, part by part. A part the row's file has no column for
// (Resident.Omitted) is left as stored; an empty cell in a column the file
// has clears it. A row with only mobiles (or only landlines) leaves the
// stored numbers of the other kind (lifeline.MergePhones).
func (w *rosterWriter) update(r *lifeline.Resident, p *rowArgs, e *existing, st *lifeline.ImportStats) error {
	hh, err := w.updatedHousehold(r, e)
	if err != nil {
		return err
	}
	r.ID, r.HouseholdID = e.id, hh
	if w.buffered[e.id] || (w.bufferedNew != 0 && e.id >= w.bufferedNew) {
		if err := w.flush(); err != nil {
			return err
		}
	}
	nat, birth, sex := r.Doc.Nationality, birthText(r.Birth), string(r.Sex)
	if r.Omitted.Has(lifeline.FieldNationality) {
		nat = e.nat
	}
	if r.Omitted.Has(lifeline.FieldBirth) {
		birth = e.birth
	}
	if r.Omitted.Has(lifeline.FieldSex) {
		sex = e.sex
	}
	ch := lifeline.FieldChanges{Name: boolCount(e.name != r.Name), Address: boolCount(e.household.Int64 != hh),
		Birth: boolCount(e.birth != birth), Sex: boolCount(e.sex != sex), Nationality: boolCount(e.nat != nat)}
	rowChanged := ch.Any() || (e.manual != 0) != r.NeedsManual
	if !r.Omitted.Has(lifeline.FieldPhones) {
		old, err := w.storedPhones(e.id)
		if err != nil {
			return err
		}
		if len(r.Phones) > 0 { // an empty cell clears them all
			if merged := lifeline.MergePhones(old, r.Phones); !slices.Equal(merged, r.Phones) {
				r.Phones, p.phones = merged, phoneArgs(merged)
			}
		}
		ch.Phones = boolCount(!slices.Equal(old, r.Phones))
	}
	if !rowChanged && ch.Phones == 0 {
		st.Unchanged++
		return nil
	}
	st.Updated++
	st.Changed = addChanges(st.Changed, ch)
	if ch.Name > 0 && len(st.Renamed) < lifeline.MaxRenamesListed {
		st.Renamed = append(st.Renamed, lifeline.Rename{Doc: r.Doc, Old: e.name, New: r.Name})
	}
	if rowChanged {
		if _, err := w.updRes.ExecContext(w.ctx, r.Name, nat, birth, sex, nullID(hh), boolInt(r.NeedsManual), w.now, e.id); err != nil {
			return w.db.unavailable(err)
		}
	}
	var add rowArgs // the rows to write again: grams for a new name, new phones
	if ch.Name > 0 {
		for _, g := range allGrams(foldName(e.name)) {
			if _, err := w.delGram.ExecContext(w.ctx, g, e.id); err != nil {
				return w.db.unavailable(err)
			}
		}
		add.grams = p.grams
	}
	if ch.Phones > 0 {
		if _, err := w.delPhones.ExecContext(w.ctx, e.id); err != nil {
			return w.db.unavailable(err)
		}
		add.phones = p.phones
	}
	w.buffered[e.id] = true
	return w.addRows(e.id, &add)
}

// updatedHousehold is the household a stored resident moves to: the one
// at the address given, with the parts the file has no column for taken
// from the stored address (none at all: the stored household).
func (w *rosterWriter) updatedHousehold(r *lifeline.Resident, e *existing) (int64, error) {
	if !partialAddress(r) {
		return w.household(r.Address)
	}
	if r.Omitted.Has(lifeline.FieldAddress) {
		return e.household.Int64, nil
	}
	var stored lifeline.Address
	if e.household.Valid {
		err := w.selHousehold.QueryRowContext(w.ctx, e.household.Int64).Scan(&stored.Community, &stored.Building, &stored.Unit, &stored.Room)
		if err != nil {
			return 0, w.db.unavailable(err)
		}
	}
	r.Address = lifeline.MergeAddress(r.Address, stored, r.Omitted)
	return w.household(r.Address)
}

func boolCount(b bool) int {
	if b {
		return 1
	}
	return 0
}

func addChanges(a, b lifeline.FieldChanges) lifeline.FieldChanges {
	return lifeline.FieldChanges{Name: a.Name + b.Name, Address: a.Address + b.Address, Phones: a.Phones + b.Phones,
		Birth: a.Birth + b.Birth, Sex: a.Sex + b.Sex, Nationality: a.Nationality + b.Nationality}
}

func (w *rosterWriter) storedPhones(id int64) ([]string, error) {
	rows, err := w.selPhones.QueryContext(w.ctx, id)
	if err != nil {
		return nil, w.db.unavailable(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, w.db.unavailable(err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// bulkInsert collects rows for one table and writes them with multi-row
// INSERTs: n rows at a time through a statement prepared on first use, the
// rest at flush. (Passing the rows as one JSON parameter to json_each was
// tried: slower on modernc's SQLite.)
type bulkInsert struct {
	db         *DB
	ctx        context.Context
	into, tail string
	width, n   int
	stmts      insertStatements
	args       []any
	// exact makes a statement that stores fewer rows than it was given
	// an error.
	exact bool
	// sorted writes rows in the order of their first column (a string),
	// the order of the table's key: neighbouring rows land on the same
	// B-tree pages.
	sorted bool
	// rowid: the first column is the table's INTEGER PRIMARY KEY, left out
	// of the statement (into names the other columns) for the database to
	// assign as the largest so far plus one (bulkWriting.assignsIDs). The
	// rows' ids must follow on from each other; after the statement, the
	// last rowid assigned must be the last row's id, or the import fails
	// (and rolls back) rather than store a row under another id than its
	// phones and grams.
	rowid   bool
	scratch []any
}

// insertStatements runs the multi-row INSERTs of one bulkInsert in its
// transaction, each prepared once per number of rows; query gives the
// statement for a number of rows. txStatements goes through database/sql;
// SQLite's driverStatements (sqlite_bulk.go) to the driver directly.
type insertStatements interface {
	exec(ctx context.Context, rows int, args []any) (driver.Result, error)
	close()
}

// txStatements runs statements prepared on a transaction.
type txStatements struct {
	db    *DB
	tx    *sql.Tx
	query func(rows int) string
	stmts map[int]*sql.Stmt // by row count
}

func (t *txStatements) exec(ctx context.Context, rows int, args []any) (driver.Result, error) {
	s, ok := t.stmts[rows]
	if !ok {
		var err error
		if s, err = t.tx.PrepareContext(ctx, t.query(rows)); err != nil {
			return nil, t.db.unavailable(err)
		}
		t.stmts[rows] = s
	}
	return s.ExecContext(ctx, args...)
}

func (t *txStatements) close() {
	for _, s := range t.stmts {
		s.Close()
	}
}

func (b *bulkInsert) sortRows(rows int) {
	idx := make([]int, rows)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int {
		return strings.Compare(b.args[i*b.width].(string), b.args[j*b.width].(string))
	})
	b.scratch = b.scratch[:0]
	for _, i := range idx {
		b.scratch = append(b.scratch, b.args[i*b.width:(i+1)*b.width]...)
	}
	b.args, b.scratch = b.scratch, b.args
}

// newBulkInsert writes rows of width columns in tx with into ("INSERT INTO
// t (a, b)") followed by the rows and tail. conn, if not nil, is the
// connection tx runs on (see bulkWriting.statements).
func (db *DB) newBulkInsert(ctx context.Context, tx *sql.Tx, conn *sql.Conn, into string, width int, tail string, n int) *bulkInsert {
	b := &bulkInsert{db: db, ctx: ctx, into: into, tail: tail, width: width, n: n, args: make([]any, 0, width*n)}
	b.stmts = db.bulk.statements(tx, conn, b.query)
	return b
}

func (b *bulkInsert) add(vals ...any) error {
	b.args = append(b.args, vals...)
	return b.added()
}

// added flushes once a row appended to args fills the statement.
func (b *bulkInsert) added() error {
	if len(b.args) == b.width*b.n {
		return b.flush()
	}
	return nil
}

// flush writes the buffered rows: a full statement's worth at a time, and
// what is left in pieces of a power of two rows. A flush of any size then
// needs at most a dozen statements in all, where a statement per size
// made an import prepare one, at length, for nearly every chunk (each
// chunk brings its own number of new households).
func (b *bulkInsert) flush() error {
	rows := len(b.args) / b.width
	if rows == 0 {
		return nil
	}
	if b.sorted {
		b.sortRows(rows)
	}
	defer func() { b.args = b.args[:0] }()
	for at := 0; at < rows; {
		n := b.n
		if left := rows - at; left < n {
			n = 1 << (bits.Len(uint(left)) - 1)
		}
		if err := b.exec(b.args[at*b.width:(at+n)*b.width], n); err != nil {
			return err
		}
		at += n
	}
	return nil
}

// exec writes rows rows (their values in args) with one statement.
func (b *bulkInsert) exec(args []any, rows int) error {
	lastID := int64(0)
	if b.rowid {
		first := args[0].(int64)
		b.scratch = b.scratch[:0]
		for i := range rows {
			row := args[i*b.width : (i+1)*b.width]
			if id := row[0].(int64); id != first+int64(i) {
				return fmt.Errorf("%s: row %d has id %d, want %d: ids must follow on", b.into, i+1, id, first+int64(i))
			}
			b.scratch = append(b.scratch, row[1:]...)
		}
		args, lastID = b.scratch, first+int64(rows)-1
	}
	res, err := b.stmts.exec(b.ctx, rows, args)
	if err != nil {
		return b.db.unavailable(err)
	}
	if b.exact {
		if n, err := res.RowsAffected(); err != nil || n != int64(rows) {
			return rosterChanged(err)
		}
	}
	if b.rowid {
		if got, err := res.LastInsertId(); err != nil || got != lastID {
			return rosterChanged(err)
		}
	}
	return nil
}

// query is the statement that inserts rows rows.
func (b *bulkInsert) query(rows int) string {
	width := b.width
	if b.rowid {
		width--
	}
	return b.db.SQL(b.into + " VALUES " + tuples(rows, width) + b.tail)
}

// rosterChanged is the error of a chunk that did not land as counted:
// another writer changed the tables under the import.
func rosterChanged(err error) error {
	return lifeline.Wrapf(lifeline.ECONFLICT, err, lifeline.T("导入期间名册被同时修改，请重试", "the roster changed while the import ran; please retry"))
}

func (b *bulkInsert) close() { b.stmts.close() }
