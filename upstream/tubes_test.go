package upstream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/upstream"
)

// tubePlatform is a city platform that takes registrations and tubes,
// deduplicating by idempotency key; the first request for a key in lose
// is stored and then answered 503, as when the platform's answer is lost
// on the way back.
type tubePlatform struct {
	mu      sync.Mutex
	lose    map[string]bool
	seen    map[string]int
	arrived []string
	bodies  map[string]upstream.TubePayload
}

func (p *tubePlatform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var body upstream.TubePayload
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.IdempotencyKey != r.Header.Get("Idempotency-Key") {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	key := body.IdempotencyKey
	p.seen[key]++
	if p.seen[key] > 1 {
		http.Error(w, "already have it", http.StatusConflict)
		return
	}
	p.arrived = append(p.arrived, key)
	p.bodies[key] = body
	if p.lose[key] {
		http.Error(w, "answer lost", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// people stores n residents of 幸福里, building 1, with phones, and a round
// of them that began an hour before now.
func people(t *testing.T, db *store.DB, n int) ([]*lifeline.Resident, *lifeline.Round) {
	t.Helper()
	ctx := context.Background()
	var rs []*lifeline.Resident
	for i := range n {
		first17 := fmt.Sprintf("110105195001%02d%03d", i+1, 100+i)
		c, _ := lifeline.MainlandIDCheckDigit(first17)
		r := &lifeline.Resident{Name: fmt.Sprintf("居民%c", '甲'+rune(i)), Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: first17 + string(c)},
			Phones: []string{fmt.Sprintf("+861380000%04d", i)}, Address: lifeline.Address{Community: "幸福里", Building: "1", Unit: "1", Room: fmt.Sprintf("%d01", i+1)}}
		if err := db.CreateResident(ctx, r); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	round := &lifeline.Round{Community: "幸福里", Pool: 10, StartsAt: db.Now().Add(-time.Hour), DueAt: db.Now().Add(8 * time.Hour)}
	if err := db.CreateRound(ctx, round); err != nil {
		t.Fatal(err)
	}
	return rs, round
}

// fillTube opens a tube, adds the residents and closes it.
func fillTube(t *testing.T, db *store.DB, round *lifeline.Round, code string, who ...*lifeline.Resident) *lifeline.Tube {
	t.Helper()
	ctx := context.Background()
	tube := &lifeline.Tube{RoundID: round.ID, Code: code, Site: "1号点"}
	if err := db.OpenTube(ctx, tube); err != nil {
		t.Fatal(err)
	}
	for _, r := range who {
		if _, err := db.AddToTube(ctx, tube.ID, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	closed, err := db.CloseTube(ctx, tube.ID)
	if err != nil {
		t.Fatal(err)
	}
	return closed
}

// TestDeliverTubesInOrder: registrations alone and closed tubes go up in
// the order they were made or closed, a tube as one message with its
// members; a tube whose acceptance was lost on the way back is sent again
// under its key and is one tube at the platform.
func TestDeliverTubesInOrder(t *testing.T) {
	eachStore(t, func(t *testing.T, open func() *store.DB) {
		db := open()
		clock := time.Date(2022, 4, 10, 8, 0, 0, 0, lifeline.ChinaTime)
		db.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
		rs, round := people(t, db, 5)
		ctx := context.Background()
		alone := func(r *lifeline.Resident, tube string) string {
			reg := &lifeline.Registration{ResidentID: r.ID, Tube: tube, Site: "1号点"}
			if err := db.CreateRegistration(ctx, reg); err != nil {
				t.Fatal(err)
			}
			return reg.IdempotencyKey
		}
		r1 := alone(rs[0], "S1")
		t1 := fillTube(t, db, round, "P1", rs[1], rs[2])
		r2 := alone(rs[3], "S2")
		t2 := fillTube(t, db, round, "P2", rs[4])
		p := &tubePlatform{lose: map[string]bool{t1.IdempotencyKey: true}, seen: map[string]int{}, bodies: map[string]upstream.TubePayload{}}
		srv := httptest.NewServer(p)
		defer srv.Close()
		d := &upstream.Deliverer{Store: db, URL: srv.URL, Batch: 1}
		if n, err := d.DeliverPending(ctx); n != 1 || err == nil {
			t.Fatalf("first pass: %d sent, %v; want 1 sent, then the tube's lost answer", n, err)
		}
		if n, err := d.DeliverPending(ctx); n != 3 || err != nil {
			t.Fatalf("second pass: %d sent, %v; want the tube again and the rest", n, err)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if want := []string{r1, t1.IdempotencyKey, r2, t2.IdempotencyKey}; !slices.Equal(p.arrived, want) {
			t.Fatalf("arrived %v, want %v", p.arrived, want)
		}
		if p.seen[t1.IdempotencyKey] != 2 {
			t.Fatalf("the tube was sent %d times, want 2 (once more after the lost answer)", p.seen[t1.IdempotencyKey])
		}
		body := p.bodies[t1.IdempotencyKey]
		if body.Kind != "tube" || body.Tube != "P1" || body.PoolSize != 10 || body.RoundID != round.ID || len(body.Members) != 2 ||
			body.Members[0].Resident.DocNumber != rs[1].Doc.Number || body.Members[1].Resident.Name != rs[2].Name || body.Members[0].SampledAt.IsZero() {
			t.Fatalf("tube payload %+v", body)
		}
		if n := backlog(t, db); n != 0 {
			t.Fatalf("backlog %d after delivery", n)
		}
		regs, err := db.ResidentRegistrations(ctx, rs[1].ID)
		if err != nil || len(regs) != 1 || regs[0].DeliveredAt.IsZero() {
			t.Fatalf("a swab of a delivered tube: %+v, %v", regs, err)
		}
	})
}

// TestResultsByTube: POST /api/v1/results with a tube instead of a
// resident: a negative tube is each member's negative, with the usual SMS;
// a positive pool each member's "pooled positive", with the retest SMS the
// store queues; the same results again change nothing and queue nothing
// more.
func TestResultsByTube(t *testing.T) {
	eachStore(t, func(t *testing.T, open func() *store.DB) {
		db := open()
		db.Now = func() time.Time { return time.Date(2022, 4, 10, 8, 30, 0, 0, time.UTC) }
		rs, round := people(t, db, 5)
		fillTube(t, db, round, "NEG-1", rs[0], rs[1])
		fillTube(t, db, round, "POS-1", rs[2], rs[3], rs[4])
		url := resultsServer(t, db, apiToken, nil)
		ctx := context.Background()
		neg := `{"result_id":"lab-7","tube":"NEG-1","test":{"sampled_at":"2022-04-10T08:00:00+08:00","result":"negative"}}`
		pos := `{"result_id":"lab-8","tube":"POS-1","test":{"result":"positive"}}`
		code, out := post(t, url, apiToken, neg)
		if code != http.StatusOK || out["result"] != "negative" || out["changed"] != true || out["messages_queued"] != 2.0 || len(out["resident_ids"].([]any)) != 2 {
			t.Fatalf("negative tube: %d %v", code, out)
		}
		code, out = post(t, url, apiToken, pos)
		if code != http.StatusOK || out["result"] != "pooled_positive" || out["messages_queued"] != 3.0 {
			t.Fatalf("positive pool: %d %v", code, out)
		}
		for i, want := range []lifeline.Result{lifeline.Negative, lifeline.Negative, lifeline.PooledPositive, lifeline.PooledPositive, lifeline.PooledPositive} {
			r, err := db.Resident(ctx, rs[i].ID)
			if err != nil || r.Status.Latest == nil || r.Status.Latest.Result != want || r.Status.Latest.Tube == "" {
				t.Fatalf("%s: %+v, %v; want %s", rs[i].Name, r.Status.Latest, err, want)
			}
		}
		depth, err := db.OutboxDepth(ctx)
		if err != nil || depth != 5 {
			t.Fatalf("outbox holds %d, %v; want 5 (2 results, 3 retests)", depth, err)
		}
		for _, body := range []string{neg, pos} {
			if code, out := post(t, url, apiToken, body); code != http.StatusOK || out["changed"] != false {
				t.Fatalf("again: %d %v", code, out)
			}
		}
		if depth, _ := db.OutboxDepth(ctx); depth != 5 {
			t.Fatalf("outbox holds %d after the retries, want still 5", depth)
		}
		ps, err := db.RoundProgress(ctx, round.ID)
		if err != nil || len(ps) != 1 || ps[0].Done != 2 || ps[0].PooledPositive != 3 {
			t.Fatalf("progress %+v, %v", ps, err)
		}
	})
}

func TestResultsByTubeRefused(t *testing.T) {
	db := openSQLite(t)
	url := resultsServer(t, db, apiToken, nil)
	for _, tc := range []struct {
		name, body, field string
		status            int
	}{
		{"tube and resident", `{"result_id":"r","tube":"T1","resident":{"id":1},"test":{"result":"negative"}}`, "tube", 400},
		{"tube and colour", `{"result_id":"r","tube":"T1","color":"red","test":{"result":"negative"}}`, "color", 400},
		{"tube without a test", `{"result_id":"r","tube":"T1"}`, "test", 400},
		{"pooled positive", `{"result_id":"r","tube":"T1","test":{"result":"pooled_positive"}}`, "test.result", 400},
		{"bad barcode", `{"result_id":"r","tube":"T 1","test":{"result":"negative"}}`, "tube", 400},
		{"unknown tube", `{"result_id":"r","tube":"T1","test":{"result":"negative"}}`, "tube", 404},
	} {
		code, out := post(t, url, apiToken, tc.body)
		if code != tc.status || errField(out, "field") != tc.field {
			t.Errorf("%s: %d %v, want %d naming %s", tc.name, code, out, tc.status, tc.field)
		}
	}
}
