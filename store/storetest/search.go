package storetest

import (
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

func init() {
	register("find/document", testFindDocument)
	register("find/doc_tail", testFindDocTail)
	register("find/phone", testFindPhone)
	register("find/phone_tail_ambiguous", testFindAmbiguousTail)
	register("find/address", testFindAddress)
	register("find/name", testFindName)
	register("find/name_gram_edges", testFindNameGramEdges)
	register("find/scope_and_limit", testFindScope)
	register("find/audit", testFindAudit)
	register("find/full_width", testFindFullWidth)
}

// testFindFullWidth: what a Chinese input method types (full-width digits
// and dashes, ３栋４单元) finds what the same keys find half-width.
func testFindFullWidth(t *testing.T, db *store.DB) {
	rs := roster(t, db, 300)
	a := synth.Address(200)
	wide := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '!' && r <= '~' {
				return r - '!' + '！'
			}
			return r
		}, s)
	}
	for _, q := range []string{wide(a.Short()), strings.ReplaceAll(a.Short(), "-", "—"), wide(a.Building) + "栋" + wide(a.Unit) + "单元" + wide(a.Room)} {
		ms := findQ(t, db, q)
		if len(ms) != synth.HouseholdSize || ms[0].Resident.Address != a || ms[0].Kind != lifeline.QueryAddress {
			t.Fatalf("%s: %d residents (%+v), want the household at %s", q, len(ms), ms, a.Short())
		}
	}
	r := rs[123]
	for _, q := range []string{wide(r.Doc.Number), wide(r.Doc.Tail(4))} {
		if _, ok := ids(find(t, db, lifeline.ResidentFilter{Query: q, Limit: 50}))[r.ID]; !ok {
			t.Fatalf("%s did not find %s", q, r.Doc.Number)
		}
	}
}

// roster imports n synthetic residents and returns them with their ids.
func roster(t *testing.T, db *store.DB, n int) []lifeline.Resident {
	t.Helper()
	b := &lifeline.ImportBatch{Residents: synth.Residents(0, n)}
	_, err := db.Import(ctx(t), b)
	must(t, err)
	return b.Residents
}

func find(t *testing.T, db *store.DB, f lifeline.ResidentFilter) []lifeline.ResidentMatch {
	t.Helper()
	ms, err := db.FindResidents(ctx(t), f)
	must(t, err)
	return ms
}

func findQ(t *testing.T, db *store.DB, q string) []lifeline.ResidentMatch {
	t.Helper()
	return find(t, db, lifeline.ResidentFilter{Query: q})
}

func ids(ms []lifeline.ResidentMatch) map[int64]lifeline.ResidentMatch {
	out := map[int64]lifeline.ResidentMatch{}
	for _, m := range ms {
		out[m.Resident.ID] = m
	}
	return out
}

// wantSorted checks that scores never rise down the list.
func wantSorted(t *testing.T, ms []lifeline.ResidentMatch) {
	t.Helper()
	for i := 1; i < len(ms); i++ {
		if ms[i].Score > ms[i-1].Score {
			t.Fatalf("result %d scores %d after %d", i, ms[i].Score, ms[i-1].Score)
		}
	}
}

func testFindDocument(t *testing.T, db *store.DB) {
	rs := roster(t, db, 300)
	// Spaces, dashes and a lower-case x are what people type.
	q := synth.ID(42)
	q = q[:6] + " " + q[6:14] + "-" + strings.ToLower(q[14:])
	ms := findQ(t, db, q)
	if len(ms) != 1 || ms[0].Resident.ID != rs[42].ID || ms[0].Kind != lifeline.QueryDocument {
		t.Fatalf("full ID: %+v", ms)
	}
	if ms[0].Resident.Phones[0] != synth.Phone(42) || ms[0].Resident.Address != synth.Address(42) {
		t.Fatalf("result not loaded whole: %+v", ms[0].Resident)
	}
	// A replaced passport still finds its holder.
	p := lifeline.Resident{Name: "Anna Müller", Doc: lifeline.Document{Type: lifeline.DocPassport, Number: "C01X00T47", Nationality: "DEU"}}
	must(t, db.CreateResident(ctx(t), &p))
	must(t, db.ChangeDocument(ctx(t), p.ID, lifeline.Document{Type: lifeline.DocPassport, Number: "C22Y55T99", Nationality: "DEU"}))
	for _, n := range []string{"C01X00T47", "c22y55t99"} {
		ms = findQ(t, db, n)
		if len(ms) != 1 || ms[0].Resident.ID != p.ID || ms[0].Kind != lifeline.QueryDocument {
			t.Fatalf("passport %s: %+v", n, ms)
		}
	}
	if ms := findQ(t, db, synth.ID(5000)); len(ms) != 0 {
		t.Fatalf("unknown ID found %d", len(ms))
	}
}

