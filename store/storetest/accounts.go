package storetest

import (
	"sync"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

func init() {
	register("staff/accounts", testStaff)
	register("audit/log", testAudit)
	register("registrations/lifecycle", testRegistrations)
	register("printqueue/one_open", testPrintQueue)
	register("concurrency/readers_and_writers", testConcurrency)
}

func testStaff(t *testing.T, db *store.DB) {
	c := ctx(t)
	s := lifeline.Staff{User: "wang", Community: "社区1", PasswordHash: "$argon2id$x"}
	must(t, db.CreateStaff(c, &s))
	if s.ID == 0 || s.Role != lifeline.RoleStaff {
		t.Fatalf("%+v", s)
	}
	wantCode(t, db.CreateStaff(c, &lifeline.Staff{User: "wang", Role: lifeline.RoleAdmin}), lifeline.ECONFLICT)
	wantCode(t, db.CreateStaff(c, &lifeline.Staff{User: "x", Role: "root"}), lifeline.EINVALID)
	got, err := db.StaffByUser(c, "wang")
	must(t, err)
	if got.Community != "社区1" || got.PasswordHash != "$argon2id$x" || got.FailedLogins != 0 || !got.LockedUntil.IsZero() {
		t.Fatalf("%+v", got)
	}
	until := time.Date(2022, 4, 9, 9, 0, 0, 0, time.UTC)
	must(t, db.RecordLogin(c, "wang", 5, until))
	got, _ = db.StaffByUser(c, "wang")
	if got.FailedLogins != 5 || !got.LockedUntil.Equal(until) {
		t.Fatalf("after failures: %+v", got)
	}
	must(t, db.RecordLogin(c, "wang", 0, time.Time{}))
	got, _ = db.StaffByUser(c, "wang")
	if got.FailedLogins != 0 || !got.LockedUntil.IsZero() {
		t.Fatalf("after success: %+v", got)
	}
	_, err = db.StaffByUser(c, "nobody")
	wantCode(t, err, lifeline.ENOTFOUND)
	wantCode(t, db.RecordLogin(c, "nobody", 1, time.Time{}), lifeline.ENOTFOUND)
}

func testAudit(t *testing.T, db *store.DB) {
	c := ctx(t)
	// Times are kept to the millisecond, and on SQLite an import's entry
	// and a view's are in two files: two entries of one millisecond, one
	// in each, have no order. Here each entry gets a millisecond of its own.
	var mu sync.Mutex
	clock := time.Now()
	db.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Millisecond)
		return clock
	}
	rs := roster(t, db, 3)
	must(t, db.Audit(c, lifeline.AuditEntry{Action: "view", ResidentID: rs[1].ID, Detail: "screen"}))
	must(t, db.Audit(c, lifeline.AuditEntry{Action: "print", ResidentID: rs[1].ID, Actor: "staff:li"}))
	must(t, db.Audit(c, lifeline.AuditEntry{Action: "view", ResidentID: rs[2].ID}))
	log, err := db.AuditLog(c, rs[1].ID, 10)
	must(t, err)
	if len(log) != 2 || log[0].Action != "print" || log[0].Actor != "staff:li" || log[1].Actor != "staff:test" || log[1].At.IsZero() {
		t.Fatalf("log %+v", log)
	}
	all, err := db.AuditLog(c, 0, 2)
	must(t, err)
	if len(all) != 2 || all[0].ResidentID != rs[2].ID {
		t.Fatalf("all %+v", all)
	}
}

func testRegistrations(t *testing.T, db *store.DB) {
	c := ctx(t)
	rs := roster(t, db, 3)
	at := time.Date(2022, 1, 4, 7, 30, 0, 0, time.UTC)
	r1 := lifeline.Registration{ResidentID: rs[0].ID, Tube: "T0001", Site: "A", SampledAt: at}
	must(t, db.CreateRegistration(c, &r1))
	if r1.ID == 0 || len(r1.IdempotencyKey) != 32 || r1.Staff != "staff:test" {
		t.Fatalf("%+v", r1)
	}
	r2 := lifeline.Registration{ResidentID: rs[1].ID, Tube: "T0002", IdempotencyKey: "k-2"}
	must(t, db.CreateRegistration(c, &r2))
	retry := lifeline.Registration{ResidentID: rs[1].ID, Tube: "T0002", IdempotencyKey: "k-2"}
	must(t, db.CreateRegistration(c, &retry))
	if retry.ID != r2.ID {
		t.Fatalf("a retry made a second registration %d (first %d)", retry.ID, r2.ID)
	}
	wantCode(t, db.CreateRegistration(c, &lifeline.Registration{ResidentID: 4242, Tube: "T9"}), lifeline.ENOTFOUND)
	wantCode(t, db.CreateRegistration(c, &lifeline.Registration{ResidentID: rs[0].ID}), lifeline.EINVALID)

	n, oldest, err := db.RegistrationBacklog(c)
	must(t, err)
	if n != 2 || !oldest.Equal(r1.CreatedAt) {
		t.Fatalf("backlog %d %v, want 2 %v", n, oldest, r1.CreatedAt)
	}
	must(t, db.MarkRegistrationFailed(c, r1.ID, "upstream 503"))
	pending, err := db.PendingRegistrations(c, 10)
	must(t, err)
	if len(pending) != 2 || pending[0].ID != r1.ID || pending[0].Attempts != 1 || pending[0].LastError != "upstream 503" || !pending[0].SampledAt.Equal(at) {
		t.Fatalf("pending %+v", pending)
	}
	must(t, db.MarkRegistrationDelivered(c, r1.ID, at.Add(time.Hour)))
	pending, _ = db.PendingRegistrations(c, 10)
	if len(pending) != 1 || pending[0].ID != r2.ID {
		t.Fatalf("pending after delivery %+v", pending)
	}
	mine, err := db.ResidentRegistrations(c, rs[0].ID)
	must(t, err)
	if len(mine) != 1 || !mine[0].DeliveredAt.Equal(at.Add(time.Hour)) || mine[0].Attempts != 2 {
		t.Fatalf("resident registrations %+v", mine)
	}
	wantCode(t, db.MarkRegistrationFailed(c, 4242, "x"), lifeline.ENOTFOUND)
	must(t, db.MarkRegistrationDelivered(c, r2.ID, time.Time{}))
	if n, oldest, _ := db.RegistrationBacklog(c); n != 0 || !oldest.IsZero() {
		t.Fatalf("empty backlog %d %v", n, oldest)
	}
}

