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
	register("status/red_revokes_codes", testRedRevokesCodes)
	register("import/red_revokes_codes", testImportRedRevokesCodes)
}

// holder stores resident i with n paper codes and returns them.
func holder(t *testing.T, db *store.DB, i, n int) lifeline.Resident {
	t.Helper()
	c := ctx(t)
	r := synth.Resident(i)
	must(t, db.CreateResident(c, &r))
	issued := time.Now().Add(-time.Hour)
	var codes []lifeline.IssuedCode
	for k := 0; k < n; k++ {
		codes = append(codes, lifeline.IssuedCode{Serial: []byte(fmt.Sprintf("serial-%04d-%04d", i, k)), ResidentID: r.ID, KeyID: "00112233aabbccdd",
			IssuedBy: "staff:wang", IssuedAt: issued, ExpiresAt: issued.AddDate(0, 0, 30)})
	}
	must(t, db.RecordIssued(c, codes))
	return r
}

// revokedCodes returns how many of a resident's codes are revoked, failing
// unless every revoked one carries reason.
func revokedCodes(t *testing.T, db *store.DB, residentID int64, reason string) int {
	t.Helper()
	cs, err := db.IssuedCodes(ctx(t), residentID)
	must(t, err)
	n := 0
	for _, c := range cs {
		if c.Revoked() {
			n++
			if c.RevokeReason != reason {
				t.Errorf("code %s revoked for %q, want %q", c.Serial, c.RevokeReason, reason)
			}
		}
	}
	return n
}

// revokeAudits counts the "revoke" entries of a resident's audit log.
func revokeAudits(t *testing.T, db *store.DB, residentID int64) int {
	t.Helper()
	es, err := db.AuditLog(ctx(t), residentID, 100)
	must(t, err)
	n := 0
	for _, e := range es {
		if e.Action == "revoke" {
			n++
		}
	}
	return n
}

// testRedRevokesCodes: an update that leaves its resident red revokes
// their paper codes in its own transaction, audited once; the same update
// again revokes nothing more; yellow, or a late red older than the stored
// colour, revokes nothing.
func testRedRevokesCodes(t *testing.T, db *store.DB) {
	c := ctx(t)
	red := holder(t, db, 0, 2)
	ch, err := db.RecordResult(c, lifeline.StatusUpdate{Doc: red.Doc, Color: lifeline.Red, ExternalID: "push-1",
		Test: &lifeline.TestResult{SampledAt: time.Now().Add(-2 * time.Hour), Result: lifeline.Positive, Site: "A"}})
	must(t, err)
	if ch.ResidentID != red.ID || !ch.Changed || ch.Color != lifeline.Red || ch.Revoked != 2 {
		t.Fatalf("red: %+v, want resident %d changed, red, 2 revoked", ch, red.ID)
	}
	if n := revokedCodes(t, db, red.ID, "red:push-1"); n != 2 {
		t.Fatalf("%d codes revoked, want 2", n)
	}
	if n := revokeAudits(t, db, red.ID); n != 1 {
		t.Fatalf("%d revoke entries in the audit log, want 1", n)
	}
	ch, err = db.RecordResult(c, lifeline.StatusUpdate{Doc: red.Doc, Color: lifeline.Red, ExternalID: "push-1"})
	must(t, err)
	if ch.Changed || ch.Revoked != 0 || ch.Color != lifeline.Red {
		t.Fatalf("retry: %+v, want unchanged, red, nothing revoked", ch)
	}
	if n := revokeAudits(t, db, red.ID); n != 1 {
		t.Fatalf("after a retry %d revoke entries, want still 1", n)
	}

	yellow := holder(t, db, 3, 1)
	ch, err = db.RecordResult(c, lifeline.StatusUpdate{ResidentID: yellow.ID, Color: lifeline.Yellow})
	must(t, err)
	if ch.Revoked != 0 || ch.Color != lifeline.Yellow || revokedCodes(t, db, yellow.ID, "") != 0 {
		t.Fatalf("yellow: %+v", ch)
	}
	now := time.Now()
	_, err = db.RecordResult(c, lifeline.StatusUpdate{ResidentID: yellow.ID, Color: lifeline.Green, At: now})
	must(t, err)
	ch, err = db.RecordResult(c, lifeline.StatusUpdate{ResidentID: yellow.ID, Color: lifeline.Red, At: now.Add(-time.Hour)})
	must(t, err)
	if ch.Changed || ch.Color != lifeline.Green || ch.Revoked != 0 || revokedCodes(t, db, yellow.ID, "") != 0 {
		t.Fatalf("a red older than the stored green: %+v, want green and nothing revoked", ch)
	}
}

// testImportRedRevokesCodes: an import follows the same rule in its own
// transaction: the residents it leaves red lose their codes, counted in
// its stats; red then green in one batch revokes nothing; a dry run and a
// failed import revoke nothing.
func testImportRedRevokesCodes(t *testing.T, db *store.DB) {
	c := ctx(t)
	a, b, d := holder(t, db, 0, 2), holder(t, db, 3, 1), holder(t, db, 6, 3)
	redA := lifeline.StatusUpdate{Doc: a.Doc, Color: lifeline.Red, ColorReason: "密接"}
	batch := &lifeline.ImportBatch{Updates: []lifeline.StatusUpdate{
		redA,
		{Doc: b.Doc, Color: lifeline.Red},
		{Doc: b.Doc, Color: lifeline.Green, At: time.Now().Add(time.Minute)}, // green again, later: keeps its card
		{Doc: d.Doc, Color: lifeline.Yellow},
	}}

	batch.DryRun = true
	st, err := db.Import(c, batch)
	must(t, err)
	if st.Revoked != 2 || revokedCodes(t, db, a.ID, "") != 0 {
		t.Fatalf("dry run: %+v, %d revoked; want 2 counted and none revoked", st, revokedCodes(t, db, a.ID, ""))
	}
	bad := &lifeline.ImportBatch{Updates: []lifeline.StatusUpdate{redA, {Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: synth.ID(99)}, Color: lifeline.Red}}}
	_, err = db.Import(c, bad)
	wantCode(t, err, lifeline.ENOTFOUND)
	if n := revokedCodes(t, db, a.ID, ""); n != 0 {
		t.Fatalf("a failed import revoked %d codes", n)
	}

	batch.DryRun = false
	st, err = db.Import(c, batch)
	must(t, err)
	if st.Revoked != 2 {
		t.Fatalf("import: %+v, want 2 revoked", st)
	}
	if n := revokedCodes(t, db, a.ID, "red"); n != 2 {
		t.Fatalf("%d of the red resident's codes revoked, want 2", n)
	}
	if n := revokedCodes(t, db, b.ID, ""); n != 0 {
		t.Fatalf("red then green in one import revoked %d codes", n)
	}
	if n := revokedCodes(t, db, d.ID, ""); n != 0 {
		t.Fatalf("yellow revoked %d codes", n)
	}
	if revokeAudits(t, db, a.ID) != 1 || revokeAudits(t, db, b.ID) != 0 {
		t.Fatal("revocations not audited once per resident who lost codes")
	}
	st, err = db.Import(c, batch)
	must(t, err)
	if st.Revoked != 0 {
		t.Fatalf("the same import again revoked %d codes", st.Revoked)
	}
}
