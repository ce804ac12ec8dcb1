package storetest

import (
	"context"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

func init() {
	register("resident/create_and_load", testCreateAndLoad)
	register("resident/change_document", testChangeDocument)
	register("import/idempotent", testImportIdempotent)
	register("import/dry_run", testImportDryRun)
	register("import/update", testImportUpdate)
	register("import/atomic", testImportAtomic)
	register("import/cancel", testImportCancel)
	register("import/no_document", testImportNoDocument)
	register("status/results", testStatusResults)
	register("status/colour", testStatusColour)
	register("each/order", testEachOrder)
}

func testCreateAndLoad(t *testing.T, db *store.DB) {
	c := ctx(t)
	a := synth.Resident(1)
	a.Phones = []string{"138 0013 8000", "010-12345678"}
	must(t, db.CreateResident(c, &a))
	if a.ID == 0 || a.HouseholdID == 0 {
		t.Fatalf("ids not set: %+v", a)
	}
	b := synth.Resident(2) // same household as 1
	b.Phones = []string{"13800138000"}
	must(t, db.CreateResident(c, &b))
	if b.HouseholdID != a.HouseholdID {
		t.Fatalf("household %d, want %d (same address)", b.HouseholdID, a.HouseholdID)
	}

	got, err := db.Resident(c, a.ID)
	must(t, err)
	if got.Name != a.Name || got.Doc.Number != synth.ID(1) || got.Address != synth.Address(1) {
		t.Fatalf("loaded %+v", got)
	}
	if want := []string{"+8613800138000", "+861012345678"}; !slices.Equal(got.Phones, want) {
		t.Fatalf("phones %v, want %v", got.Phones, want)
	}
	wantBirth, wantSex, _ := lifeline.ParseMainlandID(synth.ID(1))
	if !got.Birth.Equal(wantBirth) || got.Sex != wantSex {
		t.Fatalf("birth %v sex %q, want %v %q (from the ID)", got.Birth, got.Sex, wantBirth, wantSex)
	}

	dup := synth.Resident(1)
	wantCode(t, db.CreateResident(c, &dup), lifeline.ECONFLICT)
	bad := synth.Resident(3)
	bad.Doc.Number = bad.Doc.Number[:17] + "0"
	if bad.Doc.Number == synth.ID(3) {
		bad.Doc.Number = bad.Doc.Number[:17] + "1"
	}
	wantCode(t, db.CreateResident(c, &bad), lifeline.EINVALID)

	byDoc, err := db.ResidentByDocument(c, lifeline.Document{Type: lifeline.DocMainlandID, Number: synth.ID(2)})
	must(t, err)
	if byDoc.ID != b.ID {
		t.Fatalf("by document: %d, want %d", byDoc.ID, b.ID)
	}
	_, err = db.ResidentByDocument(c, lifeline.Document{Type: lifeline.DocMainlandID, Number: synth.ID(3)})
	wantCode(t, err, lifeline.ENOTFOUND)
	_, err = db.Resident(c, 999999)
	wantCode(t, err, lifeline.ENOTFOUND)

	shared, err := db.ResidentsByPhone(c, "+86 138-0013-8000")
	must(t, err)
	if len(shared) != 2 {
		t.Fatalf("a shared phone finds %d residents, want 2", len(shared))
	}
	members, err := db.HouseholdMembers(c, a.HouseholdID)
	must(t, err)
	if len(members) != 2 {
		t.Fatalf("household has %d members, want 2", len(members))
	}
	n, err := db.CountResidents(c)
	must(t, err)
	if n != 2 {
		t.Fatalf("count %d, want 2", n)
	}
}

func testChangeDocument(t *testing.T, db *store.DB) {
	c := ctx(t)
	r := lifeline.Resident{Name: "John Smith", Doc: lifeline.Document{Type: lifeline.DocPassport, Number: "E1234567", Nationality: "USA"},
		Phones: []string{"+14155550100"}, Address: synth.Address(0)}
	must(t, db.CreateResident(c, &r))
	_, err := db.RecordResult(c, lifeline.StatusUpdate{ResidentID: r.ID, Test: &lifeline.TestResult{SampledAt: time.Unix(1650000000, 0), Result: lifeline.Negative, Site: "A"}})
	must(t, err)
	must(t, db.ChangeDocument(c, r.ID, lifeline.Document{Type: lifeline.DocPassport, Number: "e 7654321", Nationality: "usa"}))

	for _, n := range []string{"E1234567", "E7654321"} {
		got, err := db.ResidentByDocument(c, lifeline.Document{Type: lifeline.DocPassport, Number: n})
		must(t, err)
		if got.ID != r.ID {
			t.Fatalf("%s finds %d, want %d", n, got.ID, r.ID)
		}
	}
	got, _ := db.Resident(c, r.ID)
	if got.Doc.Number != "E7654321" || got.Status.Latest == nil {
		t.Fatalf("after change: doc %q latest %v (history must stay)", got.Doc.Number, got.Status.Latest)
	}
	// A roster that still lists the old passport updates the same person.
	old := r
	old.ID = 0
	old.Doc = lifeline.Document{Type: lifeline.DocPassport, Number: "E1234567", Nationality: "USA"}
	st, err := db.Import(c, &lifeline.ImportBatch{Residents: []lifeline.Resident{old}})
	must(t, err)
	if st.Inserted != 0 {
		t.Fatalf("old passport inserted a new resident: %+v", st)
	}
	if n, _ := db.CountResidents(c); n != 1 {
		t.Fatalf("count %d, want 1", n)
	}
	// Another resident cannot take the number.
	other := synth.Resident(5)
	must(t, db.CreateResident(c, &other))
	wantCode(t, db.ChangeDocument(c, other.ID, lifeline.Document{Type: lifeline.DocPassport, Number: "E1234567"}), lifeline.ECONFLICT)
	wantCode(t, db.ChangeDocument(c, 424242, lifeline.Document{Type: lifeline.DocPassport, Number: "E5555555"}), lifeline.ENOTFOUND)
}

// batch is n synthetic residents, each with a colour and a test result.
func batch(n int) *lifeline.ImportBatch {
	b := &lifeline.ImportBatch{Residents: synth.Residents(0, n)}
	at := time.Date(2022, 4, 9, 8, 0, 0, 0, time.UTC)
	for i := range n {
		u := lifeline.StatusUpdate{Doc: b.Residents[i].Doc, Color: lifeline.Green, At: at,
			Test: &lifeline.TestResult{SampledAt: at.Add(time.Duration(i) * time.Second), Result: lifeline.Negative, Site: "社区卫生站"}}
		if i%7 == 0 {
			u.Color = lifeline.Yellow
		}
		b.Updates = append(b.Updates, u)
	}
	return b
}

func counts(t *testing.T, db *store.DB) [3]int {
	t.Helper()
	var c [3]int
	n, err := db.CountResidents(context.Background())
	must(t, err)
	c[0] = n
	c[1] = count(t, db, "SELECT count(*) FROM phones")
	c[2] = count(t, db, "SELECT count(*) FROM test_results")
	return c
}

func testImportIdempotent(t *testing.T, db *store.DB) {
	c := ctx(t)
	st, err := db.Import(c, batch(600))
	must(t, err)
	if st.Inserted != 600 || st.Results != 600 || st.Colors != 600 || st.Updated != 0 {
		t.Fatalf("first import: %+v", st)
	}
	before := counts(t, db)
	if before != [3]int{600, 600, 600} {
		t.Fatalf("rows after import: %v", before)
	}
	st, err = db.Import(c, batch(600))
	must(t, err)
	if !reflect.DeepEqual(st, lifeline.ImportStats{Unchanged: 1200}) {
		t.Fatalf("re-import: %+v, want all unchanged", st)
	}
	if after := counts(t, db); after != before {
		t.Fatalf("re-import changed rows: %v -> %v", before, after)
	}
	r, err := db.ResidentByDocument(c, lifeline.Document{Type: lifeline.DocMainlandID, Number: synth.ID(7)})
	must(t, err)
	if r.Status.Color != lifeline.Yellow || r.Status.Latest == nil || r.Status.Latest.Result != lifeline.Negative {
		t.Fatalf("status %+v", r.Status)
	}
}

// A dry run counts exactly what the real import then does, and writes
// nothing: not the residents, their phones and results, nor the audit line.
func testImportDryRun(t *testing.T, db *store.DB) {
	c := ctx(t)
	_, err := db.Import(c, batch(100))
	must(t, err)
	before := counts(t, db)
	audit := audited(t, db, "")
	b := batch(250)
	b.DryRun = true
	dry, err := db.Import(c, b)
	must(t, err)
	if !reflect.DeepEqual(dry, lifeline.ImportStats{Inserted: 150, Unchanged: 200, Results: 150, Colors: 150}) {
		t.Fatalf("dry run: %+v", dry)
	}
	if after := counts(t, db); after != before {
		t.Fatalf("dry run wrote rows: %v -> %v", before, after)
	}
	auditAfter := audited(t, db, "")
	if auditAfter != audit {
		t.Fatalf("dry run wrote %d audit lines", auditAfter-audit)
	}
	real, err := db.Import(c, batch(250))
	must(t, err)
	if !reflect.DeepEqual(real, dry) {
		t.Fatalf("import after the dry run: %+v, dry run said %+v", real, dry)
	}
}

func testImportUpdate(t *testing.T, db *store.DB) {
	c := ctx(t)
	_, err := db.Import(c, batch(50))
	must(t, err)
	b := &lifeline.ImportBatch{Residents: synth.Residents(0, 50)}
	b.Residents[3].Name = "欧阳娜娜"
	b.Residents[4].Phones = []string{"13912345678", "13987654321"}
	b.Residents[5].Address.Room = "1801"
	st, err := db.Import(c, b)
	must(t, err)
	if st.Updated != 3 || st.Unchanged != 47 || st.Inserted != 0 {
		t.Fatalf("stats %+v, want 3 updated", st)
	}
	ms, err := db.FindResidents(c, lifeline.ResidentFilter{Query: "阳娜"})
	must(t, err)
	if len(ms) != 1 || ms[0].Resident.Doc.Number != synth.ID(3) {
		t.Fatalf("renamed resident not found by new name: %v", ms)
	}
	old := []rune(synth.Name(3))
	ms, err = db.FindResidents(c, lifeline.ResidentFilter{Query: string(old)})
	must(t, err)
	for _, m := range ms {
		if m.Resident.Doc.Number == synth.ID(3) {
			t.Fatalf("old name %s still finds the renamed resident", string(old))
		}
	}
	r, _ := db.ResidentByDocument(c, lifeline.Document{Type: lifeline.DocMainlandID, Number: synth.ID(4)})
	if !slices.Equal(r.Phones, []string{"+8613912345678", "+8613987654321"}) {
		t.Fatalf("phones not replaced: %v", r.Phones)
	}
	if ms, _ := db.FindResidents(c, lifeline.ResidentFilter{Query: synth.Phone(4)}); len(ms) != 0 && synth.Phone(4) != synth.Phone(5) {
		for _, m := range ms {
			if m.Resident.ID == r.ID {
				t.Fatalf("old phone still finds the resident")
			}
		}
	}
	r, _ = db.ResidentByDocument(c, lifeline.Document{Type: lifeline.DocMainlandID, Number: synth.ID(5)})
	if r.Address.Room != "1801" {
		t.Fatalf("moved resident has room %q", r.Address.Room)
	}
}

func testImportAtomic(t *testing.T, db *store.DB) {
	c := ctx(t)
	// A bad resident at the end of a big batch.
	b := batch(2000)
	last := &b.Residents[len(b.Residents)-1]
	last.Doc.Number = last.Doc.Number[:17] + string("0123456789X"[(1+stringsIndex("0123456789X", last.Doc.Number[17]))%11])
	_, err := db.Import(c, b)
	wantCode(t, err, lifeline.EINVALID)
	if got := counts(t, db); got != [3]int{} {
		t.Fatalf("failed import left rows: %v", got)
	}
	// A bad status row at the very end, after every resident was written
	// inside the transaction.
	b = batch(2000)
	b.Updates = append(b.Updates, lifeline.StatusUpdate{Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: synth.ID(99999)}, Color: lifeline.Red})
	_, err = db.Import(c, b)
	wantCode(t, err, lifeline.ENOTFOUND)
	if got := counts(t, db); got != [3]int{} {
		t.Fatalf("failed import left rows: %v", got)
	}
	b = batch(2000)
	b.Updates[len(b.Updates)-1].Test.Result = "maybe"
	_, err = db.Import(c, b)
	wantCode(t, err, lifeline.EINVALID)
	if got := counts(t, db); got != [3]int{} {
		t.Fatalf("failed import left rows: %v", got)
	}
}

