package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

func init() {
	register("rounds/missing_list_door_to_door", testMissingListDoorToDoor)
	register("rounds/tubes", testTubes)
	register("rounds/tube_fills_and_closes", testTubeFillsAndCloses)
	register("rounds/pooled_negative_and_positive", testPooledResults)
	register("rounds/pooled_results_by_import", testPooledResultsByImport)
	register("rounds/results_from_elsewhere", testRoundResultsFromElsewhere)
	register("rounds/result_closes_an_open_tube", testResultClosesAnOpenTube)
	register("rounds/scope", testRoundScope)
}

// compound is a hand-made compound, 幸福里, of six residents in three
// buildings, and one resident of another community. Door to door, that is
// building 2 (unit 1 room 501: 赵四 and 陈五; unit 2 room 501: 张三),
// building 3A (刘六), then building 12 (unit 1: room 201 李二, room 1201
// 王一): numbers as numbers, floors in order, names in byte order.
type compound struct {
	wang, li, zhang, zhao, chen, liu, other lifeline.Resident
}

// inOrder is the compound's residents door to door.
func (c *compound) inOrder() []string {
	return []string{c.zhao.Name, c.chen.Name, c.zhang.Name, c.liu.Name, c.li.Name, c.wang.Name}
}

func newCompound(t *testing.T, db *store.DB) *compound {
	t.Helper()
	add := func(i int, name, community, building, unit, room, phone string) lifeline.Resident {
		r := synth.Resident(1000 + i)
		r.Name, r.Phones = name, nil
		if phone != "" {
			r.Phones = []string{phone}
		}
		r.Address = lifeline.Address{Community: community, Building: building, Unit: unit, Room: room}
		must(t, db.CreateResident(ctx(t), &r))
		return r
	}
	c := &compound{
		wang:  add(0, "王一", "幸福里", "12", "1", "1201", "+8613800000101"),
		li:    add(1, "李二", "幸福里", "12", "1", "201", ""),
		zhang: add(2, "张三", "幸福里", "2", "2", "501", "+8613800000103"),
		zhao:  add(3, "赵四", "幸福里", "2", "1", "501", "+8613800000104"),
		chen:  add(4, "陈五", "幸福里", "2", "1", "501", ""),
		liu:   add(5, "刘六", "幸福里", "3A", "1", "101", "+8613800000106"),
		other: add(6, "孙七", "和平里", "1", "1", "101", ""),
	}
	return c
}

// openRound opens a round of 幸福里 that started two hours ago.
func openRound(t *testing.T, db *store.DB, buildings ...string) *lifeline.Round {
	t.Helper()
	r := &lifeline.Round{Community: "幸福里", Buildings: buildings, Pool: 10, StartsAt: time.Now().Add(-2 * time.Hour), DueAt: time.Now().Add(6 * time.Hour)}
	must(t, db.CreateRound(ctx(t), r))
	return r
}

func names(es []lifeline.MissingEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Resident.Name)
	}
	return out
}

func progressOf(t *testing.T, db *store.DB, roundID int64) map[string]lifeline.BuildingProgress {
	t.Helper()
	ps, err := db.RoundProgress(ctx(t), roundID)
	must(t, err)
	out := map[string]lifeline.BuildingProgress{}
	for _, p := range ps {
		out[p.Building] = p
	}
	return out
}