func testPrintQueue(t *testing.T, db *store.DB) {
	c := ctx(t)
	rs := roster(t, db, 3)
	far := synth.Resident(9000) // another community
	must(t, db.CreateResident(c, &far))
	p1 := lifeline.PrintRequest{ResidentID: rs[0].ID, Source: "sms"}
	must(t, db.RequestPrint(c, &p1))
	again := lifeline.PrintRequest{ResidentID: rs[0].ID, Source: "staff"}
	must(t, db.RequestPrint(c, &again))
	if again.ID != p1.ID || again.Source != "sms" {
		t.Fatalf("second open request: %+v, first %+v", again, p1)
	}
	p2 := lifeline.PrintRequest{ResidentID: far.ID}
	must(t, db.RequestPrint(c, &p2))
	wantCode(t, db.RequestPrint(c, &lifeline.PrintRequest{ResidentID: 4242}), lifeline.ENOTFOUND)

	q, err := db.PrintQueue(c, "")
	must(t, err)
	if len(q) != 2 {
		t.Fatalf("queue %+v", q)
	}
	q, _ = db.PrintQueue(c, far.Address.Community)
	if len(q) != 1 || q[0].ID != p2.ID {
		t.Fatalf("community queue %+v", q)
	}
	must(t, db.MarkPrinted(c, p1.ID, "staff:li"))
	must(t, db.MarkPrinted(c, p1.ID, "staff:li"))
	wantCode(t, db.MarkPrinted(c, 4242, "x"), lifeline.ENOTFOUND)
	q, _ = db.PrintQueue(c, "")
	if len(q) != 1 || q[0].ID != p2.ID {
		t.Fatalf("queue after printing %+v", q)
	}
	// Once printed, a new request opens again.
	p3 := lifeline.PrintRequest{ResidentID: rs[0].ID, Source: "sms"}
	must(t, db.RequestPrint(c, &p3))
	if p3.ID == p1.ID {
		t.Fatal("a printed request was reopened instead of a new one")
	}
}

// testConcurrency runs importers, status writers and searchers at once on
// one store: every write lands, no reader fails.
func testConcurrency(t *testing.T, db *store.DB) {
	c := ctx(t)
	const writers, readers, per = 4, 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*per+readers*per*2)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range per {
				i := w*per + k
				b := &lifeline.ImportBatch{Residents: synth.Residents(i*3, 3)}
				b.Updates = []lifeline.StatusUpdate{{Doc: b.Residents[0].Doc, Color: lifeline.Green}}
				if _, err := db.Import(c, b); err != nil {
					errs <- err
					return
				}
				if _, err := db.RecordResult(c, lifeline.StatusUpdate{Doc: b.Residents[1].Doc,
					Test: &lifeline.TestResult{SampledAt: time.Unix(int64(1650000000+i), 0), Result: lifeline.Negative}}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range per {
				i := (r*per + k) * 3
				for _, q := range []string{synth.Name(i), synth.ID(i)[14:], synth.Address(i).Short()} {
					if _, err := db.FindResidents(c, lifeline.ResidentFilter{Query: q}); err != nil {
						errs <- err
						return
					}
				}
				err := db.EachResident(c, lifeline.ResidentFilter{Building: "1"}, func(*lifeline.Resident) error { return nil })
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	n, err := db.CountResidents(c)
	must(t, err)
	if n != writers*per*3 {
		t.Fatalf("%d residents, want %d", n, writers*per*3)
	}
	results, finds := count(t, db, "SELECT count(*) FROM test_results"), audited(t, db, "find")
	if results != writers*per || finds != readers*per*3 {
		t.Fatalf("%d results (want %d), %d audited finds (want %d)", results, writers*per, finds, readers*per*3)
	}
}
