package storetest

import (
	"bytes"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

func init() {
	register("codes/record_and_load", testCodesRecord)
	register("codes/revoke_serial", testCodesRevokeSerial)
	register("codes/revoke_resident", testCodesRevokeResident)
	register("codes/revoke_key", testCodesRevokeKey)
}

var codeT0 = time.Date(2022, 4, 9, 8, 0, 0, 0, time.UTC)

const (
	kidA = "0011223344556677"
	kidB = "8899aabbccddeeff"
)

// issued returns a code record for a resident, issued at codeT0+offset.
func issued(t *testing.T, residentID int64, kid string, offset time.Duration) lifeline.IssuedCode {
	t.Helper()
	s, err := code.NewSerial()
	must(t, err)
	at := codeT0.Add(offset)
	return lifeline.IssuedCode{Serial: s, ResidentID: residentID, KeyID: kid, IssuedAt: at, ExpiresAt: at.Add(code.DefaultValidity)}
}

func codeResidents(t *testing.T, db *store.DB, n int) []int64 {
	var ids []int64
	for i := 1; i <= n; i++ {
		r := synth.Resident(100 + i)
		must(t, db.CreateResident(ctx(t), &r))
		ids = append(ids, r.ID)
	}
	return ids
}

func revokedSet(t *testing.T, db *store.DB) map[string]bool {
	out := map[string]bool{}
	must(t, db.EachRevoked(ctx(t), func(s []byte) error {
		out[string(s)] = true
		return nil
	}))
	return out
}

func auditCount(t *testing.T, db *store.DB, action string) int {
	return audited(t, db, action)
}

func testCodesRecord(t *testing.T, db *store.DB) {
	c := ctx(t)
	ids := codeResidents(t, db, 2)
	a1, a2, b1 := issued(t, ids[0], kidA, 0), issued(t, ids[0], kidA, time.Hour), issued(t, ids[1], strings.ToUpper(kidB), 0)
	must(t, db.RecordIssued(c, []lifeline.IssuedCode{a1, a2, b1}))

	got, err := db.IssuedCode(c, a1.Serial)
	must(t, err)
	if !bytes.Equal(got.Serial, a1.Serial) || got.ResidentID != ids[0] || got.KeyID != kidA || got.IssuedBy != "staff:test" ||
		!got.IssuedAt.Equal(a1.IssuedAt) || !got.ExpiresAt.Equal(a1.ExpiresAt) || got.Revoked() {
		t.Fatalf("IssuedCode = %+v", got)
	}
	list, err := db.IssuedCodes(c, ids[0])
	must(t, err)
	if len(list) != 2 || !bytes.Equal(list[0].Serial, a2.Serial) {
		t.Fatalf("IssuedCodes = %d codes, newest first wanted", len(list))
	}
	if got, _ := db.IssuedCode(c, b1.Serial); got == nil || got.KeyID != kidB {
		t.Fatalf("key id not normalised: %+v", got)
	}
	if n := auditCount(t, db, "issue_code"); n != 3 {
		t.Errorf("%d issue_code audit rows, want 3", n)
	}

	// Recording the same serial again conflicts, and the batch it came in
	// stores nothing.
	fresh := issued(t, ids[1], kidA, 0)
	wantCode(t, db.RecordIssued(c, []lifeline.IssuedCode{fresh, a1}), lifeline.ECONFLICT)
	_, err = db.IssuedCode(c, fresh.Serial)
	wantCode(t, err, lifeline.ENOTFOUND)
	// An unknown resident, a bad serial or key id are refused.
	wantCode(t, db.RecordIssued(c, []lifeline.IssuedCode{issued(t, 999999, kidA, 0)}), lifeline.ENOTFOUND)
	short := issued(t, ids[0], kidA, 0)
	short.Serial = short.Serial[:8]
	wantCode(t, db.RecordIssued(c, []lifeline.IssuedCode{short}), lifeline.EINVALID)
	wantCode(t, db.RecordIssued(c, []lifeline.IssuedCode{issued(t, ids[0], "xyz", 0)}), lifeline.EINVALID)
	_, err = db.IssuedCode(c, make([]byte, 16))
	wantCode(t, err, lifeline.ENOTFOUND)
}

func testCodesRevokeSerial(t *testing.T, db *store.DB) {
	c := ctx(t)
	ids := codeResidents(t, db, 1)
	a, b := issued(t, ids[0], kidA, 0), issued(t, ids[0], kidA, 0)
	must(t, db.RecordIssued(c, []lifeline.IssuedCode{a, b}))
	must(t, db.RevokeSerial(c, a.Serial, "lost card", ""))
	got, err := db.IssuedCode(c, a.Serial)
	must(t, err)
	if !got.Revoked() || got.RevokeReason != "lost card" {
		t.Fatalf("after revoke: %+v", got)
	}
	first := got.RevokedAt
	// Again: no error, and the first revocation stands.
	must(t, db.RevokeSerial(c, a.Serial, "again", "staff:other"))
	got, _ = db.IssuedCode(c, a.Serial)
	if got.RevokeReason != "lost card" || !got.RevokedAt.Equal(first) {
		t.Fatalf("second revoke changed it: %+v", got)
	}
	if set := revokedSet(t, db); len(set) != 1 || !set[string(a.Serial)] {
		t.Fatalf("EachRevoked = %d serials", len(set))
	}
	if n := auditCount(t, db, "revoke"); n != 1 {
		t.Errorf("%d revoke audit rows, want 1", n)
	}
	wantCode(t, db.RevokeSerial(c, make([]byte, 16), "x", ""), lifeline.ENOTFOUND)
}

func testCodesRevokeResident(t *testing.T, db *store.DB) {
	c := ctx(t)
	ids := codeResidents(t, db, 2)
	a1, a2, b1 := issued(t, ids[0], kidA, 0), issued(t, ids[0], kidB, 0), issued(t, ids[1], kidA, 0)
	must(t, db.RecordIssued(c, []lifeline.IssuedCode{a1, a2, b1}))
	must(t, db.RevokeSerial(c, a1.Serial, "lost", ""))
	n, err := db.RevokeResident(c, ids[0], "turned red", "")
	must(t, err)
	if n != 1 {
		t.Fatalf("RevokeResident = %d, want 1 (the other was already revoked)", n)
	}
	set := revokedSet(t, db)
	if len(set) != 2 || !set[string(a1.Serial)] || !set[string(a2.Serial)] || set[string(b1.Serial)] {
		t.Fatalf("revoked set wrong: %d", len(set))
	}
	log, err := db.AuditLog(c, ids[0], 10)
	must(t, err)
	if len(log) == 0 || log[0].Action != "revoke" || log[0].Actor != "staff:test" || !strings.Contains(log[0].Detail, "turned red") {
		t.Fatalf("audit = %+v", log)
	}
	_, err = db.RevokeResident(c, 999999, "x", "")
	wantCode(t, err, lifeline.ENOTFOUND)
}

func testCodesRevokeKey(t *testing.T, db *store.DB) {
	c := ctx(t)
	ids := codeResidents(t, db, 1)
	early, late, other := issued(t, ids[0], kidA, 0), issued(t, ids[0], kidA, 2*time.Hour), issued(t, ids[0], kidB, 0)
	must(t, db.RecordIssued(c, []lifeline.IssuedCode{early, late, other}))
	cut := codeT0.Add(time.Hour)
	n, err := db.RevokeKeyBefore(c, strings.ToUpper(kidA), cut, "leaked", "")
	must(t, err)
	if n != 1 {
		t.Fatalf("RevokeKeyBefore = %d, want 1", n)
	}
	if set := revokedSet(t, db); len(set) != 1 || !set[string(early.Serial)] {
		t.Fatalf("revoked set wrong: %d", len(set))
	}
	cuts, err := db.KeyCutoffs(c)
	must(t, err)
	if len(cuts) != 1 || !cuts[kidA].Equal(cut) {
		t.Fatalf("KeyCutoffs = %v", cuts)
	}
	// An earlier cut-off never shortens a later one; a later one extends it.
	_, err = db.RevokeKeyBefore(c, kidA, codeT0, "x", "")
	must(t, err)
	if cuts, _ := db.KeyCutoffs(c); !cuts[kidA].Equal(cut) {
		t.Fatalf("earlier cut-off replaced a later one: %v", cuts)
	}
	n, err = db.RevokeKeyBefore(c, kidA, codeT0.Add(3*time.Hour), "worse", "")
	must(t, err)
	if cuts, _ := db.KeyCutoffs(c); n != 1 || !cuts[kidA].Equal(codeT0.Add(3*time.Hour)) {
		t.Fatalf("later cut-off: n=%d %v", n, cuts)
	}
	_, err = db.RevokeKeyBefore(c, "nothex", cut, "x", "")
	wantCode(t, err, lifeline.EINVALID)
	if got := auditCount(t, db, "revoke"); got != 3 {
		t.Errorf("%d revoke audit rows, want 3", got)
	}
}