func stringsIndex(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// cancelAfter is a context that reports itself cancelled after its Err
// method has been asked n times: a Ctrl-C at a chosen point of an import,
// with no timing involved.
type cancelAfter struct {
	context.Context
	n     atomic.Int64
	done  chan struct{}
	fired atomic.Bool
}

func newCancelAfter(parent context.Context, n int64) *cancelAfter {
	c := &cancelAfter{Context: parent, done: make(chan struct{})}
	c.n.Store(n)
	return c
}

func (c *cancelAfter) Done() <-chan struct{} { return c.done }

func (c *cancelAfter) Err() error {
	if c.fired.Load() {
		return context.Canceled
	}
	if c.n.Add(-1) <= 0 {
		if c.fired.CompareAndSwap(false, true) {
			close(c.done)
		}
		return context.Canceled
	}
	return nil
}

func testImportCancel(t *testing.T, db *store.DB) {
	c := newCancelAfter(ctx(t), 5)
	_, err := db.Import(c, batch(3000))
	if err == nil {
		t.Fatal("cancelled import succeeded")
	}
	if got := counts(t, db); got != [3]int{} {
		t.Fatalf("cancelled import left rows: %v", got)
	}
	// The store is usable afterwards.
	_, err = db.Import(ctx(t), batch(10))
	must(t, err)
}

func testImportNoDocument(t *testing.T, db *store.DB) {
	c := ctx(t)
	child := lifeline.Resident{Name: "王小宝", Doc: lifeline.Document{Type: lifeline.DocNone}, Address: synth.Address(0),
		Birth: time.Date(2020, 5, 1, 0, 0, 0, 0, time.UTC)}
	parent := synth.Resident(0)
	b := &lifeline.ImportBatch{Residents: []lifeline.Resident{parent, child}}
	st, err := db.Import(c, b)
	must(t, err)
	if st.Inserted != 2 {
		t.Fatalf("%+v", st)
	}
	r, _ := db.Resident(c, b.Residents[1].ID)
	if !r.NeedsManual {
		t.Fatal("a resident without a document is not flagged for manual handling")
	}
	st, err = db.Import(c, &lifeline.ImportBatch{Residents: []lifeline.Resident{parent, child}})
	must(t, err)
	if st.Unchanged != 2 {
		t.Fatalf("re-import of a child without document: %+v", st)
	}
}

func testStatusResults(t *testing.T, db *store.DB) {
	c := ctx(t)
	r := synth.Resident(0)
	must(t, db.CreateResident(c, &r))
	t1 := time.Date(2022, 4, 9, 8, 0, 0, 0, time.UTC)
	t2 := t1.Add(24 * time.Hour)
	rec := func(at time.Time, res lifeline.Result, ext string) bool {
		t.Helper()
		ch, err := db.RecordResult(c, lifeline.StatusUpdate{ResidentID: r.ID, Test: &lifeline.TestResult{SampledAt: at, Result: res, Site: "A", ExternalID: ext}})
		must(t, err)
		return ch.Changed
	}
	latest := func() *lifeline.TestResult {
		t.Helper()
		got, err := db.Resident(c, r.ID)
		must(t, err)
		return got.Status.Latest
	}
	if !rec(t2, lifeline.Pending, "") {
		t.Fatal("new result reported unchanged")
	}
	if rec(t2, lifeline.Pending, "") {
		t.Fatal("same result twice reported changed")
	}
	if !rec(t2, lifeline.Negative, "") {
		t.Fatal("pending -> negative reported unchanged")
	}
	if l := latest(); l == nil || l.Result != lifeline.Negative || !l.SampledAt.Equal(t2) {
		t.Fatalf("latest %+v", l)
	}
	// An older sample arriving late does not become the latest.
	if !rec(t1, lifeline.Positive, "lab-1") {
		t.Fatal("older result reported unchanged")
	}
	if l := latest(); !l.SampledAt.Equal(t2) {
		t.Fatalf("latest moved back to %v", l.SampledAt)
	}
	if rec(t1, lifeline.Positive, "lab-1") {
		t.Fatal("same external id twice reported changed")
	}
	rs, err := db.TestResults(c, r.ID, 10)
	must(t, err)
	if len(rs) != 2 || !rs[0].SampledAt.Equal(t2) || rs[1].ExternalID != "lab-1" {
		t.Fatalf("results %+v", rs)
	}
	// A whole update with an idempotency key is applied once.
	u := lifeline.StatusUpdate{Doc: r.Doc, Color: lifeline.Red, ColorReason: "密接", At: t2, ExternalID: "push-9"}
	changed, err := db.RecordResult(c, u)
	must(t, err)
	u.Color = lifeline.Green
	again, err := db.RecordResult(c, u)
	must(t, err)
	if !changed.Changed || again.Changed || again.Color != lifeline.Red {
		t.Fatalf("keyed update: first %+v, retry %+v", changed, again)
	}
	_, err = db.RecordResult(c, lifeline.StatusUpdate{ResidentID: 987654, Color: lifeline.Green})
	wantCode(t, err, lifeline.ENOTFOUND)
}

func testStatusColour(t *testing.T, db *store.DB) {
	c := ctx(t)
	r := synth.Resident(0)
	must(t, db.CreateResident(c, &r))
	t1 := time.Date(2022, 4, 9, 8, 0, 0, 0, time.UTC)
	set := func(col lifeline.Color, at time.Time) bool {
		ch, err := db.RecordResult(c, lifeline.StatusUpdate{ResidentID: r.ID, Color: col, At: at})
		must(t, err)
		return ch.Changed
	}
	if !set(lifeline.Yellow, t1) || set(lifeline.Yellow, t1) {
		t.Fatal("colour change not reported exactly once")
	}
	if !set(lifeline.Green, t1.Add(time.Hour)) {
		t.Fatal("newer colour not applied")
	}
	if set(lifeline.Red, t1.Add(30*time.Minute)) {
		t.Fatal("an older colour overrode a newer one")
	}
	got, _ := db.Resident(c, r.ID)
	if got.Status.Color != lifeline.Green || !got.Status.ColorAt.Equal(t1.Add(time.Hour)) || got.Status.UpdatedAt.IsZero() {
		t.Fatalf("status %+v", got.Status)
	}
	_, err := db.RecordResult(c, lifeline.StatusUpdate{ResidentID: r.ID, Color: "purple"})
	wantCode(t, err, lifeline.EINVALID)
}

func testEachOrder(t *testing.T, db *store.DB) {
	c := ctx(t)
	var b lifeline.ImportBatch
	// Residents spread over two communities, added in a scrambled order.
	for _, i := range []int{9000, 5, 8700, 1, 440, 2, 8650, 300, 0, 4} {
		b.Residents = append(b.Residents, synth.Resident(i))
	}
	nobody := lifeline.Resident{Name: "无地址", Doc: lifeline.Document{Type: lifeline.DocPassport, Number: "P1234567"}}
	b.Residents = append(b.Residents, nobody)
	_, err := db.Import(c, &b)
	must(t, err)
	collect := func(f lifeline.ResidentFilter) []*lifeline.Resident {
		var out []*lifeline.Resident
		must(t, db.EachResident(c, f, func(r *lifeline.Resident) error {
			out = append(out, r)
			return nil
		}))
		return out
	}
	all := collect(lifeline.ResidentFilter{})
	if len(all) != 11 || all[10].Name != "无地址" {
		t.Fatalf("all: %d residents, last %q", len(all), all[len(all)-1].Name)
	}
	key := func(r *lifeline.Resident) []string {
		return []string{r.Address.Community, r.Address.Building, r.Address.Unit, r.Address.Room, r.Name}
	}
	if !slices.IsSortedFunc(all[:10], func(a, b *lifeline.Resident) int { return slices.Compare(key(a), key(b)) }) {
		t.Fatal("not in community, building, unit, room, name order")
	}
	one := collect(lifeline.ResidentFilter{Community: "社区1"})
	for _, r := range one {
		if r.Address.Community != "社区1" {
			t.Fatalf("community filter let through %+v", r.Address)
		}
	}
	if len(one) != 7 {
		t.Fatalf("community 1 has %d residents, want 7", len(one))
	}
	if len(one[0].Phones) != 1 {
		t.Fatalf("streamed resident has phones %v", one[0].Phones)
	}
	hh := collect(lifeline.ResidentFilter{HouseholdID: one[0].HouseholdID})
	for _, r := range hh {
		if r.HouseholdID != one[0].HouseholdID {
			t.Fatal("household filter ignored")
		}
	}
	// fn's error stops the walk and comes back.
	stop := lifeline.Errorf(lifeline.ECONFLICT, lifeline.T("停", "stop"))
	n := 0
	err = db.EachResident(c, lifeline.ResidentFilter{}, func(*lifeline.Resident) error { n++; return stop })
	if err != stop || n != 1 {
		t.Fatalf("walk did not stop: %v after %d", err, n)
	}
}
