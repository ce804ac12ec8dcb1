package storetest

import (
	"fmt"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

func init() {
	register("relatives/status_by_phone", testStatusByPhone)
	register("relatives/status_by_phone_tie", testStatusByPhoneTie)
}

// testStatusByPhone checks the SMS gateway's one-statement read against
// CaredForByPhone, the reference: the same people in the same order, with
// the same status, and a status written a moment ago in the next answer.
func testStatusByPhone(t *testing.T, db *store.DB) {
	c := ctx(t)
	rs, son, sampled := statusReadFamily(t, db)
	same := func(phone string) []*lifeline.Resident { t.Helper(); return sameAsCaredFor(t, db, phone) }
	got := same("139-1111-2222")
	if len(got) != 4 || got[0].ID != rs[9].ID {
		t.Fatalf("want resident 9 first, then 0, 4 and 10: %v", got)
	}
	for _, r := range got {
		if r.ID == rs[0].ID && (r.Status.Latest == nil || r.Status.Latest.Result != lifeline.Negative || !r.Status.Latest.SampledAt.Equal(sampled) || r.Status.Color != lifeline.Green) {
			t.Fatalf("resident 0's status: %+v", r.Status)
		}
	}
	if none := same("13800000000"); len(none) != 0 {
		t.Fatalf("a stranger's phone cares for %d residents", len(none))
	}
	if _, err := db.StatusByPhone(c, "12"); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Fatalf("a malformed phone: %v", err)
	}

	// Nothing is cached: a new colour and an approval show at once.
	_, err := db.RecordResult(c, lifeline.StatusUpdate{ResidentID: rs[4].ID, Color: lifeline.Red, At: time.Now()})
	must(t, err)
	pending, err := db.PendingRelatives(c, "")
	must(t, err)
	for _, p := range pending {
		if p.ResidentID == rs[3].ID {
			must(t, db.ReviewRelative(c, p.ID, true, "", "staff:li"))
		}
	}
	got = same(son)
	if len(got) != 5 {
		t.Fatalf("after approving resident 3's link: %d residents, want 5", len(got))
	}
	for _, r := range got {
		if r.ID == rs[4].ID && r.Status.Color != lifeline.Red {
			t.Fatalf("resident 4 still shows %s after turning red", r.Status.Color)
		}
	}

	statusReadsTogether(t, db, rs, son)
}

// testStatusByPhoneTie: the status read says how the phone reaches each
// person (own, or the link's relation), their sex and the last two
// characters of their document, so a reply can tell apart two people
// whose masked names are alike; a resident reached both as the phone's own
// and by a link is the phone's own.
func testStatusByPhoneTie(t *testing.T, db *store.DB) {
	c := ctx(t)
	rs := roster(t, db, 4)
	carer := rs[0].Phones[0]
	for i, rel := range map[int]string{1: "子女", 2: "配偶", 0: "子女"} {
		l := lifeline.Relative{ResidentID: rs[i].ID, Phone: carer, Relation: rel}
		must(t, db.LinkRelative(c, &l))
		if l.State == lifeline.ReviewPending {
			must(t, db.ReviewRelative(c, l.ID, true, "", "staff:li"))
		}
	}
	got, err := db.StatusByPhone(c, carer)
	must(t, err)
	want := map[int64]lifeline.PhoneTie{
		rs[0].ID: {Own: true, DocTail: rs[0].Doc.Tail(2)},
		rs[1].ID: {Relation: "子女", DocTail: rs[1].Doc.Tail(2)},
		rs[2].ID: {Relation: "配偶", DocTail: rs[2].Doc.Tail(2)},
	}
	if len(got) != 3 {
		t.Fatalf("StatusByPhone gave %d residents, want 3", len(got))
	}
	for _, r := range got {
		if r.Tie != want[r.ID] {
			t.Errorf("resident %d: tie %+v, want %+v", r.ID, r.Tie, want[r.ID])
		}
		stored, err := db.Resident(c, r.ID)
		must(t, err)
		if r.Sex != stored.Sex || r.Sex == lifeline.SexNone {
			t.Errorf("resident %d: sex %q, stored %q", r.ID, r.Sex, stored.Sex)
		}
	}
}

