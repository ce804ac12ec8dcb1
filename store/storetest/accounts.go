package storetest

import (
	"strings"
	"sync"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

func init() {
	register("staff/accounts", testStaff)
	register("staff/lifecycle", testStaffLifecycle)
	register("staff/login_failures", testLoginFailures)
	register("staff/keys", testStaffKeys)
	register("audit/log", testAudit)
	register("registrations/lifecycle", testRegistrations)
	register("printqueue/one_open", testPrintQueue)
	register("concurrency/readers_and_writers", testConcurrency)
}

func testStaff(t *testing.T, db *store.DB) {
	c := ctx(t)
	rs := roster(t, db, 1)
	community := rs[0].Address.Community
	s := lifeline.Staff{User: " wang ", Community: community, PasswordHash: "$2a$x"}
	must(t, db.CreateStaff(c, &s))
	if s.ID == 0 || s.Role != lifeline.RoleStaff || s.User != "wang" {
		t.Fatalf("%+v", s)
	}
	wantCode(t, db.CreateStaff(c, &lifeline.Staff{User: "wang", Role: lifeline.RoleAdmin}), lifeline.ECONFLICT)
	wantCode(t, db.CreateStaff(c, &lifeline.Staff{User: "x", Role: "root"}), lifeline.EINVALID)
	for _, bad := range []string{"", "wang fang", "wang[32m", "li@host", "a:b", "王‮芳", strings.Repeat("x", lifeline.MaxUserNameLen+1)} {
		wantCode(t, db.CreateStaff(c, &lifeline.Staff{User: bad, Role: lifeline.RoleAdmin}), lifeline.EINVALID)
	}
	// The community must exist: a misspelt one would give a worker who
	// sees nobody.
	err := db.CreateStaff(c, &lifeline.Staff{User: "li", Community: community + "x"})
	wantCode(t, err, lifeline.EINVALID)
	if !strings.Contains(lifeline.ErrorMessage(err, lifeline.En), community) {
		t.Errorf("%q does not name the communities there are", lifeline.ErrorMessage(err, lifeline.En))
	}
	wantCode(t, db.CreateStaff(c, &lifeline.Staff{User: "li"}), lifeline.EINVALID)
	got, err := db.StaffByUser(c, "wang")
	must(t, err)
	if got.Community != community || got.PasswordHash != "$2a$x" || !got.Active() {
		t.Fatalf("%+v", got)
	}
	_, err = db.StaffByUser(c, "nobody")
	wantCode(t, err, lifeline.ENOTFOUND)
	// staff add's entry is written with the account, attributed to the
	// actor.
	if log := auditOf(t, db, "staff_add"); len(log) != 1 || log[0].Actor != "staff:test" || !strings.HasPrefix(log[0].Detail, "wang staff") {
		t.Fatalf("staff_add audited as %+v", log)
	}
}

// testStaffLifecycle: disable, enable, password reset, remove; each
// audited, and a removed name never comes back.
func testStaffLifecycle(t *testing.T, db *store.DB) {
	c := lifeline.WithActor(t.Context(), lifeline.Actor{User: "cli:root", Place: "cli", Note: "李主任"})
	must(t, db.CreateStaff(c, &lifeline.Staff{User: "boss", Role: lifeline.RoleAdmin, PasswordHash: "h0"}))
	must(t, db.SetStaffDisabled(c, "boss", true))
	got, err := db.StaffByUser(c, "boss")
	must(t, err)
	if got.Active() || got.DisabledAt.IsZero() {
		t.Fatalf("disabled: %+v", got)
	}
	must(t, db.SetStaffDisabled(c, "boss", false))
	if got, _ = db.StaffByUser(c, "boss"); !got.Active() {
		t.Fatalf("enabled: %+v", got)
	}
	now := time.Now()
	for i := 0; i < lifeline.MaxLoginFailures; i++ {
		_, err := db.RecordLoginFailure(c, "boss", "console a", "wrong password", now)
		must(t, err)
	}
	must(t, db.SetStaffPassword(c, "boss", "h1"))
	if got, _ = db.StaffByUser(c, "boss"); got.PasswordHash != "h1" {
		t.Fatalf("password not reset: %+v", got)
	}
	if st, _ := db.LoginState(c, "boss", "console a", now); st.Locked(now) {
		t.Fatalf("a password reset leaves the lock: %+v", st)
	}
	k := lifeline.StaffKey{User: "boss", Fingerprint: "SHA256:k1", PublicKey: "ssh-ed25519 AAAA1"}
	must(t, db.AddStaffKey(c, &k))
	must(t, db.RemoveStaff(c, "boss"))
	_, err = db.StaffByUser(c, "boss")
	wantCode(t, err, lifeline.ENOTFOUND)
	_, _, err = db.StaffByKey(c, "SHA256:k1")
	wantCode(t, err, lifeline.ENOTFOUND)
	wantCode(t, db.CreateStaff(c, &lifeline.Staff{User: "boss", Role: lifeline.RoleAdmin, PasswordHash: "h2"}), lifeline.ECONFLICT)
	for _, err := range []error{db.RemoveStaff(c, "boss"), db.SetStaffDisabled(c, "boss", true), db.SetStaffPassword(c, "boss", "h3"), db.SetStaffDisabled(c, "nobody", true)} {
		wantCode(t, err, lifeline.ENOTFOUND)
	}
	list, err := db.StaffList(c)
	must(t, err)
	if len(list) != 1 || list[0].RemovedAt.IsZero() || list[0].PasswordHash != "" || list[0].Keys != 0 {
		t.Fatalf("list after remove: %+v", list)
	}
	for _, action := range []string{"staff_add", "staff_disable", "staff_enable", "staff_password", "staff_key_add", "staff_remove"} {
		log := auditOf(t, db, action)
		if len(log) != 1 || log[0].Actor != "cli:root" || log[0].Place != "cli" || log[0].Note != "李主任" || !strings.HasPrefix(log[0].Detail, "boss") {
			t.Errorf("%s audited as %+v", action, log)
		}
	}
}

// testLoginFailures: failures count per user name and place, lock by
// lifeline.LoginState.Fail, are forgotten after a day, and are audited
// with the place.
func testLoginFailures(t *testing.T, db *store.DB) {
	c := lifeline.WithActor(t.Context(), lifeline.Actor{Place: "ssh 10.0.0.5:40000 session ab12"})
	must(t, db.CreateStaff(c, &lifeline.Staff{User: "wang", Role: lifeline.RoleAdmin, PasswordHash: "h"}))
	now := time.Date(2022, 4, 9, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	var st lifeline.LoginState
	var err error
	for i := 0; i < lifeline.MaxLoginFailures; i++ {
		st, err = db.RecordLoginFailure(c, "wang", "ssh 10.0.0.5", "wrong password", now)
		must(t, err)
	}
	if !st.Locked(now) || st.Locks != 1 || !st.LockedUntil.Equal(now.Add(lifeline.LockFor(1))) {
		t.Fatalf("after %d failures: %+v", lifeline.MaxLoginFailures, st)
	}
	if other, _ := db.LoginState(c, "wang", "console desk", now); other.Locked(now) || other.Failures != 0 {
		t.Fatalf("locked at another place: %+v", other)
	}
	if got, _ := db.LoginState(c, "wang", "ssh 10.0.0.5", now); !got.Locked(now) {
		t.Fatalf("state read back %+v", got)
	}
	// A name no account has counts the same.
	for i := 0; i < lifeline.MaxLoginFailures; i++ {
		st, err = db.RecordLoginFailure(c, "ghost", "ssh 10.0.0.5", "wrong password", now)
		must(t, err)
	}
	if !st.Locked(now) {
		t.Fatalf("an unknown name is not locked: %+v", st)
	}
	list, err := db.StaffList(c)
	must(t, err)
	if len(list) != 1 || list[0].LockedPlaces != 1 {
		t.Fatalf("list: %+v", list)
	}
	failed := auditOf(t, db, "login_failed")
	if len(failed) != 2*lifeline.MaxLoginFailures || failed[0].Place != "ssh 10.0.0.5:40000 session ab12" || failed[0].Detail != "unknown user name: wrong password" {
		t.Fatalf("failures audited as %+v", failed[:1])
	}
	if locked := auditOf(t, db, "login_locked"); len(locked) != 2 {
		t.Fatalf("locks audited as %+v", locked)
	}
	// A day after the last failure, and the lock long over, it starts
	// afresh.
	later := now.Add(lifeline.LoginForget + time.Minute)
	if got, _ := db.LoginState(c, "wang", "ssh 10.0.0.5", later); got != (lifeline.LoginState{}) {
		t.Fatalf("a day later: %+v", got)
	}
	must(t, db.RecordLogin(c, "wang", "ssh 10.0.0.5", "key SHA256:x"))
	if got, _ := db.LoginState(c, "wang", "ssh 10.0.0.5", now); got != (lifeline.LoginState{}) {
		t.Fatalf("after a login: %+v", got)
	}
	if log := auditOf(t, db, "login"); len(log) != 1 || log[0].Actor != "staff:wang" || log[0].Detail != "key SHA256:x" {
		t.Fatalf("login audited as %+v", log)
	}
}

func testStaffKeys(t *testing.T, db *store.DB) {
	c := ctx(t)
	must(t, db.CreateStaff(c, &lifeline.Staff{User: "wang", Role: lifeline.RoleAdmin, PasswordHash: "h"}))
	must(t, db.CreateStaff(c, &lifeline.Staff{User: "li", Role: lifeline.RoleAdmin, PasswordHash: "h"}))
	k1 := lifeline.StaffKey{User: "wang", Fingerprint: "SHA256:one", PublicKey: "ssh-ed25519 AAAA1", Comment: "wang@laptop"}
	must(t, db.AddStaffKey(c, &k1))
	must(t, db.AddStaffKey(c, &lifeline.StaffKey{User: "wang", Fingerprint: "SHA256:two", PublicKey: "ssh-ed25519 AAAA2"}))
	wantCode(t, db.AddStaffKey(c, &lifeline.StaffKey{User: "li", Fingerprint: "SHA256:one", PublicKey: "ssh-ed25519 AAAA1"}), lifeline.ECONFLICT)
	wantCode(t, db.AddStaffKey(c, &lifeline.StaffKey{User: "nobody", Fingerprint: "SHA256:3", PublicKey: "x"}), lifeline.ENOTFOUND)
	keys, err := db.StaffKeys(c, "wang")
	must(t, err)
	if len(keys) != 2 || keys[0].Fingerprint != "SHA256:one" || keys[0].Comment != "wang@laptop" || keys[0].User != "wang" {
		t.Fatalf("keys %+v", keys)
	}
	s, k, err := db.StaffByKey(c, "SHA256:two")
	must(t, err)
	if s.User != "wang" || k.PublicKey != "ssh-ed25519 AAAA2" {
		t.Fatalf("by key: %+v %+v", s, k)
	}
	wantCode(t, db.RemoveStaffKey(c, "li", "SHA256:two"), lifeline.ENOTFOUND)
	must(t, db.RemoveStaffKey(c, "wang", "SHA256:two"))
	_, _, err = db.StaffByKey(c, "SHA256:two")
	wantCode(t, err, lifeline.ENOTFOUND)
}

// auditOf returns the audit log's entries with an action, newest first.
func auditOf(t *testing.T, db *store.DB, action string) []lifeline.AuditEntry {
	t.Helper()
	log, err := db.AuditLog(t.Context(), 0, 1<<20)
	must(t, err)
	var out []lifeline.AuditEntry
	for _, e := range log {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
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
