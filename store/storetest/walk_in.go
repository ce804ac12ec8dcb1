package storetest

import (
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

func init() {
	register("residents/walk_in", testWalkIn)
}

// testWalkIn: a person registered at a desk who is not on the roster is
// stored marked as such, in the worker's community, in a household of
// their own when no address is given; the worker finds them; the audit
// log says who registered them; a roster naming them later clears the
// mark and gives them the roster's address.
func testWalkIn(t *testing.T, db *store.DB) {
	worker := lifeline.WithActor(t.Context(), lifeline.Actor{User: "staff:wang", Community: "幸福里"})
	visitor := lifeline.Resident{Name: "Anna Müller", Doc: lifeline.Document{Type: lifeline.DocPassport, Number: "C01X00T47", Nationality: "DEU"}, Phones: []string{"13900000099"},
		Address: lifeline.Address{Community: "光明村"}} // the worker's community is used, not the one given
	must(t, db.RegisterWalkIn(worker, &visitor))
	db.Now = func() time.Time { return codeT0.Add(time.Second) }
	migrant := synth.Resident(7)
	migrant.Address = lifeline.Address{}
	must(t, db.RegisterWalkIn(worker, &migrant))
	for _, r := range []lifeline.Resident{visitor, migrant} {
		got, err := db.ViewResident(worker, r.ID)
		must(t, err)
		if !got.OnSite || got.Address.Community != "幸福里" || got.Address.Building != lifeline.OnSiteBuilding || got.HouseholdID == 0 {
			t.Fatalf("walk-in stored as %+v", got)
		}
		members, err := db.HouseholdMembers(worker, got.HouseholdID)
		must(t, err)
		if len(members) != 1 {
			t.Fatalf("a walk-in with no address shares a household with %d", len(members)-1)
		}
	}
	if ms := find(t, db, lifeline.ResidentFilter{Query: "C01X00T47"}); len(ms) != 1 || ms[0].Resident.ID != visitor.ID {
		t.Fatalf("the passport finds %+v", ms)
	}
	log, err := db.AuditLog(ctx(t), visitor.ID, 10)
	must(t, err)
	registered := false
	for _, e := range log {
		registered = registered || e.Action == "walk_in" && e.Actor == "staff:wang"
	}
	if !registered {
		t.Fatalf("no audit entry of the registration: %+v", log)
	}
	// An admin names no community: one must be given.
	admin := lifeline.WithActor(t.Context(), lifeline.Actor{User: "staff:boss"})
	other := synth.Resident(8)
	other.Address = lifeline.Address{}
	wantCode(t, db.RegisterWalkIn(admin, &other), lifeline.EINVALID)
	// The same document again is a conflict.
	again := visitor
	again.ID = 0
	wantCode(t, db.RegisterWalkIn(worker, &again), lifeline.ECONFLICT)

	// A roster names the migrant worker: on the roster now, at its address.
	onRoster := migrant
	onRoster.Address = lifeline.Address{Community: "幸福里", Building: "3", Unit: "1", Room: "402"}
	_, err = db.Import(ctx(t), &lifeline.ImportBatch{Residents: []lifeline.Resident{onRoster}})
	must(t, err)
	got, err := db.Resident(ctx(t), migrant.ID)
	must(t, err)
	if got.OnSite || got.Address.Room != "402" {
		t.Fatalf("after a roster named them: %+v", got)
	}
}
