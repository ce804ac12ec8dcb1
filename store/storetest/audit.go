package storetest

import (
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
)

func init() {
	register("audit/written_with_the_change", testAuditWithTheChange)
	register("audit/failure_fails_the_change", testAuditFailureFailsTheChange)
}

// entries returns the audit log's entries about one resident with an
// action, newest first.
func entries(t *testing.T, db *store.DB, residentID int64, action string) []lifeline.AuditEntry {
	t.Helper()
	log, err := db.AuditLog(ctx(t), residentID, 1000)
	must(t, err)
	var out []lifeline.AuditEntry
	for _, e := range log {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// wantEntry fails the test unless the audit log holds exactly one entry
// about a resident with the action, by the actor, saying detail.
func wantEntry(t *testing.T, db *store.DB, residentID int64, action, actor, detail string) {
	t.Helper()
	es := entries(t, db, residentID, action)
	if len(es) != 1 || es[0].Actor != actor || es[0].Detail != detail {
		t.Fatalf("%s entries about resident %d: %+v; want one by %s: %q", action, residentID, es, actor, detail)
	}
}

// A registration, a link, a review, a view and a reveal each write their
// audit entry themselves, once: a retried registration or a link made
// again changes nothing and writes nothing.
func testAuditWithTheChange(t *testing.T, db *store.DB) {
	c := ctx(t)
	rs := roster(t, db, 2)
	reg := lifeline.Registration{ResidentID: rs[0].ID, Tube: "T0001", IdempotencyKey: "k-1"}
	must(t, db.CreateRegistration(c, &reg))
	retry := reg
	must(t, db.CreateRegistration(c, &retry))
	wantEntry(t, db, rs[0].ID, "register", "staff:test", "tube T0001")

	link := lifeline.Relative{ResidentID: rs[1].ID, Phone: "13900000009", Relation: "子女"}
	must(t, db.LinkRelative(c, &link))
	again := lifeline.Relative{ResidentID: rs[1].ID, Phone: "13900000009", Relation: "子女"}
	must(t, db.LinkRelative(c, &again))
	wantEntry(t, db, rs[1].ID, "link", "staff:test", "子女 pending")

	must(t, db.ReviewRelative(c, link.ID, false, "not family", "staff:boss"))
	wantEntry(t, db, rs[1].ID, "review", "staff:boss", "rejected: not family")

	if r, err := db.ViewResident(c, rs[0].ID); err != nil || r.ID != rs[0].ID {
		t.Fatalf("ViewResident: %v", err)
	}
	wantEntry(t, db, rs[0].ID, "view", "staff:test", "")
	if r, err := db.RevealResident(c, rs[0].ID); err != nil || r.Doc.Number != rs[0].Doc.Number {
		t.Fatalf("RevealResident: %v", err)
	}
	wantEntry(t, db, rs[0].ID, "reveal", "staff:test", "document and phone")
}

// refuseAudit makes every audit entry written from now on fail, wherever
// the store keeps them (on SQLite the store's file and its log file), as
// a full disk or a broken log would.
func refuseAudit(t *testing.T, db *store.DB) {
	t.Helper()
	addr := addrOf(t, db)
	if store.IsPostgres(addr) {
		c := openRaw(t, addr)
		for _, q := range []string{
			`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$`,
			`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()`,
		} {
			if _, err := c.ExecContext(t.Context(), q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		return
	}
	for _, file := range []string{addr, store.LogPath(addr)} {
		q := `CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit refused'); END`
		if _, err := openRaw(t, file).ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %s: %v", file, q, err)
		}
	}
}

// When the audit entry cannot be written, the change it records is not
// made either: no registration, no link, no review; and a view or reveal
// returns nobody.
func testAuditFailureFailsTheChange(t *testing.T, db *store.DB) {
	c := ctx(t)
	rs := roster(t, db, 2)
	pending := lifeline.Relative{ResidentID: rs[1].ID, Phone: "13900000008", Relation: "子女"}
	must(t, db.LinkRelative(c, &pending))
	refuseAudit(t, db)

	if err := db.CreateRegistration(c, &lifeline.Registration{ResidentID: rs[0].ID, Tube: "T0001"}); err == nil {
		t.Error("a registration was stored without its audit entry")
	}
	if regs, err := db.ResidentRegistrations(c, rs[0].ID); err != nil || len(regs) != 0 {
		t.Errorf("after the failed registration: %d stored, %v", len(regs), err)
	}
	if err := db.LinkRelative(c, &lifeline.Relative{ResidentID: rs[0].ID, Phone: "13900000007", Relation: "子女"}); err == nil {
		t.Error("a link was stored without its audit entry")
	}
	if links, err := db.Relatives(c, rs[0].ID); err != nil || len(links) != 0 {
		t.Errorf("after the failed link: %d stored, %v", len(links), err)
	}
	if err := db.ReviewRelative(c, pending.ID, true, "", "staff:li"); err == nil {
		t.Error("a review was stored without its audit entry")
	}
	if links, err := db.Relatives(c, rs[1].ID); err != nil || len(links) != 1 || links[0].State != lifeline.ReviewPending {
		t.Errorf("after the failed review: %+v, %v; want it still pending", links, err)
	}
	for name, read := range map[string]func() (*lifeline.Resident, error){
		"ViewResident":   func() (*lifeline.Resident, error) { return db.ViewResident(c, rs[0].ID) },
		"RevealResident": func() (*lifeline.Resident, error) { return db.RevealResident(c, rs[0].ID) },
	} {
		if r, err := read(); err == nil || r != nil {
			t.Errorf("%s without its audit entry: %v, %v", name, r, err)
		}
	}
}
