package storetest

import (
	"reflect"
	"slices"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

func init() {
	register("import/partial_roster", testImportPartialRoster)
}

// A roster that lacks columns leaves those parts of every resident as
// stored; an empty cell in a column it has clears the part; the stats say
// part by part what changed, and list the renames, dry run or not.
func testImportPartialRoster(t *testing.T, db *store.DB) {
	c := ctx(t)
	_, err := db.Import(c, &lifeline.ImportBatch{Residents: synth.Residents(0, 12)})
	must(t, err)
	load := func(i int) *lifeline.Resident {
		t.Helper()
		r, err := db.ResidentByDocument(c, lifeline.Document{Type: lifeline.DocMainlandID, Number: synth.ID(i)})
		must(t, err)
		return r
	}
	before := load(3)

	// Name and document only (姓名,证件号码), one of them renamed: nobody
	// loses an address or a phone.
	nameOnly := lifeline.FieldAddress | lifeline.FieldPhones | lifeline.FieldNationality | lifeline.FieldBirth | lifeline.FieldSex
	partial := func(omitted lifeline.Field, edit func(i int, r *lifeline.Resident)) *lifeline.ImportBatch {
		b := &lifeline.ImportBatch{}
		for i := range 12 {
			r := lifeline.Resident{Name: synth.Name(i), Doc: synth.Resident(i).Doc, Omitted: omitted}
			if !omitted.Has(lifeline.FieldPhones) {
				r.Phones = synth.Resident(i).Phones
			}
			edit(i, &r)
			b.Residents = append(b.Residents, r)
		}
		return b
	}
	b := partial(nameOnly, func(i int, r *lifeline.Resident) {
		if i == 3 {
			r.Name = "欧阳娜娜"
		}
	})
	b.DryRun = true
	dry, err := db.Import(c, b)
	must(t, err)
	b.DryRun = false
	st, err := db.Import(c, b)
	must(t, err)
	want := lifeline.ImportStats{Updated: 1, Unchanged: 11, Changed: lifeline.FieldChanges{Name: 1},
		Renamed: []lifeline.Rename{{Doc: before.Doc, Old: before.Name, New: "欧阳娜娜"}}}
	if !reflect.DeepEqual(st, want) || !reflect.DeepEqual(dry, want) {
		t.Fatalf("name-only roster: %+v (dry run %+v), want %+v", st, dry, want)
	}
	after := load(3)
	if after.Address != before.Address || after.HouseholdID != before.HouseholdID || !slices.Equal(after.Phones, before.Phones) || after.Name != "欧阳娜娜" {
		t.Fatalf("after a name-only roster: %+v, was %+v", after, before)
	}
	ms, err := db.FindResidents(c, lifeline.ResidentFilter{Query: before.Address.Short(), Community: before.Address.Community})
	must(t, err)
	if !slices.ContainsFunc(ms, func(m lifeline.ResidentMatch) bool { return m.Resident.ID == before.ID }) {
		t.Fatalf("%s no longer finds her", before.Address.Short())
	}

	// Building and room only: she moves within her community and unit,
	// which the file does not name.
	b = partial(nameOnly&^(lifeline.FieldBuilding|lifeline.FieldRoom), func(i int, r *lifeline.Resident) {
		r.Name = load(i).Name
		r.Address = lifeline.Address{Building: synth.Address(i).Building, Room: synth.Address(i).Room}
		if i == 3 {
			r.Address.Room = "1801"
		}
	})
	st, err = db.Import(c, b)
	must(t, err)
	if st.Updated != 1 || st.Changed != (lifeline.FieldChanges{Address: 1}) {
		t.Fatalf("building and room: %+v", st)
	}
	moved := load(3)
	if w := (lifeline.Address{Community: before.Address.Community, Building: before.Address.Building, Unit: before.Address.Unit, Room: "1801"}); moved.Address != w {
		t.Fatalf("moved to %+v, want %+v", moved.Address, w)
	}

	// A phone column with an empty cell clears that resident's phones.
	b = partial(nameOnly&^lifeline.FieldPhones, func(i int, r *lifeline.Resident) {
		r.Name = load(i).Name
		if i == 3 {
			r.Phones = nil
		}
	})
	st, err = db.Import(c, b)
	must(t, err)
	if st.Updated != 1 || st.Changed != (lifeline.FieldChanges{Phones: 1}) || len(load(3).Phones) != 0 {
		t.Fatalf("an empty phone cell: %+v, phones %v", st, load(3).Phones)
	}
	if moved := load(3); moved.Address.Room != "1801" || moved.Name != "欧阳娜娜" {
		t.Fatalf("clearing the phones changed %+v", moved)
	}
}