// testMissingListDoorToDoor: a round holds who lived where it covers when
// it opened; the missing list is door to door, building by building or
// whole, with the visits marked, and listing it is audited (with reveal,
// each resident).
func testMissingListDoorToDoor(t *testing.T, db *store.DB) {
	c := newCompound(t, db)
	r := openRound(t, db)
	if r.Residents != 6 || r.ID == 0 {
		t.Fatalf("round %+v: want 6 residents", r)
	}
	ps, err := db.RoundProgress(ctx(t), r.ID)
	must(t, err)
	var order []string
	for _, p := range ps {
		order = append(order, fmt.Sprintf("%s:%d/%d", p.Building, p.Missing, p.Total))
	}
	if want := []string{"2:3/3", "3A:1/1", "12:2/2"}; !slices.Equal(order, want) {
		t.Fatalf("progress %v, want %v", order, want)
	}
	list, err := db.MissingList(ctx(t), lifeline.MissingFilter{RoundID: r.ID})
	must(t, err)
	if got := names(list); !slices.Equal(got, c.inOrder()) {
		t.Fatalf("missing list %v, want %v", got, c.inOrder())
	}
	at := time.Now().Add(-30 * time.Minute).Truncate(time.Millisecond)
	must(t, db.MarkVisit(ctx(t), &lifeline.Visit{RoundID: r.ID, ResidentID: c.wang.ID, Mark: lifeline.VisitNotHome, At: at, Note: "邻居说上午回来"}))
	must(t, db.MarkVisit(ctx(t), &lifeline.Visit{RoundID: r.ID, ResidentID: c.wang.ID, Mark: lifeline.VisitAway}))
	wantCode(t, db.MarkVisit(ctx(t), &lifeline.Visit{RoundID: r.ID, ResidentID: c.other.ID, Mark: lifeline.VisitAway}), lifeline.ENOTFOUND)
	before := audited(t, db, "reveal")
	list, err = db.MissingList(ctx(t), lifeline.MissingFilter{RoundID: r.ID, Building: "12", Reveal: true})
	must(t, err)
	if got := names(list); !slices.Equal(got, []string{c.li.Name, c.wang.Name}) {
		t.Fatalf("building 12: %v", got)
	}
	w := list[1]
	if len(w.Visits) != 2 || w.Visits[0].Mark != lifeline.VisitNotHome || !w.Visits[0].At.Equal(at) || w.Visits[0].Note != "邻居说上午回来" ||
		w.LastVisit().Mark != lifeline.VisitAway || w.Visits[0].Staff != "staff:test" {
		t.Fatalf("visits of 王一: %+v", w.Visits)
	}
	if w.Resident.Address.Room != "1201" || len(w.Resident.Phones) != 1 || w.Resident.Birth.IsZero() {
		t.Fatalf("entry lacks what the list shows: %+v", w.Resident)
	}
	if n := audited(t, db, "reveal") - before; n != 2 {
		t.Fatalf("%d reveals audited, want 2 (one per resident listed)", n)
	}
	if audited(t, db, "missing_list") != 2 || audited(t, db, "visit") != 2 {
		t.Fatal("listing and visits are not all audited")
	}
	b := openRound(t, db, "12", "2")
	if b.Residents != 5 {
		t.Fatalf("round of buildings 12 and 2 holds %d, want 5", b.Residents)
	}
	wantCode(t, db.CreateRound(ctx(t), &lifeline.Round{Community: "幸福里", Buildings: []string{"99"}, Pool: 10, DueAt: time.Now().Add(time.Hour)}), lifeline.EINVALID)
}