func testFindDocTail(t *testing.T, db *store.DB) {
	rs := roster(t, db, 300)
	for _, n := range []int{5, 6} {
		tail := synth.ID(123)[18-n:]
		ms := find(t, db, lifeline.ResidentFilter{Query: tail, Limit: 100})
		got := ids(ms)
		if _, ok := got[rs[123].ID]; !ok {
			t.Fatalf("tail %s did not find resident 123: %+v", tail, ms)
		}
		for _, m := range ms {
			if !strings.HasSuffix(m.Resident.Doc.Number, tail) || m.Kind != lifeline.QueryDocTail {
				t.Fatalf("tail %s matched %s (%s)", tail, m.Resident.Doc.Number, m.Kind)
			}
		}
	}
	// A tail ending in X.
	for i := range 300 {
		if id := synth.ID(i); id[17] == 'X' {
			ms := findQ(t, db, strings.ToLower(id[13:]))
			if _, ok := ids(ms)[rs[i].ID]; !ok {
				t.Fatalf("tail %s not found", id[13:])
			}
			break
		}
	}
}

func testFindPhone(t *testing.T, db *store.DB) {
	rs := roster(t, db, 300)
	// Resident 19 shares the phone of 18.
	p := synth.Phone(18)
	typed := p[3:6] + "-" + p[6:10] + " " + p[10:]
	ms := findQ(t, db, typed)
	got := ids(ms)
	if len(ms) != 2 || got[rs[18].ID].Kind != lifeline.QueryPhone || got[rs[19].ID].Kind != lifeline.QueryPhone {
		t.Fatalf("shared phone %s: %+v", typed, ms)
	}
	if ms := findQ(t, db, "+86 "+synth.Phone(7)[3:]); len(ms) != 1 || ms[0].Resident.ID != rs[7].ID {
		t.Fatalf("phone with +86: %+v", ms)
	}
}

func testFindAmbiguousTail(t *testing.T, db *store.DB) {
	rs := roster(t, db, 300)
	// Give one resident a phone ending in the last 4 digits of another's ID.
	target := 77
	tail := synth.ID(target)[14:]
	if tail[3] == 'X' {
		target = 78
		tail = synth.ID(target)[14:]
	}
	other := synth.Resident(200)
	other.Phones = []string{"1391234" + tail}
	_, err := db.Import(ctx(t), &lifeline.ImportBatch{Residents: []lifeline.Resident{other}})
	must(t, err)
	ms := find(t, db, lifeline.ResidentFilter{Query: tail, Limit: 100})
	got := ids(ms)
	if got[rs[target].ID].Kind != lifeline.QueryDocTail {
		t.Fatalf("4 digits %s: ID tail not found: %+v", tail, ms)
	}
	if got[rs[200].ID].Kind != lifeline.QueryPhoneTail {
		t.Fatalf("4 digits %s: phone tail not found: %+v", tail, ms)
	}
	for _, m := range ms {
		switch m.Kind {
		case lifeline.QueryDocTail:
			if !strings.HasSuffix(m.Resident.Doc.Number, tail) {
				t.Fatalf("doc tail match %s", m.Resident.Doc.Number)
			}
		case lifeline.QueryPhoneTail:
			ok := false
			for _, p := range m.Resident.Phones {
				ok = ok || strings.HasSuffix(p, tail)
			}
			if !ok {
				t.Fatalf("phone tail match %v", m.Resident.Phones)
			}
		default:
			t.Fatalf("kind %s for a 4-digit query", m.Kind)
		}
	}
}

