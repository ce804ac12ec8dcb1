package storetest

import (
	"context"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

func init() {
	register("scope/reads", testScopeReads)
	register("scope/changes", testScopeChanges)
}

// twoCommunities is a store with a resident in each of two communities,
// each with a phone, a household, a test result, a paper code, a pending
// link, a registration and an open print request; and a resident with no
// address.
type twoCommunities struct {
	near, far, homeless lifeline.Resident
	nearCode, farCode   lifeline.IssuedCode
	nearLink, farLink   lifeline.Relative
	farPrint            lifeline.PrintRequest
	worker, admin       context.Context
}

func newTwoCommunities(t *testing.T, db *store.DB) *twoCommunities {
	c := ctx(t)
	w := &twoCommunities{near: synth.Resident(1), far: synth.Resident(2), homeless: synth.Resident(3)}
	w.near.Address = lifeline.Address{Community: "幸福里", Building: "1", Unit: "1", Room: "101"}
	w.far.Address = lifeline.Address{Community: "光明村", Building: "1", Unit: "1", Room: "101"}
	w.homeless.Address = lifeline.Address{}
	w.far.Name = w.near.Name // one name in both communities
	for _, r := range []*lifeline.Resident{&w.near, &w.far, &w.homeless} {
		must(t, db.CreateResident(c, r))
		_, err := db.RecordResult(c, lifeline.StatusUpdate{ResidentID: r.ID, Color: lifeline.Green,
			Test: &lifeline.TestResult{SampledAt: codeT0, Result: lifeline.Negative, Site: "站"}})
		must(t, err)
		must(t, db.CreateRegistration(c, &lifeline.Registration{ResidentID: r.ID, Tube: "T" + r.Doc.Number[14:]}))
	}
	w.nearCode, w.farCode = issued(t, w.near.ID, kidA, 0), issued(t, w.far.ID, kidA, 0)
	must(t, db.RecordIssued(c, []lifeline.IssuedCode{w.nearCode, w.farCode}))
	w.nearLink = lifeline.Relative{ResidentID: w.near.ID, Phone: "13900000001", Relation: "子女"}
	w.farLink = lifeline.Relative{ResidentID: w.far.ID, Phone: "13900000002", Relation: "子女"}
	must(t, db.LinkRelative(c, &w.nearLink))
	must(t, db.LinkRelative(c, &w.farLink))
	must(t, db.RequestPrint(c, &lifeline.PrintRequest{ResidentID: w.near.ID}))
	w.farPrint = lifeline.PrintRequest{ResidentID: w.far.ID}
	must(t, db.RequestPrint(c, &w.farPrint))
	w.worker = lifeline.WithActor(t.Context(), lifeline.Actor{User: "staff:wang", Community: "幸福里"})
	w.admin = lifeline.WithActor(t.Context(), lifeline.Actor{User: "staff:boss"})
	return w
}

// A worker reads only the residents of their community, whichever way
// they ask; one elsewhere is not found, as if there were none. An admin,
// and the system, read everyone.
func testScopeReads(t *testing.T, db *store.DB) {
	w := newTwoCommunities(t, db)
	scopeFindAndOpen(t, db, w)
	scopeReadsAboutAndOf(t, db, w)
	// A checkpoint checks any card it is shown: a code is found by serial
	// whoever holds it.
	if ic, err := db.IssuedCode(w.worker, w.farCode.Serial); err != nil || ic.ResidentID != w.far.ID {
		t.Fatalf("the worker's check of a card from elsewhere: %v", err)
	}
}

// scopeFindAndOpen: a worker's searches find only their community's
// residents, and opening, viewing or revealing one elsewhere is not found
// (and not logged as seen).
func scopeFindAndOpen(t *testing.T, db *store.DB, w *twoCommunities) {
	wc := w.worker
	for _, f := range []lifeline.ResidentFilter{{Query: w.near.Name}, {Query: w.far.Doc.Number}, {Query: w.far.Phones[0]}, {Query: "1-1-101"}} {
		ms, err := db.FindResidents(wc, f)
		must(t, err)
		for _, m := range ms {
			if m.Resident.ID != w.near.ID {
				t.Errorf("find %q: the worker found %s of %q", f.Query, m.Resident.Name, m.Resident.Address.Community)
			}
		}
	}
	if ms, err := db.FindResidents(wc, lifeline.ResidentFilter{Query: w.near.Name}); err != nil || len(ms) != 1 {
		t.Fatalf("the worker's own resident: %d found, %v", len(ms), err)
	}
	if ms, err := db.FindResidents(wc, lifeline.ResidentFilter{Query: w.near.Name, Community: "光明村"}); err != nil || len(ms) != 0 {
		t.Fatalf("asking for another community: %d found, %v", len(ms), err)
	}
	if ms, err := db.FindResidents(w.admin, lifeline.ResidentFilter{Query: w.near.Name}); err != nil || len(ms) != 2 {
		t.Fatalf("an admin finds %d, %v; want both", len(ms), err)
	}

	_, err := db.Resident(wc, w.far.ID)
	wantCode(t, err, lifeline.ENOTFOUND)
	_, err = db.Resident(wc, w.homeless.ID)
	wantCode(t, err, lifeline.ENOTFOUND)
	if r, err := db.Resident(wc, w.near.ID); err != nil || r.ID != w.near.ID {
		t.Fatalf("the worker's own resident: %v", err)
	}
	_, err = db.ResidentByDocument(wc, w.far.Doc)
	wantCode(t, err, lifeline.ENOTFOUND)
	before := audited(t, db, "view")
	_, err = db.ViewResident(wc, w.far.ID)
	wantCode(t, err, lifeline.ENOTFOUND)
	_, err = db.RevealResident(wc, w.far.ID)
	wantCode(t, err, lifeline.ENOTFOUND)
	if audited(t, db, "view") != before {
		t.Error("a view of a resident the worker may not see was logged as seen")
	}
}

// scopeReadsAboutAndOf: every read about one resident, and every list of
// a community, gives a worker only their own community's rows; an admin
// and the system see everyone.
func scopeReadsAboutAndOf(t *testing.T, db *store.DB, w *twoCommunities) {
	wc := w.worker
	// Every read about one resident: none about the resident elsewhere,
	// one row each about the worker's own.
	about := func(r lifeline.Resident) map[string]func() (int, error) {
		return map[string]func() (int, error){
			"ResidentsByPhone": func() (int, error) { rs, err := db.ResidentsByPhone(wc, r.Phones[0]); return len(rs), err },
			"HouseholdMembers": func() (int, error) { rs, err := db.HouseholdMembers(wc, r.HouseholdID); return len(rs), err },
			"Relatives":        func() (int, error) { rs, err := db.Relatives(wc, r.ID); return len(rs), err },
			"IssuedCodes":      func() (int, error) { rs, err := db.IssuedCodes(wc, r.ID); return len(rs), err },
			"TestResults":      func() (int, error) { rs, err := db.TestResults(wc, r.ID, 10); return len(rs), err },
			"ResidentRegistrations": func() (int, error) {
				rs, err := db.ResidentRegistrations(wc, r.ID)
				return len(rs), err
			},
			"StatusByPhone":   func() (int, error) { rs, err := db.StatusByPhone(wc, r.Phones[0]); return len(rs), err },
			"CaredForByPhone": func() (int, error) { rs, err := db.CaredForByPhone(wc, r.Phones[0]); return len(rs), err },
		}
	}
	// Every list of a community: none of the other one, the one resident
	// (or request, or link) of the worker's own.
	of := func(community string) map[string]func() (int, error) {
		return map[string]func() (int, error){
			"PendingRelatives": func() (int, error) { rs, err := db.PendingRelatives(wc, community); return len(rs), err },
			"PrintQueue":       func() (int, error) { rs, err := db.PrintQueue(wc, community); return len(rs), err },
			"EachResident": func() (int, error) {
				n := 0
				err := db.EachResident(wc, lifeline.ResidentFilter{Community: community}, func(r *lifeline.Resident) error {
					if r.ID != w.near.ID {
						t.Errorf("EachResident gave the worker %s of %q", r.Name, r.Address.Community)
					}
					n++
					return nil
				})
				return n, err
			},
		}
	}
	for _, c := range []struct {
		name  string
		reads map[string]func() (int, error)
		want  int
	}{
		{"about the resident elsewhere", about(w.far), 0},
		{"of the other community", of("光明村"), 0},
		{"about the worker's own resident", about(w.near), 1},
		{"of the worker's community", of("幸福里"), 1},
		{"of every community the worker may see", of(""), 1},
	} {
		for name, read := range c.reads {
			if n, err := read(); err != nil || n != c.want {
				t.Errorf("%s %s: %d rows, %v; want %d", name, c.name, n, err, c.want)
			}
		}
	}
	// An admin, and the system, see everyone: three residents, both
	// communities' queues.
	for who, c := range map[string]context.Context{"admin": w.admin, "system": t.Context()} {
		n := 0
		must(t, db.EachResident(c, lifeline.ResidentFilter{}, func(*lifeline.Resident) error { n++; return nil }))
		q, err := db.PrintQueue(c, "")
		must(t, err)
		p, err := db.PendingRelatives(c, "")
		must(t, err)
		if _, err := db.Resident(c, w.far.ID); err != nil || n != 3 || len(q) != 2 || len(p) != 2 {
			t.Errorf("%s: %d residents, %d print requests, %d pending links, far resident %v; want 3, 2, 2, found", who, n, len(q), len(p), err)
		}
	}
}

// A worker changes nothing of a resident elsewhere: every change is
// refused as not found and leaves the store as it was.
func testScopeChanges(t *testing.T, db *store.DB) {
	w := newTwoCommunities(t, db)
	wc := w.worker
	far := w.far.ID
	wantCode(t, db.CreateRegistration(wc, &lifeline.Registration{ResidentID: far, Tube: "T-far"}), lifeline.ENOTFOUND)
	wantCode(t, db.LinkRelative(wc, &lifeline.Relative{ResidentID: far, Phone: "13900000003", Relation: "邻居"}), lifeline.ENOTFOUND)
	wantCode(t, db.LinkRelative(wc, &lifeline.Relative{ResidentID: w.near.ID, RelativeResidentID: far, Relation: "子女"}), lifeline.ENOTFOUND)
	wantCode(t, db.ReviewRelative(wc, w.farLink.ID, true, "", ""), lifeline.ENOTFOUND)
	wantCode(t, db.RequestPrint(wc, &lifeline.PrintRequest{ResidentID: w.homeless.ID}), lifeline.ENOTFOUND)
	wantCode(t, db.MarkPrinted(wc, w.farPrint.ID, ""), lifeline.ENOTFOUND)
	wantCode(t, db.RecordIssued(wc, []lifeline.IssuedCode{issued(t, far, kidA, time.Hour)}), lifeline.ENOTFOUND)
	wantCode(t, db.RevokeSerial(wc, w.farCode.Serial, "lost card", ""), lifeline.ENOTFOUND)
	_, err := db.RevokeResident(wc, far, "moved", "")
	wantCode(t, err, lifeline.ENOTFOUND)

	c := ctx(t)
	regs, err := db.ResidentRegistrations(c, far)
	must(t, err)
	links, err := db.Relatives(c, far)
	must(t, err)
	codes, err := db.IssuedCodes(c, far)
	must(t, err)
	queue, err := db.PrintQueue(c, "光明村")
	must(t, err)
	if len(regs) != 1 || len(links) != 1 || links[0].State != lifeline.ReviewPending || len(codes) != 1 || codes[0].Revoked() || len(queue) != 1 {
		t.Fatalf("after the refused changes: %d registrations, links %+v, codes %+v, %d print requests", len(regs), links, codes, len(queue))
	}
	if n := count(t, db, "SELECT count(*) FROM print_requests"); n != 2 {
		t.Fatalf("%d print requests, want 2", n)
	}

	// The worker's own resident, as before.
	must(t, db.CreateRegistration(wc, &lifeline.Registration{ResidentID: w.near.ID, Tube: "T-near"}))
	must(t, db.ReviewRelative(wc, w.nearLink.ID, true, "", ""))
	must(t, db.RevokeSerial(wc, w.nearCode.Serial, "lost card", ""))
}