// testTubes: a tube takes people one at a time, each stored at once; a
// person is in one open tube of a round at most and sampled once in it;
// a swab added by mistake comes out again; a closed tube waits for
// delivery as one message with its members, an empty one is thrown away.
func testTubes(t *testing.T, db *store.DB) {
	c := newCompound(t, db)
	r := openRound(t, db)
	t1 := &lifeline.Tube{RoundID: r.ID, Code: "T0001", Site: "1号点"}
	must(t, db.OpenTube(ctx(t), t1))
	if t1.ID == 0 || t1.Size != 10 || !t1.Open() || t1.IdempotencyKey == "" {
		t.Fatalf("opened %+v", t1)
	}
	again := &lifeline.Tube{RoundID: r.ID, Code: " T0001 "}
	must(t, db.OpenTube(ctx(t), again))
	if again.ID != t1.ID {
		t.Fatal("scanning an open tube again opens a second tube")
	}
	for _, who := range []lifeline.Resident{c.wang, c.li, c.other} {
		if _, err := db.AddToTube(ctx(t), t1.ID, who.ID); err != nil {
			t.Fatalf("add %s: %v", who.Name, err)
		}
	}
	_, err := db.AddToTube(ctx(t), t1.ID, c.wang.ID)
	wantCode(t, err, lifeline.ECONFLICT)
	t2 := &lifeline.Tube{RoundID: r.ID, Code: "T0002"}
	must(t, db.OpenTube(ctx(t), t2))
	// 孙七 is not on the round's list (another community), so only the
	// store's unique index keeps them out of a second open tube.
	_, err = db.AddToTube(ctx(t), t2.ID, c.other.ID)
	wantCode(t, err, lifeline.ECONFLICT)
	_, err = db.AddToTube(ctx(t), t2.ID, c.li.ID)
	wantCode(t, err, lifeline.ECONFLICT)
	got, err := db.RemoveFromTube(ctx(t), t1.ID, c.li.ID)
	must(t, err)
	if len(got.Members) != 2 || got.Members[0].ResidentID != c.wang.ID || got.Members[1].Name != c.other.Name {
		t.Fatalf("after removing 李二: %+v", got.Members)
	}
	if _, err := db.AddToTube(ctx(t), t2.ID, c.li.ID); err != nil {
		t.Fatalf("李二, taken out of T0001, into T0002: %v", err)
	}
	if p := progressOf(t, db, r.ID)["12"]; p.Done != 2 || p.Missing != 0 {
		t.Fatalf("building 12: %+v, want both done", p)
	}
	if _, err := db.CloseTube(ctx(t), t1.ID); err != nil {
		t.Fatal(err)
	}
	_, err = db.AddToTube(ctx(t), t1.ID, c.zhang.ID)
	wantCode(t, err, lifeline.ECONFLICT)
	wantCode(t, db.OpenTube(ctx(t), &lifeline.Tube{RoundID: r.ID, Code: "T0001"}), lifeline.ECONFLICT)
	pending, err := db.PendingTubes(ctx(t), 10)
	must(t, err)
	if len(pending) != 1 || pending[0].Code != "T0001" || len(pending[0].Members) != 2 || pending[0].Site != "1号点" {
		t.Fatalf("pending tubes %+v", pending)
	}
	regs, err := db.PendingRegistrations(ctx(t), 10)
	must(t, err)
	if len(regs) != 0 {
		t.Fatalf("swabs in tubes are delivered alone: %+v", regs)
	}
	n, _, err := db.RegistrationBacklog(ctx(t))
	must(t, err)
	if n != 1 {
		t.Fatalf("backlog %d, want 1 (the closed tube)", n)
	}
	must(t, db.MarkTubeDelivered(ctx(t), t1.ID, time.Now()))
	if pending, _ = db.PendingTubes(ctx(t), 10); len(pending) != 0 {
		t.Fatal("a delivered tube is still pending")
	}
	mine, err := db.ResidentRegistrations(ctx(t), c.wang.ID)
	must(t, err)
	if len(mine) != 1 || mine[0].TubeID != t1.ID || mine[0].RoundID != r.ID || mine[0].DeliveredAt.IsZero() || mine[0].Tube != "T0001" {
		t.Fatalf("王一's registration %+v", mine)
	}
	t3 := &lifeline.Tube{RoundID: r.ID, Code: "T0003"}
	must(t, db.OpenTube(ctx(t), t3))
	gone, err := db.CloseTube(ctx(t), t3.ID)
	if err != nil || gone != nil {
		t.Fatalf("closing an empty tube: %v, %v; want it thrown away", gone, err)
	}
	must(t, db.OpenTube(ctx(t), &lifeline.Tube{RoundID: r.ID, Code: "T0003"}))
}

// testTubeFillsAndCloses: a tube closes by itself at the pool size.
func testTubeFillsAndCloses(t *testing.T, db *store.DB) {
	rs := synth.Residents(0, 11)
	for i := range rs {
		must(t, db.CreateResident(ctx(t), &rs[i]))
	}
	r := &lifeline.Round{Community: rs[0].Address.Community, Pool: 10, DueAt: time.Now().Add(time.Hour)}
	must(t, db.CreateRound(ctx(t), r))
	tube := &lifeline.Tube{RoundID: r.ID, Code: "F-1"}
	must(t, db.OpenTube(ctx(t), tube))
	var got *lifeline.Tube
	var err error
	for i := range 10 {
		if got, err = db.AddToTube(ctx(t), tube.ID, rs[i].ID); err != nil {
			t.Fatalf("swab %d: %v", i+1, err)
		}
		if open := i < 9; got.Open() != open || len(got.Members) != i+1 {
			t.Fatalf("after %d swabs: open=%v with %d", i+1, got.Open(), len(got.Members))
		}
	}
	_, err = db.AddToTube(ctx(t), tube.ID, rs[10].ID)
	wantCode(t, err, lifeline.ECONFLICT)
}