func testFindAddress(t *testing.T, db *store.DB) {
	roster(t, db, 900)
	a := synth.Address(500)
	for _, q := range []string{a.Short(), a.Building + "栋" + a.Unit + "单元" + a.Room + "室"} {
		ms := findQ(t, db, q)
		if len(ms) != synth.HouseholdSize {
			t.Fatalf("%s: %d residents, want a household of %d", q, len(ms), synth.HouseholdSize)
		}
		for _, m := range ms {
			if m.Resident.Address != a || m.Kind != lifeline.QueryAddress || m.Score != 300 {
				t.Fatalf("%s matched %+v score %d", q, m.Resident.Address, m.Score)
			}
		}
	}
	ms := find(t, db, lifeline.ResidentFilter{Query: a.Building + "-" + a.Unit, Limit: 1000})
	if len(ms) == 0 {
		t.Fatal("building-unit found nothing")
	}
	for _, m := range ms {
		if m.Resident.Address.Building != a.Building || m.Resident.Address.Unit != a.Unit {
			t.Fatalf("%s-%s matched %+v", a.Building, a.Unit, m.Resident.Address)
		}
	}
	// A roster without units: the household is shown and found as
	// building-room; "building-unit" still finds unit 101's households,
	// after it.
	c := ctx(t)
	var noUnit, unit101 lifeline.Resident
	for _, x := range []struct {
		r *lifeline.Resident
		a lifeline.Address
	}{{&noUnit, lifeline.Address{Community: "无单元社区", Building: "77", Room: "101"}}, {&unit101, lifeline.Address{Community: "无单元社区", Building: "77", Unit: "101", Room: "2"}}} {
		*x.r = synth.Resident(5000 + len(x.a.Unit))
		x.r.Address = x.a
		must(t, db.CreateResident(c, x.r))
	}
	if got := noUnit.Address.Short(); got != "77-101" {
		t.Fatalf("Short of an address without a unit: %q", got)
	}
	ms = findQ(t, db, "77-101")
	if len(ms) != 2 || ms[0].Resident.ID != noUnit.ID || ms[0].Score != 300 || ms[1].Resident.ID != unit101.ID || ms[1].Kind != lifeline.QueryAddress {
		t.Fatalf("77-101: %+v", ms)
	}
	if ms := findQ(t, db, "77栋101"); len(ms) != 1 || ms[0].Resident.ID != noUnit.ID {
		t.Fatalf("77栋101: %+v", ms)
	}

	whole := find(t, db, lifeline.ResidentFilter{Query: a.Building, Limit: 1000})
	if len(whole) <= len(ms) {
		t.Fatalf("building %s: %d residents, unit alone had %d", a.Building, len(whole), len(ms))
	}
	for _, m := range whole {
		if m.Resident.Address.Building != a.Building {
			t.Fatalf("building %s matched %+v", a.Building, m.Resident.Address)
		}
	}
}

func testFindName(t *testing.T, db *store.DB) {
	c := ctx(t)
	names := []string{"张三丰", "张三", "张三丰丰", "李张三", "王五", "欧阳张三丰", "张", "John Smith", "张三李三丰"}
	byName := map[string]int64{}
	for i, n := range names {
		r := synth.Resident(i * 3)
		r.Name = n
		must(t, db.CreateResident(c, &r))
		byName[n] = r.ID
	}
	ms := findQ(t, db, "张三丰")
	wantSorted(t, ms)
	if len(ms) != 3 || ms[0].Resident.Name != "张三丰" || ms[0].Score != 300 ||
		ms[1].Resident.Name != "张三丰丰" || ms[1].Score != 200 ||
		ms[2].Resident.Name != "欧阳张三丰" || ms[2].Score != 100 {
		t.Fatalf("张三丰: %v", names3(ms))
	}
	ms = findQ(t, db, "三")
	if len(ms) != 6 {
		t.Fatalf("三: %v", names3(ms))
	}
	ms = findQ(t, db, "张")
	wantSorted(t, ms)
	if len(ms) != 7 || ms[0].Resident.Name != "张" {
		t.Fatalf("张: %v", names3(ms))
	}
	// Pairs must be adjacent in the name: 丰张 is in no name.
	if ms := findQ(t, db, "丰张"); len(ms) != 0 {
		t.Fatalf("丰张: %v", names3(ms))
	}
	if ms := findQ(t, db, "张三三丰"); len(ms) != 0 {
		t.Fatalf("张三三丰: %v", names3(ms))
	}
	// 张三李三丰 holds both pairs of 张三丰 (张三, 三丰) but not the name
	// itself: the substring check kept it out of the 3 results above.
	if ms := findQ(t, db, "三李三"); len(ms) != 1 || ms[0].Resident.ID != byName["张三李三丰"] {
		t.Fatalf("三李三: %v", names3(ms))
	}
	ms = findQ(t, db, "smith")
	if len(ms) != 1 || ms[0].Resident.ID != byName["John Smith"] || ms[0].Kind != lifeline.QueryName {
		t.Fatalf("smith: %v", names3(ms))
	}
}

