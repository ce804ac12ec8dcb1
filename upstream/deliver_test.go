package upstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/internal/pgtest"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/upstream"
)

// eachStore runs fn with a function opening handles on one fresh SQLite
// file and, when LIFELINE_TEST_POSTGRES is set, one fresh PostgreSQL schema:
// several handles on one database are several replicas.
func eachStore(t *testing.T, fn func(t *testing.T, open func() *store.DB)) {
	run := func(t *testing.T, dsn func() string) {
		var once sync.Once
		var d string
		fn(t, func() *store.DB {
			once.Do(func() { d = dsn() })
			db, err := store.Open(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		})
	}
	t.Run("sqlite", func(t *testing.T) { run(t, func() string { return filepath.Join(t.TempDir(), "l.db") }) })
	t.Run("postgres", func(t *testing.T) { run(t, func() string { return pgtest.DSN(t) }) })
}

// platform is a fake city platform: it fails the first failN requests with
// 503, then accepts, answering 409 for an idempotency key it already has,
// and remembers the order keys first arrived in.
type platform struct {
	mu       sync.Mutex
	failN    int
	status   int // answer while failing
	token    string
	calls    int
	arrived  []string
	seen     map[string]int
	payloads map[string]upstream.Payload
	badAuth  int
}

func newPlatform(failN int) *platform {
	return &platform{failN: failN, status: http.StatusServiceUnavailable, token: "s3cret", seen: map[string]int{}, payloads: map[string]upstream.Payload{}}
}

func (p *platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if r.Header.Get("Authorization") != "Bearer "+p.token {
		p.badAuth++
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	if p.calls <= p.failN {
		http.Error(w, "platform overloaded", p.status)
		return
	}
	var body upstream.Payload
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" || key != body.IdempotencyKey {
		http.Error(w, "idempotency key header and field differ", http.StatusBadRequest)
		return
	}
	p.seen[key]++
	if p.seen[key] > 1 {
		http.Error(w, "already have it", http.StatusConflict)
		return
	}
	p.arrived = append(p.arrived, key)
	p.payloads[key] = body
	w.WriteHeader(http.StatusCreated)
}

func (p *platform) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// seed stores one resident and n registrations and returns their keys in
// the order they were made.
func seed(t *testing.T, db *store.DB, n int) []string {
	t.Helper()
	ctx := context.Background()
	res := &lifeline.Resident{Name: "王秀英", Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: "11010519491231002X"},
		Phones: []string{"+8613812345678"}, Address: lifeline.Address{Community: "幸福社区", Building: "12", Unit: "3", Room: "501"}}
	if err := db.CreateResident(ctx, res); err != nil {
		t.Fatal(err)
	}
	var keys []string
	base := time.Date(2022, 4, 9, 8, 0, 0, 0, time.Local)
	for i := range n {
		r := &lifeline.Registration{ResidentID: res.ID, Tube: fmt.Sprintf("T%06d", i), Site: "幸福社区 3 号点",
			SampledAt: base.Add(time.Duration(i) * time.Minute), Staff: "wang", IdempotencyKey: fmt.Sprintf("reg-%03d", i)}
		if err := db.CreateRegistration(ctx, r); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, r.IdempotencyKey)
	}
	return keys
}