// pooled sets up the compound, a round and two closed tubes: T-NEG with
// 王一 and 李二, T-POS with 张三, 赵四 and 陈五.
func pooled(t *testing.T, db *store.DB) (*compound, *lifeline.Round) {
	t.Helper()
	c := newCompound(t, db)
	r := openRound(t, db)
	for code, who := range map[string][]lifeline.Resident{"T-NEG": {c.wang, c.li}, "T-POS": {c.zhang, c.zhao, c.chen}} {
		tube := &lifeline.Tube{RoundID: r.ID, Code: code, Site: "1号点"}
		must(t, db.OpenTube(ctx(t), tube))
		for _, p := range who {
			_, err := db.AddToTube(ctx(t), tube.ID, p.ID)
			must(t, err)
		}
		_, err := db.CloseTube(ctx(t), tube.ID)
		must(t, err)
	}
	must(t, db.SetOptOut(ctx(t), c.zhao.Phones[0], true))
	return c, r
}

func latest(t *testing.T, db *store.DB, id int64) lifeline.Result {
	t.Helper()
	r, err := db.Resident(ctx(t), id)
	must(t, err)
	if r.Status.Latest == nil {
		return ""
	}
	return r.Status.Latest.Result
}

// checkPooled checks the compound once T-NEG came back negative and T-POS
// positive: the members' results, the round's counts, the missing list,
// and one "retest alone" SMS per phone (an opted-out phone's dropped).
func checkPooled(t *testing.T, db *store.DB, c *compound, r *lifeline.Round) {
	t.Helper()
	for _, p := range []lifeline.Resident{c.wang, c.li} {
		if got := latest(t, db, p.ID); got != lifeline.Negative {
			t.Errorf("%s: %q, want negative", p.Name, got)
		}
	}
	for _, p := range []lifeline.Resident{c.zhang, c.zhao, c.chen} {
		if got := latest(t, db, p.ID); got != lifeline.PooledPositive {
			t.Errorf("%s: %q, want pooled positive", p.Name, got)
		}
	}
	pr := progressOf(t, db, r.ID)
	if pr["12"].Done != 2 || pr["2"].PooledPositive != 3 || pr["2"].Done != 0 || pr["3A"].Missing != 1 {
		t.Fatalf("progress %+v", pr)
	}
	list, err := db.MissingList(ctx(t), lifeline.MissingFilter{RoundID: r.ID})
	must(t, err)
	if got := names(list); !slices.Equal(got, []string{c.zhao.Name, c.chen.Name, c.zhang.Name, c.liu.Name}) {
		t.Fatalf("missing %v", got)
	}
	if !list[0].Retest || list[3].Retest || list[0].Status(lifeline.Zh) != "混管阳性，需单管复检" {
		t.Fatalf("retest marks: %+v", list)
	}
	if n := count(t, db, `SELECT count(*) FROM outbox WHERE state = 'queued' AND body LIKE '%单管复检%'`); n != 1 {
		t.Fatalf("%d retest SMS queued, want 1 (张三; 赵四 opted out, 陈五 has no phone)", n)
	}
	if n := count(t, db, `SELECT count(*) FROM outbox WHERE state = 'dropped'`); n != 1 {
		t.Fatalf("%d dropped, want 1 (赵四 opted out)", n)
	}
}

