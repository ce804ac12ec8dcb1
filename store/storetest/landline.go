package storetest

import (
	"slices"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

func init() {
	register("landline/roster_keeps_other_kind", testLandlineRoster)
	register("landline/bind_household", testLandlineBindHousehold)
}

const (
	landline1 = "+862988881234"
	landline2 = "+861066667777"
)

// testLandlineRoster: a roster's landline column binds like a mobile (a
// call or text from it reaches the resident), and a later roster that
// lists only mobiles keeps it, as one that lists only landlines keeps the
// mobiles.
func testLandlineRoster(t *testing.T, db *store.DB) {
	c := ctx(t)
	r := synth.Resident(0)
	mobile := r.Phones[0]
	r.Phones = []string{mobile, landline1}
	_, err := db.Import(c, &lifeline.ImportBatch{Residents: []lifeline.Resident{r}})
	must(t, err)
	phonesAre := func(want ...string) {
		t.Helper()
		got, err := db.ResidentByDocument(c, r.Doc)
		must(t, err)
		if !slices.Equal(got.Phones, want) {
			t.Fatalf("phones %v, want %v", got.Phones, want)
		}
	}
	reaches := func(phone string, want bool) {
		t.Helper()
		got, err := db.StatusByPhone(c, phone)
		must(t, err)
		if (len(got) == 1 && got[0].Tie.Own) != want {
			t.Fatalf("StatusByPhone(%s) = %d residents, want reached %v", phone, len(got), want)
		}
	}
	phonesAre(mobile, landline1)
	reaches(landline1, true)

	newMobile := "+8613912345678"
	again := r
	again.Phones = []string{newMobile}
	st, err := db.Import(c, &lifeline.ImportBatch{Residents: []lifeline.Resident{again}})
	must(t, err)
	phonesAre(newMobile, landline1)
	reaches(landline1, true)
	reaches(mobile, false)
	if st.Updated != 1 {
		t.Fatalf("stats %+v, want 1 updated", st)
	}
	// The same file again changes nothing.
	st, err = db.Import(c, &lifeline.ImportBatch{Residents: []lifeline.Resident{again}})
	must(t, err)
	if st.Unchanged != 1 {
		t.Fatalf("the same roster again: %+v, want unchanged", st)
	}
	home := r
	home.Phones = []string{landline2}
	_, err = db.Import(c, &lifeline.ImportBatch{Residents: []lifeline.Resident{home}})
	must(t, err)
	phonesAre(landline2, newMobile)
	reaches(landline1, false)
	reaches(landline2, true)
}

// testLandlineBindHousehold: the staff screen binds a landline to a whole
// household, in place of the landline they had, keeping mobiles; "" unbinds
// it; a mobile is refused; a worker of another community cannot bind one;
// each change is audited.
func testLandlineBindHousehold(t *testing.T, db *store.DB) {
	c := ctx(t)
	rs := roster(t, db, synth.HouseholdSize+1) // one household and one more
	household := rs[:synth.HouseholdSize]
	n, err := db.SetLandline(c, household[0].ID, "029-8888 1234")
	must(t, err)
	if n != len(household) {
		t.Fatalf("bound %d residents, want %d", n, len(household))
	}
	got, err := db.StatusByPhone(c, landline1)
	must(t, err)
	if len(got) != len(household) {
		t.Fatalf("the landline reaches %d residents, want the household's %d", len(got), len(household))
	}
	for _, r := range got {
		if !r.Tie.Own {
			t.Fatalf("resident %d is not the landline's own", r.ID)
		}
	}
	other, err := db.StatusByPhone(c, rs[len(rs)-1].Phones[0])
	must(t, err)
	if len(other) != 1 {
		t.Fatalf("the next household's resident: %d", len(other))
	}
	_, err = db.SetLandline(c, household[1].ID, "010 6666 7777")
	must(t, err)
	r, err := db.Resident(c, household[0].ID)
	must(t, err)
	if want := []string{household[0].Phones[0], landline2}; !slices.Equal(r.Phones, want) {
		t.Fatalf("after a new landline: %v, want %v", r.Phones, want)
	}
	log, err := db.AuditLog(c, household[0].ID, 10)
	must(t, err)
	if len(log) == 0 || log[0].Action != "landline" || log[0].Actor != "staff:test" || log[0].Detail != "bound "+lifeline.MaskPhone(landline2) {
		t.Fatalf("audit: %+v, want the binding with the number masked", log)
	}

	wantCode(t, func() error { _, err := db.SetLandline(c, household[0].ID, "13800138000"); return err }(), lifeline.EINVALID)
	elsewhere := lifeline.WithActor(t.Context(), lifeline.Actor{User: "staff:far", Community: "别处社区"})
	wantCode(t, func() error { _, err := db.SetLandline(elsewhere, household[0].ID, landline1); return err }(), lifeline.ENOTFOUND)

	_, err = db.SetLandline(c, household[0].ID, "")
	must(t, err)
	got, err = db.StatusByPhone(c, landline2)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("after unbinding, the landline reaches %d residents", len(got))
	}
	r, err = db.Resident(c, household[0].ID)
	must(t, err)
	if !slices.Equal(r.Phones, household[0].Phones) {
		t.Fatalf("after unbinding: %v, want the mobiles %v", r.Phones, household[0].Phones)
	}
}