// testFindNameGramEdges covers what the gram index leaves to the name
// index: the pair at the start of a name is not stored, so a name found only
// there must come from the prefix steps, and a pair repeated later in the
// name must still be stored.
func testFindNameGramEdges(t *testing.T, db *store.DB) {
	c := ctx(t)
	names := []string{"张三张三", "王伟明", "wang li", "liwei", "李王伟", "王伟"}
	byName := map[string]int64{}
	for i, n := range names {
		r := synth.Resident(i * 3)
		r.Name = n
		must(t, db.CreateResident(c, &r))
		byName[n] = r.ID
	}
	cases := []struct {
		q    string
		want []string
	}{
		{"三张三", []string{"张三张三"}},             // the pair 张三 again at the third character
		{"张三张", []string{"张三张三"}},             // a prefix
		{"三张", []string{"张三张三"}},              // the middle
		{"王 伟", []string{"王伟明", "王伟", "李王伟"}}, // spaces fold away: prefixes and a partial
		{"王", []string{"王伟明", "王伟", "李王伟"}},
		{"伟明", []string{"王伟明"}},
		{"LiWei", []string{"liwei"}}, // upper case folds: a prefix of a folded name
		{"Li", []string{"liwei", "wang li"}},
		{"gl", []string{"wang li"}},
	}
	for _, tc := range cases {
		got := map[string]bool{}
		for _, m := range findQ(t, db, tc.q) {
			got[m.Resident.Name] = true
		}
		if len(got) != len(tc.want) {
			t.Errorf("%q: got %v, want %v", tc.q, got, tc.want)
			continue
		}
		for _, n := range tc.want {
			if !got[n] {
				t.Errorf("%q: got %v, want %v", tc.q, got, tc.want)
			}
		}
	}
	// A renamed resident is found by the new name only, whichever grams
	// the old one had.
	r := synth.Resident(0)
	r.Name = "赵六"
	_, err := db.Import(c, &lifeline.ImportBatch{Residents: []lifeline.Resident{r}})
	must(t, err)
	if ms := findQ(t, db, "三张三"); len(ms) != 0 {
		t.Fatalf("三张三 after rename: %v", names3(ms))
	}
	if ms := findQ(t, db, "六"); len(ms) != 1 || ms[0].Resident.ID != byName["张三张三"] {
		t.Fatalf("六 after rename: %v", names3(ms))
	}
}

func names3(ms []lifeline.ResidentMatch) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Resident.Name+":"+string(m.Kind))
	}
	return out
}

func testFindScope(t *testing.T, db *store.DB) {
	c := ctx(t)
	roster(t, db, 10)
	// The same name in two communities.
	a, b := synth.Resident(1000), synth.Resident(9000)
	a.Name, b.Name = "赵钱孙", "赵钱孙"
	must(t, db.CreateResident(c, &a))
	must(t, db.CreateResident(c, &b))
	ms := find(t, db, lifeline.ResidentFilter{Query: "赵钱孙", Community: b.Address.Community})
	if len(ms) != 1 || ms[0].Resident.ID != b.ID {
		t.Fatalf("scoped search: %v", names3(ms))
	}
	ms = find(t, db, lifeline.ResidentFilter{Query: synth.ID(1000), Community: b.Address.Community})
	if len(ms) != 0 {
		t.Fatal("a full ID found a resident of another community")
	}
	ms = find(t, db, lifeline.ResidentFilter{Query: a.Address.Short(), Community: b.Address.Community})
	if len(ms) != 0 {
		t.Fatal("an address found a resident of another community")
	}
	if ms := findQ(t, db, "赵钱孙"); len(ms) != 2 {
		t.Fatalf("unscoped: %d", len(ms))
	}
	roster(t, db, 200)
	if ms := find(t, db, lifeline.ResidentFilter{Query: "1", Limit: 7}); len(ms) != 7 {
		t.Fatalf("limit 7 gave %d", len(ms))
	}
	if ms := findQ(t, db, "1"); len(ms) != 20 {
		t.Fatalf("default limit gave %d, want 20", len(ms))
	}
	_, err := db.FindResidents(c, lifeline.ResidentFilter{Query: "  "})
	wantCode(t, err, lifeline.EINVALID)
}

func testFindAudit(t *testing.T, db *store.DB) {
	roster(t, db, 30)
	id, phone := synth.ID(3), synth.Phone(4)
	for _, q := range []string{id, phone, synth.Name(5)} {
		findQ(t, db, q)
	}
	log, err := db.AuditLog(ctx(t), 0, 10)
	must(t, err)
	var finds []lifeline.AuditEntry
	for _, e := range log {
		if e.Action == "find" {
			finds = append(finds, e)
		}
	}
	if len(finds) != 3 {
		t.Fatalf("%d find entries, want 3: %+v", len(finds), log)
	}
	for _, e := range finds {
		if e.Actor != "staff:test" {
			t.Fatalf("actor %q", e.Actor)
		}
		if strings.Contains(e.Detail, id[:10]) || strings.Contains(e.Detail, phone[3:10]) {
			t.Fatalf("audit detail holds a full number: %q", e.Detail)
		}
	}
	// Newest first: the name search, then the phone ending, then the ID ending.
	if !strings.Contains(finds[0].Detail, synth.Name(5)) || !strings.Contains(finds[1].Detail, phone[len(phone)-4:]) || !strings.Contains(finds[2].Detail, id[14:]) {
		t.Fatalf("details %q %q %q", finds[0].Detail, finds[1].Detail, finds[2].Detail)
	}
}
