package storetest

import (
	"slices"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

func init() {
	register("relatives/review_rules", testRelativeRules)
	register("relatives/cared_for_by_phone", testCaredForByPhone)
	register("relatives/four_eyes", testRelativeFourEyes)
}

// testRelativeFourEyes: the worker who links a relative cannot approve the
// link; another can, and the linker may still withdraw it.
func testRelativeFourEyes(t *testing.T, db *store.DB) {
	rs := roster(t, db, 6)
	wang := lifeline.WithActor(t.Context(), lifeline.Actor{User: "staff:wang"})
	li := lifeline.WithActor(t.Context(), lifeline.Actor{User: "staff:li"})
	l := lifeline.Relative{ResidentID: rs[0].ID, Phone: "13900002222", Relation: "子女"}
	must(t, db.LinkRelative(wang, &l))
	wantCode(t, db.ReviewRelative(wang, l.ID, true, "", ""), lifeline.EFORBIDDEN)
	wantCode(t, db.ReviewRelative(li, l.ID, true, "", "staff:wang"), lifeline.EFORBIDDEN)
	if links, _ := db.Relatives(wang, rs[0].ID); len(links) != 1 || links[0].State != lifeline.ReviewPending {
		t.Fatalf("after the refused approval: %+v", links)
	}
	must(t, db.ReviewRelative(li, l.ID, true, "", ""))
	if links, _ := db.Relatives(wang, rs[0].ID); links[0].State != lifeline.Approved || links[0].ReviewedBy != "staff:li" {
		t.Fatalf("approved by li: %+v", links)
	}
	mine := lifeline.Relative{ResidentID: rs[0].ID, RelativeResidentID: rs[3].ID, Relation: "子女"}
	must(t, db.LinkRelative(wang, &mine))
	must(t, db.ReviewRelative(wang, mine.ID, false, "linked the wrong person", ""))
}

func testRelativeRules(t *testing.T, db *store.DB) {
	c := ctx(t)
	rs := roster(t, db, 9) // households {0,1,2} {3,4,5} {6,7,8}
	link := func(r lifeline.Relative) lifeline.Relative {
		t.Helper()
		must(t, db.LinkRelative(c, &r))
		return r
	}
	same := link(lifeline.Relative{ResidentID: rs[0].ID, RelativeResidentID: rs[1].ID, Relation: "配偶"})
	if same.State != lifeline.AutoApproved || same.ID == 0 {
		t.Fatalf("same household: %+v", same)
	}
	other := link(lifeline.Relative{ResidentID: rs[0].ID, RelativeResidentID: rs[3].ID, Relation: "子女"})
	if other.State != lifeline.ReviewPending {
		t.Fatalf("other household: %+v", other)
	}
	bare := link(lifeline.Relative{ResidentID: rs[0].ID, Phone: "139 0000 1111", Relation: "子女"})
	if bare.State != lifeline.ReviewPending || bare.Phone != "+8613900001111" {
		t.Fatalf("bare phone: %+v", bare)
	}
	if again := link(lifeline.Relative{ResidentID: rs[0].ID, Phone: "+8613900001111"}); again.ID != bare.ID {
		t.Fatalf("linking twice made a second link %d (first %d)", again.ID, bare.ID)
	}
	wantCode(t, db.LinkRelative(c, &lifeline.Relative{ResidentID: rs[0].ID}), lifeline.EINVALID)
	wantCode(t, db.LinkRelative(c, &lifeline.Relative{ResidentID: rs[0].ID, Phone: "12"}), lifeline.EINVALID)
	wantCode(t, db.LinkRelative(c, &lifeline.Relative{ResidentID: rs[0].ID, RelativeResidentID: 98765}), lifeline.ENOTFOUND)
	wantCode(t, db.LinkRelative(c, &lifeline.Relative{ResidentID: 98765, Phone: "13900001111"}), lifeline.ENOTFOUND)

	pending, err := db.PendingRelatives(c, "")
	must(t, err)
	if len(pending) != 2 || pending[0].ID != other.ID || pending[1].ID != bare.ID {
		t.Fatalf("pending %+v", pending)
	}
	if p, _ := db.PendingRelatives(c, "社区99"); len(p) != 0 {
		t.Fatalf("pending in another community: %+v", p)
	}
	if p, _ := db.PendingRelatives(c, rs[0].Address.Community); len(p) != 2 {
		t.Fatalf("pending in the community: %+v", p)
	}

	must(t, db.ReviewRelative(c, other.ID, true, "", "staff:li"))
	must(t, db.ReviewRelative(c, bare.ID, false, "无法核实", "staff:li"))
	wantCode(t, db.ReviewRelative(c, bare.ID, true, "", "staff:li"), lifeline.ECONFLICT)
	wantCode(t, db.ReviewRelative(c, same.ID, false, "", "staff:li"), lifeline.ECONFLICT)
	wantCode(t, db.ReviewRelative(c, 424242, true, "", "staff:li"), lifeline.ENOTFOUND)

	links, err := db.Relatives(c, rs[0].ID)
	must(t, err)
	states := []lifeline.ReviewState{}
	for _, l := range links {
		states = append(states, l.State)
	}
	if !slices.Equal(states, []lifeline.ReviewState{lifeline.AutoApproved, lifeline.Approved, lifeline.Rejected}) {
		t.Fatalf("states %v", states)
	}
	if links[2].Reason != "无法核实" || links[2].ReviewedBy != "staff:li" || links[2].ReviewedAt.IsZero() {
		t.Fatalf("rejection not recorded: %+v", links[2])
	}
	// A rejected phone may ask again: that is a new pending link.
	if again := link(lifeline.Relative{ResidentID: rs[0].ID, Phone: "13900001111"}); again.ID == bare.ID || again.State != lifeline.ReviewPending {
		t.Fatalf("relink after rejection: %+v", again)
	}
}

func residentIDs(rs []*lifeline.Resident) []int64 {
	var out []int64
	for _, r := range rs {
		out = append(out, r.ID)
	}
	slices.Sort(out)
	return out
}

func testCaredForByPhone(t *testing.T, db *store.DB) {
	c := ctx(t)
	rs := roster(t, db, 12)
	son := "+8613911112222"
	// The son's phone is linked directly to resident 0 (approved), to
	// resident 3 (pending) and to resident 6 (rejected).
	for i, decide := range map[int]int{0: 1, 3: 0, 6: -1} {
		r := lifeline.Relative{ResidentID: rs[i].ID, Phone: son}
		must(t, db.LinkRelative(c, &r))
		if decide != 0 {
			must(t, db.ReviewRelative(c, r.ID, decide > 0, "", "staff:li"))
		}
	}
	// Resident 9 (another household) cares for resident 10's family member
	// 11 through a link to resident 9, approved; 9's phone is the son's.
	carer := synth.Resident(9)
	carer.Phones = []string{son}
	_, err := db.Import(c, &lifeline.ImportBatch{Residents: []lifeline.Resident{carer}})
	must(t, err)
	l := lifeline.Relative{ResidentID: rs[4].ID, RelativeResidentID: rs[9].ID}
	must(t, db.LinkRelative(c, &l))
	must(t, db.ReviewRelative(c, l.ID, true, "", "staff:li"))
	// A pending link to 9 gives nothing.
	l2 := lifeline.Relative{ResidentID: rs[7].ID, RelativeResidentID: rs[9].ID}
	must(t, db.LinkRelative(c, &l2))
	// Same household links are approved at once: 10 and 11 live with 9.
	l3 := lifeline.Relative{ResidentID: rs[10].ID, RelativeResidentID: rs[9].ID}
	must(t, db.LinkRelative(c, &l3))

	got, err := db.CaredForByPhone(c, "139-1111-2222")
	must(t, err)
	want := []int64{rs[0].ID, rs[4].ID, rs[9].ID, rs[10].ID}
	slices.Sort(want)
	if !slices.Equal(residentIDs(got), want) {
		t.Fatalf("cared for %v, want %v", residentIDs(got), want)
	}
	if got[0].ID != rs[9].ID {
		t.Fatalf("the phone's own resident is not first: %d", got[0].ID)
	}
	none, err := db.CaredForByPhone(c, "13800000000")
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("a stranger's phone cares for %d residents", len(none))
	}
}