// testPooledResults: through RecordTubeResult, a negative tube gives each
// member a negative and a positive pool each member "pooled positive",
// back on the missing list to be retested alone; the same results again
// change nothing; the retest goes in a single tube, whose negative ends it.
func testPooledResults(t *testing.T, db *store.DB) {
	c, r := pooled(t, db)
	ch, err := db.RecordTubeResult(ctx(t), lifeline.TubeResult{Code: "T-NEG", Result: lifeline.Negative, ExternalID: "lab-1"})
	must(t, err)
	if !ch.Changed || ch.Result != lifeline.Negative || len(ch.Members) != 2 || ch.Members[0].TestID == 0 || ch.Members[0].Phones[0] != c.wang.Phones[0] {
		t.Fatalf("negative tube: %+v", ch)
	}
	ch, err = db.RecordTubeResult(ctx(t), lifeline.TubeResult{Code: "T-POS", Result: lifeline.Positive, ExternalID: "lab-2"})
	must(t, err)
	if !ch.Changed || ch.Result != lifeline.PooledPositive || len(ch.Members) != 3 || ch.Queued != 1 {
		t.Fatalf("positive pool: %+v", ch)
	}
	checkPooled(t, db, c, r)
	for _, code := range []string{"T-NEG", "T-POS"} {
		res := map[string]lifeline.Result{"T-NEG": lifeline.Negative, "T-POS": lifeline.Positive}[code]
		ch, err := db.RecordTubeResult(ctx(t), lifeline.TubeResult{Code: code, Result: res})
		must(t, err)
		if ch.Changed {
			t.Fatalf("%s again: changed", code)
		}
	}
	checkPooled(t, db, c, r)
	_, err = db.RecordTubeResult(ctx(t), lifeline.TubeResult{Code: "NOPE", Result: lifeline.Negative})
	wantCode(t, err, lifeline.ENOTFOUND)

	// The retest: a pooled positive into a tube with others is refused;
	// into an empty one, it becomes their single tube and closes.
	mixed := &lifeline.Tube{RoundID: r.ID, Code: "T-MIX"}
	must(t, db.OpenTube(ctx(t), mixed))
	_, err = db.AddToTube(ctx(t), mixed.ID, c.liu.ID)
	must(t, err)
	_, err = db.AddToTube(ctx(t), mixed.ID, c.zhang.ID)
	wantCode(t, err, lifeline.ECONFLICT)
	single := &lifeline.Tube{RoundID: r.ID, Code: "T-RE1"}
	must(t, db.OpenTube(ctx(t), single))
	got, err := db.AddToTube(ctx(t), single.ID, c.zhang.ID)
	must(t, err)
	if got.Size != 1 || got.Open() {
		t.Fatalf("retest tube: size %d open %v, want a closed single tube", got.Size, got.Open())
	}
	if p := progressOf(t, db, r.ID)["2"]; p.PooledPositive != 3 || p.Missing != 0 {
		t.Fatalf("retest sampled, still pooled positive until its result: %+v", p)
	}
	_, err = db.RecordTubeResult(ctx(t), lifeline.TubeResult{Code: "T-RE1", Result: lifeline.Negative})
	must(t, err)
	if p := progressOf(t, db, r.ID)["2"]; p.PooledPositive != 2 || p.Done != 1 {
		t.Fatalf("after 张三's negative retest: %+v", p)
	}
	if got := latest(t, db, c.zhang.ID); got != lifeline.Negative {
		t.Fatalf("张三's latest: %q", got)
	}
}

// testPooledResultsByImport: the same results by tube in an import, and
// the import again changes nothing.
func testPooledResultsByImport(t *testing.T, db *store.DB) {
	c, r := pooled(t, db)
	b := &lifeline.ImportBatch{Tubes: []lifeline.TubeResult{{Code: "T-NEG", Result: lifeline.Negative}, {Code: "T-POS", Result: lifeline.Positive}}}
	st, err := db.Import(ctx(t), b)
	must(t, err)
	if st.Tubes != 2 || st.Results != 5 || st.PooledPositive != 3 || st.Queued != 1 {
		t.Fatalf("import: %+v", st)
	}
	checkPooled(t, db, c, r)
	st, err = db.Import(ctx(t), b)
	must(t, err)
	if st.Tubes != 0 || st.Results != 0 {
		t.Fatalf("the same import again: %+v", st)
	}
	checkPooled(t, db, c, r)
	_, err = db.Import(ctx(t), &lifeline.ImportBatch{Tubes: []lifeline.TubeResult{{Code: "T-UNKNOWN", Result: lifeline.Negative}}})
	wantCode(t, err, lifeline.ENOTFOUND)
}