func backlog(t *testing.T, db *store.DB) int {
	t.Helper()
	n, _, err := db.RegistrationBacklog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDeliverOutageThenBack: the platform is down for the first requests;
// each pass stops at the first failure, and once the platform is back every
// registration arrives once, in the order made, with its resident.
func TestDeliverOutageThenBack(t *testing.T) {
	eachStore(t, func(t *testing.T, open func() *store.DB) {
		db := open()
		keys := seed(t, db, 12)
		p := newPlatform(5)
		srv := httptest.NewServer(p)
		defer srv.Close()
		d := &upstream.Deliverer{Store: db, URL: srv.URL, Token: "s3cret", Batch: 5}
		ctx := context.Background()
		for i := range 5 {
			n, err := d.DeliverPending(ctx)
			if err == nil || n != 0 {
				t.Fatalf("pass %d while down: n=%d err=%v, want a failure and nothing sent", i, n, err)
			}
		}
		if c := p.count(); c != 5 {
			t.Fatalf("platform saw %d calls during 5 failing passes, want 5 (the line stops at the first failure)", c)
		}
		pend, err := db.PendingRegistrations(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if pend[0].Attempts != 5 || pend[0].LastError == "" {
			t.Fatalf("first registration: attempts=%d last error %q, want 5 and the error", pend[0].Attempts, pend[0].LastError)
		}
		n, err := d.DeliverPending(ctx)
		if err != nil || n != len(keys) {
			t.Fatalf("pass after recovery: n=%d err=%v, want %d", n, err, len(keys))
		}
		p.mu.Lock()
		arrived, first := fmt.Sprint(p.arrived), p.payloads[keys[0]]
		p.mu.Unlock()
		if arrived != fmt.Sprint(keys) {
			t.Fatalf("arrived %v, want %v", arrived, keys)
		}
		if got := backlog(t, db); got != 0 {
			t.Fatalf("backlog %d after delivery", got)
		}
		if first.Resident.DocNumber != "11010519491231002X" || first.Resident.Name != "王秀英" || first.Tube != "T000000" || first.SampledAt.IsZero() {
			t.Fatalf("payload missing fields: %+v", first)
		}
		// Nothing is sent twice.
		if n, err := d.DeliverPending(ctx); n != 0 || err != nil {
			t.Fatalf("pass with nothing pending: n=%d err=%v", n, err)
		}
	})
}

// TestDeliverConflictMeansDelivered: the platform already has the key (a
// retry after our answer was lost); 409 marks it delivered.
func TestDeliverConflictMeansDelivered(t *testing.T) {
	db := openSQLite(t)
	keys := seed(t, db, 3)
	p := newPlatform(0)
	p.seen[keys[0]] = 1
	srv := httptest.NewServer(p)
	defer srv.Close()
	d := &upstream.Deliverer{Store: db, URL: srv.URL, Token: "s3cret"}
	if n, err := d.DeliverPending(context.Background()); n != 3 || err != nil {
		t.Fatalf("n=%d err=%v, want 3 delivered", n, err)
	}
	if backlog(t, db) != 0 {
		t.Fatal("a 409 left the registration pending")
	}
}

// TestDeliverRejectedStopsTheLine: a registration the platform refuses is
// not skipped: later ones wait behind it, and the error is kept for staff.
func TestDeliverRejectedStopsTheLine(t *testing.T) {
	db := openSQLite(t)
	seed(t, db, 3)
	srv := httptest.NewServer(newPlatform(0))
	defer srv.Close()
	d := &upstream.Deliverer{Store: db, URL: srv.URL, Token: "wrong"}
	n, err := d.DeliverPending(context.Background())
	var se *upstream.StatusError
	if n != 0 || !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
		t.Fatalf("n=%d err=%v, want a 401 StatusError and nothing sent", n, err)
	}
	if backlog(t, db) != 3 {
		t.Fatal("registrations were dropped after a refusal")
	}
}

// TestDeliverConnectionRefused: the platform's address answers nothing.
func TestDeliverConnectionRefused(t *testing.T) {
	db := openSQLite(t)
	seed(t, db, 2)
	srv := httptest.NewServer(newPlatform(0))
	url := srv.URL
	srv.Close()
	d := &upstream.Deliverer{Store: db, URL: url, Token: "s3cret"}
	if n, err := d.DeliverPending(context.Background()); n != 0 || err == nil {
		t.Fatalf("n=%d err=%v, want a connection error", n, err)
	}
	if backlog(t, db) != 2 {
		t.Fatal("registrations were dropped while the platform was unreachable")
	}
}

// TestTwoReplicasDeliverOnce runs two deliverers on one database against a
// platform that is down for a while: together they deliver each
// registration exactly once, in order.
func TestTwoReplicasDeliverOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, open func() *store.DB) {
		a, b := open(), open()
		keys := seed(t, a, 40)
		p := newPlatform(7)
		srv := httptest.NewServer(p)
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for i, db := range []*store.DB{a, b} {
			d := &upstream.Deliverer{Store: db, URL: srv.URL, Token: "s3cret", Holder: fmt.Sprintf("replica-%d", i),
				Batch: 7, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Idle: time.Millisecond}
			wg.Add(1)
			go func() { defer wg.Done(); d.Run(ctx) }()
		}
		deadline := time.Now().Add(30 * time.Second)
		for backlog(t, a) > 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond) // polling a condition, not waiting for time to pass
		}
		cancel()
		wg.Wait()
		p.mu.Lock()
		defer p.mu.Unlock()
		if fmt.Sprint(p.arrived) != fmt.Sprint(keys) {
			t.Fatalf("arrived %v\nwant    %v", p.arrived, keys)
		}
		for k, n := range p.seen {
			if n != 1 {
				t.Errorf("%s sent %d times", k, n)
			}
		}
	})
}

func openSQLite(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
