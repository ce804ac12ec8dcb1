package storetest

import (
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
)

func init() {
	register("lists/revocation_versions", testRevocationVersions)
	register("lists/trust_versions", testTrustVersions)
	register("lists/red_rule_is_a_change", testRedRuleIsAChange)
}

// revokedIn returns the serials a version of the revocation list holds.
func revokedIn(t *testing.T, db *store.DB, v lifeline.RevocationVersion) map[string]bool {
	out := map[string]bool{}
	must(t, db.EachRevokedIn(ctx(t), v, func(s []byte) error {
		out[string(s)] = true
		return nil
	}))
	return out
}

// A version is kept while nothing changes, cut anew by a revocation, a
// key cut-off or a code leaving the list a day after it expired, and each
// version keeps what it held.
func testRevocationVersions(t *testing.T, db *store.DB) {
	c := ctx(t)
	ids := codeResidents(t, db, 2)
	a, b, short := issued(t, ids[0], kidA, 0), issued(t, ids[1], kidA, 0), issued(t, ids[1], kidB, 0)
	short.ExpiresAt = codeT0.Add(2 * time.Hour)
	must(t, db.RecordIssued(c, []lifeline.IssuedCode{a, b, short}))
	now := codeT0.Add(time.Hour)

	v1, err := db.PublishRevocations(c, now)
	must(t, err)
	if v1.Version != 1 || len(revokedIn(t, db, v1)) != 0 {
		t.Fatalf("first version %+v", v1)
	}
	must(t, db.RevokeSerial(c, a.Serial, "lost", ""))
	must(t, db.RevokeSerial(c, short.Serial, "lost", ""))
	v2, err := db.PublishRevocations(c, now)
	must(t, err)
	if v2.Version != 2 || len(revokedIn(t, db, v2)) != 2 {
		t.Fatalf("after two revocations: %+v holding %d", v2, len(revokedIn(t, db, v2)))
	}
	// Nothing changed: the same version, whenever asked.
	again, err := db.PublishRevocations(c, now.Add(30*time.Minute))
	must(t, err)
	if again != v2 {
		t.Fatalf("nothing changed, yet %+v after %+v", again, v2)
	}
	// Revoking what is revoked, or a resident with nothing left to revoke,
	// is no change either.
	must(t, db.RevokeSerial(c, a.Serial, "again", ""))
	_, err = db.RevokeResident(c, ids[0], "red", "")
	must(t, err)
	if again, _ := db.PublishRevocations(c, now); again.Version != 2 {
		t.Fatalf("a revocation that changed nothing cut version %d", again.Version)
	}
	// A key cut-off is a change.
	_, err = db.RevokeKeyBefore(c, kidB, codeT0.Add(-time.Hour), "leak", "")
	must(t, err)
	v3, err := db.PublishRevocations(c, now)
	must(t, err)
	if v3.Version != 3 {
		t.Fatalf("after a cut-off: %+v", v3)
	}
	_, err = db.RevokeKeyBefore(c, kidB, codeT0.Add(-2*time.Hour), "earlier", "")
	must(t, err)
	if again, _ := db.PublishRevocations(c, now); again.Version != 3 {
		t.Fatalf("an earlier cut-off, which changes nothing, cut version %d", again.Version)
	}

	// A day after the short code expired it leaves the list: a new
	// version, and the old ones still hold what they held.
	late := short.ExpiresAt.Add(lifeline.RevocationGrace + time.Second)
	v4, err := db.PublishRevocations(c, late)
	must(t, err)
	if v4.Version != 4 || len(revokedIn(t, db, v4)) != 1 || !revokedIn(t, db, v4)[string(a.Serial)] {
		t.Fatalf("after the short code left: %+v holding %d", v4, len(revokedIn(t, db, v4)))
	}
	old, err := db.RevocationVersion(c, 2)
	must(t, err)
	if old != v2 || len(revokedIn(t, db, old)) != 2 {
		t.Fatalf("version 2 now %+v holding %d", old, len(revokedIn(t, db, old)))
	}
	// A clock set back does not bring the code back.
	if back, _ := db.PublishRevocations(c, now); back != v4 {
		t.Fatalf("clock set back: %+v", back)
	}
	_, err = db.RevocationVersion(c, 99)
	wantCode(t, err, lifeline.ENOTFOUND)
}

func testTrustVersions(t *testing.T, db *store.DB) {
	for want := int64(1); want <= 3; want++ {
		got, err := db.NextTrustListVersion(ctx(t))
		must(t, err)
		if got != want {
			t.Fatalf("trust version %d, want %d", got, want)
		}
	}
}

// A resident turned red loses their codes in the transaction that stores
// the colour: that is a change of the revocation list like any other, so
// the next version holds the codes and the version before does not.
func testRedRuleIsAChange(t *testing.T, db *store.DB) {
	c := ctx(t)
	ids := codeResidents(t, db, 1)
	a := issued(t, ids[0], kidA, 0)
	must(t, db.RecordIssued(c, []lifeline.IssuedCode{a}))
	now := codeT0.Add(time.Hour)
	before, err := db.PublishRevocations(c, now)
	must(t, err)
	_, err = db.RecordResult(c, lifeline.StatusUpdate{ResidentID: ids[0], Color: lifeline.Red, At: now})
	must(t, err)
	after, err := db.PublishRevocations(c, now)
	must(t, err)
	if after.Version != before.Version+1 || !revokedIn(t, db, after)[string(a.Serial)] || len(revokedIn(t, db, before)) != 0 {
		t.Fatalf("versions %+v then %+v", before, after)
	}
}