// statusReadFamily makes 12 residents and the links of
// cared_for_by_phone, and gives resident 0 a negative test sampled five
// hours ago: the residents, the son's phone and that sampling time.
func statusReadFamily(t *testing.T, db *store.DB) (rs []lifeline.Resident, son string, sampled time.Time) {
	c := ctx(t)
	rs = roster(t, db, 12)
	son = "+8613911112222"
	// As in cared_for_by_phone: direct links to 0 (approved), 3 (pending),
	// 6 (rejected); the son's phone is also resident 9's, who is linked to
	// 4 (approved), 7 (pending) and 10 (same household, approved at once).
	for i, decide := range map[int]int{0: 1, 3: 0, 6: -1} {
		r := lifeline.Relative{ResidentID: rs[i].ID, Phone: son}
		must(t, db.LinkRelative(c, &r))
		if decide != 0 {
			must(t, db.ReviewRelative(c, r.ID, decide > 0, "", "staff:li"))
		}
	}
	carer := synth.Resident(9)
	carer.Phones = []string{son}
	_, err := db.Import(c, &lifeline.ImportBatch{Residents: []lifeline.Resident{carer}})
	must(t, err)
	for _, i := range []int{4, 7, 10} {
		l := lifeline.Relative{ResidentID: rs[i].ID, RelativeResidentID: rs[9].ID}
		must(t, db.LinkRelative(c, &l))
		if i == 4 {
			must(t, db.ReviewRelative(c, l.ID, true, "", "staff:li"))
		}
	}
	// Resident 0 is also linked twice (directly and through 9): once in the
	// answer.
	l := lifeline.Relative{ResidentID: rs[0].ID, RelativeResidentID: rs[9].ID}
	must(t, db.LinkRelative(c, &l))
	must(t, db.ReviewRelative(c, l.ID, true, "", "staff:li"))
	sampled = time.UnixMilli(time.Now().Add(-5 * time.Hour).UnixMilli())
	_, err = db.RecordResult(c, lifeline.StatusUpdate{ResidentID: rs[0].ID, Color: lifeline.Green, At: sampled,
		Test: &lifeline.TestResult{SampledAt: sampled, Result: lifeline.Negative, Site: "幸福社区"}})
	must(t, err)
	return rs, son, sampled
}

// sameAsCaredFor checks that StatusByPhone gives what CaredForByPhone, the
// reference, gives for phone, and returns it.
func sameAsCaredFor(t *testing.T, db *store.DB, phone string) []*lifeline.Resident {
	t.Helper()
	c := ctx(t)
	want, err := db.CaredForByPhone(c, phone)
	must(t, err)
	got, err := db.StatusByPhone(c, phone)
	must(t, err)
	if len(got) != len(want) {
		t.Fatalf("StatusByPhone(%s) gave %d residents, CaredForByPhone %d", phone, len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if g.ID != w.ID || g.Name != w.Name || g.Address.Community != w.Address.Community ||
			g.Status.Color != w.Status.Color || !g.Status.UpdatedAt.Equal(w.Status.UpdatedAt) {
			t.Fatalf("resident %d: got %+v, want %+v", i, g, w)
		}
		if (g.Status.Latest == nil) != (w.Status.Latest == nil) {
			t.Fatalf("resident %d: latest test %v, want %v", i, g.Status.Latest, w.Status.Latest)
		}
		if w.Status.Latest != nil && (!g.Status.Latest.SampledAt.Equal(w.Status.Latest.SampledAt) || g.Status.Latest.Result != w.Status.Latest.Result) {
			t.Fatalf("resident %d: latest test %+v, want %+v", i, *g.Status.Latest, *w.Status.Latest)
		}
		if g.Doc.Number != "" {
			t.Fatalf("resident %d: the status read loaded an ID number", i)
		}
	}
	return got
}

// statusReadsTogether: concurrent calls are read together (group read);
// each still gets exactly its own phone's answer, in order, sharing
// nothing with another call for the same phone.
func statusReadsTogether(t *testing.T, db *store.DB, rs []lifeline.Resident, son string) {
	c := ctx(t)
	phones := []string{son, "13800000000"}
	for _, r := range rs {
		phones = append(phones, r.Phones...)
	}
	want := map[string][]int64{}
	for _, p := range phones {
		n, err := lifeline.NormalizePhone(p)
		must(t, err)
		if _, done := want[n]; done {
			continue // a phone two residents share
		}
		ref, err := db.CaredForByPhone(c, p)
		must(t, err)
		want[n] = []int64{}
		for _, r := range ref {
			want[n] = append(want[n], r.ID)
		}
	}
	type answer struct {
		phone string
		got   []*lifeline.Resident
		err   error
	}
	const calls = 400
	answers := make(chan answer, calls)
	for i := range calls {
		go func() {
			p := phones[i%len(phones)]
			got, err := db.StatusByPhone(c, p)
			n, _ := lifeline.NormalizePhone(p)
			answers <- answer{n, got, err}
		}()
	}
	seen := map[*lifeline.Resident]bool{}
	for range calls {
		a := <-answers
		if a.err != nil {
			t.Fatalf("StatusByPhone(%s) among concurrent calls: %v", a.phone, a.err)
		}
		var ids []int64
		for _, r := range a.got {
			ids = append(ids, r.ID)
			if seen[r] {
				t.Fatalf("two calls share resident %d's struct", r.ID)
			}
			seen[r] = true
		}
		if fmt.Sprint(ids) != fmt.Sprint(want[a.phone]) {
			t.Fatalf("StatusByPhone(%s) among concurrent calls gave %v, want %v", a.phone, ids, want[a.phone])
		}
	}
}
