package storetest

import (
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

func init() {
	register("resident/by_document_any_type", testResidentByAnyDocument)
	register("household/at_address", testHouseholdAt)
}

// testResidentByAnyDocument: a document with no type finds its holder
// whatever the type, as typed (spaces, lower case), and by a replaced
// number; a number nobody holds is not found, and the message masks it.
func testResidentByAnyDocument(t *testing.T, db *store.DB) {
	c := ctx(t)
	id := synth.Resident(1)
	passport := lifeline.Resident{Name: "John Smith", Doc: lifeline.Document{Type: lifeline.DocPassport, Number: "E1234567", Nationality: "USA"}, Address: synth.Address(0)}
	hkmo := lifeline.Resident{Name: "陈大文", Doc: lifeline.Document{Type: lifeline.DocHKMO, Number: "H12345678"}, Address: synth.Address(0)}
	taiwan := lifeline.Resident{Name: "林志明", Doc: lifeline.Document{Type: lifeline.DocTaiwan, Number: "12345678"}, Address: synth.Address(3)}
	for _, r := range []*lifeline.Resident{&id, &passport, &hkmo, &taiwan} {
		must(t, db.CreateResident(c, r))
	}
	must(t, db.ChangeDocument(c, passport.ID, lifeline.Document{Type: lifeline.DocPassport, Number: "E7654321", Nationality: "USA"}))
	for number, want := range map[string]int64{
		synth.ID(1):                             id.ID,
		strings.ToLower(synth.ID(1)):            id.ID,
		synth.ID(1)[:6] + " " + synth.ID(1)[6:]: id.ID,
		"e7654321":                              passport.ID,
		"E1234567":                              passport.ID, // replaced, still theirs
		"h1234 5678":                            hkmo.ID,
		"12345678":                              taiwan.ID,
	} {
		got, err := db.ResidentByDocument(c, lifeline.Document{Number: number})
		must(t, err)
		if got.ID != want {
			t.Errorf("%q finds resident %d, want %d", number, got.ID, want)
		}
	}
	missing := synth.ID(2)
	_, err := db.ResidentByDocument(c, lifeline.Document{Number: missing})
	wantCode(t, err, lifeline.ENOTFOUND)
	for _, l := range []lifeline.Lang{lifeline.Zh, lifeline.En} {
		if msg := lifeline.ErrorMessage(err, l); strings.Contains(msg, missing) || !strings.Contains(msg, lifeline.MaskDocNumber(missing)) {
			t.Errorf("not found says %q: want the number masked", msg)
		}
	}
	// A worker of another community does not find them.
	elsewhere := lifeline.WithActor(c, lifeline.Actor{User: "staff:elsewhere", Community: "别的社区"})
	_, err = db.ResidentByDocument(elsewhere, lifeline.Document{Number: synth.ID(1)})
	wantCode(t, err, lifeline.ENOTFOUND)
	_, err = db.ResidentByDocument(c, lifeline.Document{Number: "  "})
	wantCode(t, err, lifeline.EINVALID)
	// A typed document is looked up under its type only.
	_, err = db.ResidentByDocument(c, lifeline.Document{Type: lifeline.DocTaiwan, Number: "H12345678"})
	wantCode(t, err, lifeline.ENOTFOUND)
}

// testHouseholdAt: an address finds its household, with or without a
// unit; the same address in two communities needs the community; an
// address nobody lives at any more, or never did, is not found.
func testHouseholdAt(t *testing.T, db *store.DB) {
	c := ctx(t)
	at := func(community, building, unit, room string) lifeline.Address {
		return lifeline.Address{Community: community, Building: building, Unit: unit, Room: room}
	}
	sun, moon := at("阳光社区", "1", "1", "101"), at("月亮社区", "1", "1", "101")
	noUnit, unit101 := at("阳光社区", "5", "", "101"), at("阳光社区", "5", "101", "1")
	var rs []lifeline.Resident
	for i, a := range []lifeline.Address{sun, sun, moon, noUnit, unit101} {
		r := synth.Resident(i)
		r.Address = a
		must(t, db.CreateResident(c, &r))
		rs = append(rs, r)
	}
	for _, x := range []struct {
		a    lifeline.Address
		want int64
	}{
		{sun, rs[0].HouseholdID},
		{moon, rs[2].HouseholdID},
		{at("", "5", "", "101"), rs[3].HouseholdID},
		{at("", "5", "101", "1"), rs[4].HouseholdID},
	} {
		h, err := db.HouseholdAt(c, x.a)
		must(t, err)
		if h.ID != x.want || h.Address.Short() != x.a.Short() || (x.a.Community != "" && h.Address.Community != x.a.Community) {
			t.Errorf("HouseholdAt(%+v) = %+v, want household %d", x.a, h, x.want)
		}
	}
	h, err := db.HouseholdAt(c, at("", "5", "", "101"))
	must(t, err)
	if h.Address != noUnit {
		t.Errorf("the community is not filled in: %+v", h.Address)
	}
	_, err = db.HouseholdAt(c, at("", "1", "1", "101"))
	wantCode(t, err, lifeline.ECONFLICT)
	_, err = db.HouseholdAt(c, at("阳光社区", "9", "9", "909"))
	wantCode(t, err, lifeline.ENOTFOUND)
	_, err = db.HouseholdAt(c, at("星星社区", "1", "1", "101"))
	wantCode(t, err, lifeline.ENOTFOUND)

	// A worker of one community sees only its households: the address the
	// two share is theirs alone, and the other's is not found.
	moonWorker := lifeline.WithActor(c, lifeline.Actor{User: "staff:moon", Community: "月亮社区"})
	h, err = db.HouseholdAt(moonWorker, at("", "1", "1", "101"))
	must(t, err)
	if h.ID != rs[2].HouseholdID {
		t.Errorf("a moon worker's 1-1-101 is %+v, want the moon's", h)
	}
	_, err = db.HouseholdAt(moonWorker, sun)
	wantCode(t, err, lifeline.ENOTFOUND)

	// Moved out: the roster now has the resident of the moon's 1-1-101 in
	// 1-1-102, and nobody lives in the room they left.
	moved := rs[2]
	moved.ID, moved.HouseholdID = 0, 0
	moved.Address.Room = "102"
	_, err = db.Import(c, &lifeline.ImportBatch{Residents: []lifeline.Resident{moved}})
	must(t, err)
	_, err = db.HouseholdAt(c, moon)
	wantCode(t, err, lifeline.ENOTFOUND)
	h, err = db.HouseholdAt(c, at("", "1", "1", "101"))
	must(t, err)
	if h.ID != rs[0].HouseholdID {
		t.Errorf("once the moon's room is empty, 1-1-101 is the sun's: got %+v", h)
	}
}