// testRoundResultsFromElsewhere: a result sampled inside the round's
// window, by document, and a sample registered alone count; a result
// sampled before the round does not.
func testRoundResultsFromElsewhere(t *testing.T, db *store.DB) {
	c := newCompound(t, db)
	r := openRound(t, db)
	rec := func(p lifeline.Resident, at time.Time) {
		_, err := db.RecordResult(ctx(t), lifeline.StatusUpdate{Doc: p.Doc, Test: &lifeline.TestResult{SampledAt: at, Result: lifeline.Negative, Site: "医院"}})
		must(t, err)
	}
	rec(c.wang, time.Now().Add(-time.Hour))
	rec(c.li, time.Now().Add(-5*time.Hour))
	must(t, db.CreateRegistration(ctx(t), &lifeline.Registration{ResidentID: c.liu.ID, Tube: "S-1"}))
	p := progressOf(t, db, r.ID)
	if p["12"].Done != 1 || p["12"].Missing != 1 || p["3A"].Done != 1 {
		t.Fatalf("progress %+v: want 王一 and 刘六 done, 李二 (sampled before the round) missing", p)
	}
}

// testRoundScope: a worker sees and opens rounds of their own community
// only.
func testRoundScope(t *testing.T, db *store.DB) {
	newCompound(t, db)
	r := openRound(t, db)
	other := lifeline.WithActor(context.Background(), lifeline.Actor{User: "staff:zhou", Community: "和平里"})
	_, err := db.Round(other, r.ID)
	wantCode(t, err, lifeline.ENOTFOUND)
	_, err = db.MissingList(other, lifeline.MissingFilter{RoundID: r.ID})
	wantCode(t, err, lifeline.ENOTFOUND)
	rs, err := db.Rounds(other, "")
	must(t, err)
	if len(rs) != 0 {
		t.Fatalf("a worker of 和平里 sees %d rounds of 幸福里", len(rs))
	}
	wantCode(t, db.CreateRound(other, &lifeline.Round{Community: "幸福里", Pool: 10, DueAt: time.Now().Add(time.Hour)}), lifeline.EFORBIDDEN)
	mine := lifeline.WithActor(context.Background(), lifeline.Actor{User: "staff:wang", Community: "幸福里"})
	rs, err = db.Rounds(mine, "")
	must(t, err)
	if len(rs) != 1 || rs[0].ID != r.ID {
		t.Fatalf("a worker of 幸福里 sees %+v", rs)
	}
}

// testResultClosesAnOpenTube: a result for a tube staff never closed
// closes it, so its people, pooled positive, can go into a tube of their
// own for the retest.
func testResultClosesAnOpenTube(t *testing.T, db *store.DB) {
	c := newCompound(t, db)
	r := openRound(t, db)
	tube := &lifeline.Tube{RoundID: r.ID, Code: "LEFT-OPEN"}
	must(t, db.OpenTube(ctx(t), tube))
	for _, p := range []lifeline.Resident{c.wang, c.li} {
		_, err := db.AddToTube(ctx(t), tube.ID, p.ID)
		must(t, err)
	}
	_, err := db.RecordTubeResult(ctx(t), lifeline.TubeResult{Code: "LEFT-OPEN", Result: lifeline.Positive})
	must(t, err)
	got, err := db.TubeByCode(ctx(t), "LEFT-OPEN")
	must(t, err)
	if got.Open() || got.Result != lifeline.Positive {
		t.Fatalf("the tube after its result: open %v, result %q", got.Open(), got.Result)
	}
	retest := &lifeline.Tube{RoundID: r.ID, Code: "RE-WANG"}
	must(t, db.OpenTube(ctx(t), retest))
	if _, err := db.AddToTube(ctx(t), retest.ID, c.wang.ID); err != nil {
		t.Fatalf("王一's retest, out of a tube the lab closed: %v", err)
	}
}
