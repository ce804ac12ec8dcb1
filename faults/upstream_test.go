package faults

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/upstream"
)

// cityPlatform stands in for the city platform: it is down (503) for a
// stretch of requests, then flaky, deduplicates by idempotency key
// (answering 409 for a key it has) and records the order keys first
// arrived in.
type cityPlatform struct {
	mu      sync.Mutex
	downFor int
	calls   int
	arrived []string
	seen    map[string]int
}

func (p *cityPlatform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.calls <= p.downFor || rand.IntN(10) == 0 {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	var body upstream.Payload
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.IdempotencyKey != r.Header.Get("Idempotency-Key") {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	p.seen[body.IdempotencyKey]++
	if p.seen[body.IdempotencyKey] > 1 {
		w.WriteHeader(http.StatusConflict)
		return
	}
	p.arrived = append(p.arrived, body.IdempotencyKey)
	w.WriteHeader(http.StatusCreated)
}

// TestKillDuringUpstreamDelivery: the platform is down, then back and
// flaky, while the delivering process is killed again and again. In the
// end every registration has arrived once, in the order made, and none is
// left waiting.
func TestKillDuringUpstreamDelivery(t *testing.T) {
	n := kills(t)
	path := filepath.Join(t.TempDir(), "lifeline.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res := &lifeline.Resident{Name: "李建国", Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: "110105194912310011"}}
	if err := db.CreateResident(ctx, res); err != nil {
		t.Fatal(err)
	}
	// The backlog is kept up: whenever the deliverer has nearly caught up,
	// more registrations are made, so every kill lands mid-delivery however
	// fast the machine is.
	var keys []string
	refill := func() {
		if left, _, err := db.RegistrationBacklog(ctx); err != nil || left > 200 {
			return
		}
		for range 600 {
			r := &lifeline.Registration{ResidentID: res.ID, Tube: fmt.Sprintf("T%05d", len(keys)), SampledAt: time.Now(), IdempotencyKey: regKey(len(keys))}
			if err := db.CreateRegistration(ctx, r); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, r.IdempotencyKey)
		}
	}
	refill()
	p := &cityPlatform{downFor: 50, seen: map[string]int{}}
	srv := httptest.NewServer(p)
	defer srv.Close()
	env := []string{"FAULTS_DB=" + path, "FAULTS_URL=" + srv.URL}

	midway := 0
	for i := range n {
		refill()
		c := start(t, child("deliver", env...))
		c.waitReady(t)
		c.killAfter(t, randDelay(time.Millisecond, 150*time.Millisecond))
		checkSQLite(t, path).Close()
		p.mu.Lock()
		for k, c := range p.seen {
			if c > 1+n {
				t.Fatalf("kill %d: %s sent %d times", i, k, c)
			}
		}
		p.mu.Unlock()
		if left, _, _ := db.RegistrationBacklog(ctx); left > 0 {
			midway++
		}
	}
	if midway < n/2 {
		t.Fatalf("only %d of %d kills hit the deliverer with registrations waiting; the test is not testing", midway, n)
	}
	// The last run is left to finish.
	c := start(t, child("deliver", env...))
	c.waitReady(t)
	deadline := time.Now().Add(60 * time.Second)
	for {
		left, _, err := db.RegistrationBacklog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			c.killAfter(t, 0)
			t.Fatalf("%d registrations still waiting after 60 s\n%s", left, c.errText())
		}
		time.Sleep(20 * time.Millisecond) // polling the store, not waiting for time to pass
	}
	c.killAfter(t, 0)
	p.mu.Lock()
	defer p.mu.Unlock()
	if fmt.Sprint(p.arrived) != fmt.Sprint(keys) {
		t.Fatalf("the platform got %d registrations, want %d in order\ngot  %v\nwant %v", len(p.arrived), len(keys), p.arrived, keys)
	}
	resent := 0
	for _, c := range p.seen {
		resent += c - 1
	}
	t.Logf("%d kills (%d with registrations waiting), %d requests, %d registrations arrived once each in order, %d resent after a kill and answered 409", n, midway, p.calls, len(p.arrived), resent)
}
