package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/internal/pgtest"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

// msgClock is a settable clock for the outbox tests.
type msgClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *msgClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *msgClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// eachMessageStore runs fn on a fresh SQLite store and, when
// LIFELINE_TEST_POSTGRES is set, on a fresh PostgreSQL schema.
func eachMessageStore(t *testing.T, fn func(t *testing.T, db *store.DB, clock *msgClock)) {
	open := func(t *testing.T, dsn string) {
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		clock := &msgClock{t: time.Date(2022, 4, 9, 8, 0, 0, 0, time.UTC)}
		db.Now = clock.Now
		fn(t, db, clock)
	}
	t.Run("sqlite", func(t *testing.T) { open(t, filepath.Join(t.TempDir(), "l.db")) })
	t.Run("postgres", func(t *testing.T) { open(t, pgtest.DSN(t)) })
}

func TestInboundIsProcessedOnce(t *testing.T) {
	eachMessageStore(t, func(t *testing.T, db *store.DB, _ *msgClock) {
		ctx := context.Background()
		// Accepted, its answer owed: pending.
		m := &lifeline.InboundMessage{Sid: "SM1", From: "+8613800000001", Command: "code"}
		prev, first, err := db.BeginInbound(ctx, m)
		if err != nil || !first || prev != nil {
			t.Fatalf("first BeginInbound = %v, %v, %v", prev, first, err)
		}
		// A retry (even one that composed an answer of its own) finds it
		// pending and writes nothing.
		prev, first, err = db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: "SM1", From: "+8613800000001", State: lifeline.InboundInline, Reply: "mine"})
		if err != nil || first || prev == nil || prev.State != lifeline.InboundPending || prev.Reply != "" || prev.Command != "code" || prev.From != "+8613800000001" {
			t.Fatalf("retry of a pending message = %+v, %v, %v", prev, first, err)
		}
		if err := db.AnswerInbound(ctx, "SM1", lifeline.InboundOutbox, "reply one"); err != nil {
			t.Fatal(err)
		}
		// The first answer recorded wins.
		if err := db.AnswerInbound(ctx, "SM1", lifeline.InboundSilent, "reply two"); err != nil {
			t.Fatal(err)
		}
		prev, first, err = db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: "SM1", State: lifeline.InboundInline, Reply: "reply three"})
		if err != nil || first || prev.Reply != "reply one" || prev.State != lifeline.InboundOutbox {
			t.Fatalf("retry after the answer = %+v, %v, %v", prev, first, err)
		}
		// A reply given at once is stored at once, inline.
		if _, first, _ := db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: "SM2", From: "+8613800000002", State: lifeline.InboundInline, Reply: "now"}); !first {
			t.Fatal("SM2 not first")
		}
		prev, _, _ = db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: "SM2"})
		if prev.Reply != "now" || prev.State != lifeline.InboundInline {
			t.Fatalf("SM2 = %+v", prev)
		}
		// An inline record whose response was never sent goes back to the
		// queue, but only for its own sender.
		if ok, err := db.ReopenInbound(ctx, "SM2", "+8613800000009"); err != nil || ok {
			t.Fatalf("reopened for another sender: %v, %v", ok, err)
		}
		if prev, _, _ = db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: "SM2"}); prev.State != lifeline.InboundInline {
			t.Fatalf("reopened for another sender: %+v", prev)
		}
		if ok, err := db.ReopenInbound(ctx, "SM2", "+8613800000002"); err != nil || !ok {
			t.Fatalf("reopening: %v, %v", ok, err)
		}
		if prev, _, _ = db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: "SM2"}); prev.State != lifeline.InboundPending || prev.Reply != "" {
			t.Fatalf("reopened: %+v", prev)
		}
		// Reopened, its answer is the outbox's: a retry is given nothing.
		if reply, ok, err := db.ReplayInline(ctx, "SM2", "+8613800000002"); err != nil || ok || reply != "" {
			t.Fatalf("replaying a reopened message: %q, %v, %v", reply, ok, err)
		}
		// An inline answer given to a retry may have reached its sender:
		// it is never reopened after, and later retries get it again.
		if _, first, _ := db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: "SM3", From: "+8613800000003", State: lifeline.InboundInline, Reply: "three"}); !first {
			t.Fatal("SM3 not first")
		}
		if _, ok, err := db.ReplayInline(ctx, "SM3", "+8613800000009"); err != nil || ok {
			t.Fatalf("replayed to another sender: %v, %v", ok, err)
		}
		for range 2 {
			if reply, ok, err := db.ReplayInline(ctx, "SM3", "+8613800000003"); err != nil || !ok || reply != "three" {
				t.Fatalf("replaying: %q, %v, %v", reply, ok, err)
			}
		}
		if ok, err := db.ReopenInbound(ctx, "SM3", "+8613800000003"); err != nil || ok {
			t.Fatalf("reopened after a replay: %v, %v", ok, err)
		}
		if prev, _, _ = db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: "SM3"}); prev.State != lifeline.InboundInline || prev.Reply != "three" {
			t.Fatalf("SM3 after a replay and a reopen: %+v", prev)
		}
		if err := db.AnswerInbound(ctx, "SM2", lifeline.InboundPending, ""); lifeline.ErrorCode(err) != lifeline.EINVALID {
			t.Fatalf("answering with pending: %v", err)
		}
		if _, _, err := db.BeginInbound(ctx, &lifeline.InboundMessage{}); lifeline.ErrorCode(err) != lifeline.EINVALID {
			t.Fatalf("empty sid: %v", err)
		}
	})
}

// TestAnswerAll: the answerer's batch queues every answer once and
// records every message answered; repeated after a crash between the two
// (the answers queued, the messages still pending) it queues nothing more;
// a message answered before keeps its first answer; a batch with a bad
// answer writes nothing.
func TestAnswerAll(t *testing.T) {
	eachMessageStore(t, func(t *testing.T, db *store.DB, _ *msgClock) {
		ctx := context.Background()
		for i := range 3 {
			if _, first, err := db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: fmt.Sprintf("SMa%d", i), From: "+8613800000001", Command: "status"}); err != nil || !first {
				t.Fatalf("BeginInbound %d: %v %v", i, first, err)
			}
		}
		if err := db.AnswerInbound(ctx, "SMa2", lifeline.InboundSilent, ""); err != nil {
			t.Fatal(err)
		}
		answer := func(sid, body string) lifeline.InboundAnswer {
			return lifeline.InboundAnswer{Sid: sid, State: lifeline.InboundOutbox, Out: &lifeline.OutboxMessage{
				To: "+8613800000001", Body: body, Kind: lifeline.OutboxAnswer, DedupeKey: lifeline.AnswerKey(sid)}}
		}
		bad := []lifeline.InboundAnswer{answer("SMa0", "x"), {Sid: "SMa1", State: lifeline.InboundOutbox}}
		if err := db.AnswerAll(ctx, bad); lifeline.ErrorCode(err) != lifeline.EINVALID {
			t.Fatalf("a batch with an answer with no message: %v", err)
		}
		if b, _ := db.AnswerBacklog(ctx); b.Waiting != 2 || b.Pending != 2 {
			t.Fatalf("after a refused batch: %+v, want the two pending and nothing queued", b)
		}
		batch := []lifeline.InboundAnswer{answer("SMa0", "zero"), answer("SMa2", "late"), {Sid: "SMa1", State: lifeline.InboundSilent}}
		for range 2 {
			if err := db.AnswerAll(ctx, batch); err != nil {
				t.Fatal(err)
			}
		}
		// SMa2's late answer is queued (a crash could always leave one so),
		// but its record keeps the first answer: silent.
		if b, _ := db.AnswerBacklog(ctx); b.Pending != 0 || b.Waiting != 2 {
			t.Fatalf("after the batch, twice: %+v, want nothing pending and the two answers queued once", b)
		}
		for sid, want := range map[string]lifeline.InboundState{"SMa0": lifeline.InboundOutbox, "SMa1": lifeline.InboundSilent, "SMa2": lifeline.InboundSilent} {
			prev, _, _ := db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: sid})
			if prev == nil || prev.State != want {
				t.Fatalf("%s = %+v, want state %v", sid, prev, want)
			}
		}
		if prev, _, _ := db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: "SMa0"}); prev.Reply != "zero" {
			t.Fatalf("SMa0's reply = %q", prev.Reply)
		}
	})
}

// TestInboundQueue: pending messages are the answerer's queue, claimed
// oldest first under a lease, never by two claims at once, counted in the
// backlog with the answers queued in the outbox, and never pruned.
func TestInboundQueue(t *testing.T) {
	eachMessageStore(t, func(t *testing.T, db *store.DB, clock *msgClock) {
		ctx := context.Background()
		t0 := clock.Now()
		for i := range 5 {
			st, reply := lifeline.InboundPending, ""
			if i == 2 {
				st, reply = lifeline.InboundInline, "inline"
			}
			m := &lifeline.InboundMessage{Sid: fmt.Sprintf("SMq%d", i), From: "+8613800000001", Command: "status", State: st, Reply: reply, ReceivedAt: t0.Add(time.Duration(i) * time.Second)}
			if _, _, err := db.BeginInbound(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		b, err := db.AnswerBacklog(ctx)
		if err != nil || b.Waiting != 4 || !b.Oldest.Equal(t0) {
			t.Fatalf("backlog = %+v, %v; want 4 since %v", b, err, t0)
		}
		got, err := db.ClaimInbound(ctx, "a1", 3, time.Minute)
		if err != nil || len(got) != 3 || got[0].Sid != "SMq0" || got[1].Sid != "SMq1" || got[2].Sid != "SMq3" || got[0].Command != "status" {
			t.Fatalf("claim = %+v, %v; want SMq0, SMq1, SMq3", got, err)
		}
		if more, _ := db.ClaimInbound(ctx, "a2", 10, time.Minute); len(more) != 1 || more[0].Sid != "SMq4" {
			t.Fatalf("second claim = %+v; want only SMq4", more)
		}
		// SMq0 answered through the outbox; the others' leases run out.
		if err := db.AnswerInbound(ctx, "SMq0", lifeline.InboundOutbox, "answer"); err != nil {
			t.Fatal(err)
		}
		a := &lifeline.OutboxMessage{To: "+8613800000001", Body: "answer", Kind: lifeline.OutboxAnswer, DedupeKey: lifeline.AnswerKey("SMq0"), AskedAt: t0}
		if err := db.Enqueue(ctx, a); err != nil {
			t.Fatal(err)
		}
		if b, _ := db.AnswerBacklog(ctx); b.Waiting != 4 || !b.Oldest.Equal(t0) {
			t.Fatalf("backlog with the answer queued = %+v; want 4 since %v", b, t0)
		}
		clock.Add(2 * time.Minute)
		again, _ := db.ClaimInbound(ctx, "a3", 10, time.Minute)
		if len(again) != 3 || again[0].Sid != "SMq1" {
			t.Fatalf("after the leases ran out = %+v; want SMq1, SMq3, SMq4", again)
		}
		// Pending messages are the queue: pruning leaves them.
		n, err := db.PruneInbound(ctx, clock.Now())
		if err != nil || n != 2 {
			t.Fatalf("PruneInbound = %d, %v; want the 2 answered ones", n, err)
		}
		if b, _ := db.AnswerBacklog(ctx); b.Waiting != 4 {
			t.Fatalf("backlog after pruning = %+v", b)
		}
	})
}

func TestOutboxLifecycle(t *testing.T) {
	eachMessageStore(t, func(t *testing.T, db *store.DB, clock *msgClock) {
		ctx := context.Background()
		a := &lifeline.OutboxMessage{To: "+8613800000001", Body: "a", Kind: "result", DedupeKey: "k1"}
		if err := db.Enqueue(ctx, a); err != nil {
			t.Fatal(err)
		}
		again := &lifeline.OutboxMessage{To: "+8613800000001", Body: "a again", DedupeKey: "k1"}
		if err := db.Enqueue(ctx, again); err != nil {
			t.Fatal(err)
		}
		if again.ID != a.ID {
			t.Fatalf("dedupe key queued twice: %d and %d", a.ID, again.ID)
		}
		// Messages without a key never collide.
		for i := 0; i < 2; i++ {
			if err := db.Enqueue(ctx, &lifeline.OutboxMessage{To: "+8613800000002", Body: "b"}); err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := db.OutboxDepth(ctx); n != 3 {
			t.Fatalf("depth = %d, want 3", n)
		}
		got, err := db.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: "w1", Max: 10, Lease: time.Minute})
		if err != nil || len(got) != 3 {
			t.Fatalf("claim = %d, %v", len(got), err)
		}
		if got[0].ID != a.ID || got[0].Attempts != 1 || got[0].ClaimedBy != "w1" || got[0].InDoubt || got[0].Body != "a" || got[0].DedupeKey != "k1" {
			t.Fatalf("claimed %+v", got[0])
		}
		// Leased: nobody else gets them.
		if more, _ := db.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: "w2", Max: 10, Lease: time.Minute}); len(more) != 0 {
			t.Fatalf("w2 claimed %d leased messages", len(more))
		}
		if err := db.MarkAccepted(ctx, got[0].ID, "SMaaa"); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkRetry(ctx, got[1].ID, "429", clock.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkFailed(ctx, got[2].ID, "21211 invalid number"); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.OutboxDepth(ctx); n != 1 {
			t.Fatalf("depth after outcomes = %d, want 1", n)
		}
		// Not due before its next attempt time.
		if more, _ := db.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: "w2", Max: 10, Lease: time.Minute}); len(more) != 0 {
			t.Fatalf("claimed before next attempt: %+v", more)
		}
		clock.Add(time.Minute)
		more, _ := db.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: "w2", Max: 10, Lease: time.Minute})
		if len(more) != 1 || more[0].ID != got[1].ID || more[0].Attempts != 2 || more[0].Error != "429" || more[0].InDoubt {
			t.Fatalf("retry claim = %+v", more)
		}
		// w2 dies mid-send: after the lease the message comes back, in doubt.
		clock.Add(61 * time.Second)
		back, _ := db.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: "w3", Max: 10, Lease: time.Minute})
		if len(back) != 1 || back[0].ID != got[1].ID || !back[0].InDoubt || back[0].Attempts != 3 || back[0].ClaimedBy != "w3" {
			t.Fatalf("reclaim = %+v", back)
		}
		if err := db.MarkAccepted(ctx, back[0].ID, "SMbbb"); err != nil {
			t.Fatal(err)
		}
		// Delivery callbacks: final states stick, out-of-order "sent" does not undo them.
		for _, s := range []string{"sent", "delivered", "sent"} {
			if err := db.RecordDelivery(ctx, "SMaaa", s, ""); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.RecordDelivery(ctx, "SMbbb", "undelivered", "30003"); err != nil {
			t.Fatal(err)
		}
		// Re-enqueueing by key reports the stored state.
		probe := &lifeline.OutboxMessage{To: "+8613800000001", Body: "x", DedupeKey: "k1"}
		db.Enqueue(ctx, probe)
		if probe.State != lifeline.OutboxDelivered {
			t.Fatalf("k1 state = %s, want delivered", probe.State)
		}
		if err := db.MarkAccepted(ctx, 99999, "SMx"); lifeline.ErrorCode(err) != lifeline.ENOTFOUND {
			t.Fatalf("mark unknown id: %v", err)
		}
	})
}

func TestOptOutStopsOutbox(t *testing.T) {
	eachMessageStore(t, func(t *testing.T, db *store.DB, clock *msgClock) {
		ctx := context.Background()
		const p = "+8613800000009"
		if err := db.Enqueue(ctx, &lifeline.OutboxMessage{To: p, Body: "before"}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetOptOut(ctx, p, true); err != nil {
			t.Fatal(err)
		}
		if err := db.SetOptOut(ctx, p, true); err != nil { // twice is fine
			t.Fatal(err)
		}
		if out, _ := db.OptedOut(ctx, p); !out {
			t.Fatal("not opted out")
		}
		after := &lifeline.OutboxMessage{To: p, Body: "after"}
		if err := db.Enqueue(ctx, after); err != nil {
			t.Fatal(err)
		}
		if after.State != lifeline.OutboxDropped {
			t.Fatalf("enqueue to opted-out number: state %s", after.State)
		}
		if got, _ := db.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: "w", Max: 10, Lease: time.Minute}); len(got) != 0 {
			t.Fatalf("claimed %d messages to an opted-out number", len(got))
		}
		if err := db.SetOptOut(ctx, p, false); err != nil {
			t.Fatal(err)
		}
		if out, _ := db.OptedOut(ctx, p); out {
			t.Fatal("still opted out")
		}
		if err := db.Enqueue(ctx, &lifeline.OutboxMessage{To: p, Body: "again"}); err != nil {
			t.Fatal(err)
		}
		got, _ := db.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: "w", Max: 10, Lease: time.Minute})
		if len(got) != 1 || got[0].Body != "again" {
			t.Fatalf("after START claimed %+v", got)
		}
	})
}

// TestClaimOutboxConcurrentSenders has several senders claim at once: every
// message goes to exactly one of them.
func TestClaimOutboxConcurrentSenders(t *testing.T) {
	eachMessageStore(t, func(t *testing.T, db *store.DB, _ *msgClock) {
		ctx := context.Background()
		const n = 200
		for i := 0; i < n; i++ {
			if err := db.Enqueue(ctx, &lifeline.OutboxMessage{To: "+8613800000001", Body: "m", DedupeKey: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[int64]string{}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w string) {
				defer wg.Done()
				for {
					got, err := db.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: w, Max: 7, Lease: time.Minute})
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, m := range got {
						if prev, dup := seen[m.ID]; dup {
							t.Errorf("message %d claimed by %s and %s", m.ID, prev, w)
						}
						seen[m.ID] = w
					}
					mu.Unlock()
				}
			}(fmt.Sprint("w", w))
		}
		wg.Wait()
		if len(seen) != n {
			t.Fatalf("claimed %d of %d", len(seen), n)
		}
	})
}

func TestCursor(t *testing.T) {
	eachMessageStore(t, func(t *testing.T, db *store.DB, _ *msgClock) {
		ctx := context.Background()
		if _, ok, err := db.Cursor(ctx, "results"); ok || err != nil {
			t.Fatalf("fresh cursor: %v %v", ok, err)
		}
		for _, v := range []int64{5, 42} {
			if err := db.SetCursor(ctx, "results", v); err != nil {
				t.Fatal(err)
			}
		}
		if v, ok, _ := db.Cursor(ctx, "results"); !ok || v != 42 {
			t.Fatalf("cursor = %d %v", v, ok)
		}
	})
}

// TestInboundGroupCommit has many callers record sids at once, each sid
// several times: every sid has exactly one first caller, and the others
// see its reply.
func TestInboundGroupCommit(t *testing.T) {
	eachMessageStore(t, func(t *testing.T, db *store.DB, _ *msgClock) {
		ctx := context.Background()
		const sids, copies = 50, 4
		var mu sync.Mutex
		firsts := map[string]int{}
		var wg sync.WaitGroup
		for c := 0; c < copies; c++ {
			for i := 0; i < sids; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					sid := fmt.Sprintf("SM%d", i)
					prev, first, err := db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: sid, From: "+8613800000001", State: lifeline.InboundInline, Reply: "reply " + sid})
					if err != nil {
						t.Error(err)
						return
					}
					if !first && (prev == nil || prev.Reply != "reply "+sid) {
						t.Errorf("%s: prev %+v", sid, prev)
					}
					mu.Lock()
					if first {
						firsts[sid]++
					}
					mu.Unlock()
				}(i)
			}
		}
		wg.Wait()
		if len(firsts) != sids {
			t.Fatalf("%d sids recorded first, want %d", len(firsts), sids)
		}
		for sid, n := range firsts {
			if n != 1 {
				t.Errorf("%s first %d times", sid, n)
			}
		}
	})
}

// An import holds the SQLite store's one write lock for as long as it runs
// (one transaction, seconds for a big file, often from another process).
// The logs written on every message and every search live in a file of
// their own, so messages keep being logged and answered, and staff keep
// searching (each search audited), meanwhile.
func TestLogsNotBlockedByAWriterOnTheStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A clock a second ahead at every reading, so the audit log's order
	// by time is the order of the calls.
	var tick atomic.Int64
	db.Now = func() time.Time { return time.Unix(1649491200+tick.Add(1), 0) }
	r := synth.Resident(3)
	if _, err := db.Import(lifeline.WithActor(ctx, lifeline.Actor{User: "cli:test"}), &lifeline.ImportBatch{Residents: []lifeline.Resident{r}}); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "ROLLBACK")
	wait, cancel := context.WithTimeout(lifeline.WithActor(ctx, lifeline.Actor{User: "staff:wang"}), 3*time.Second)
	defer cancel()
	_, first, err := db.BeginInbound(wait, &lifeline.InboundMessage{Sid: "SMimport", From: "+8613800000001", Command: "status", State: lifeline.InboundInline, Reply: "ok"})
	if err != nil || !first {
		t.Fatalf("BeginInbound while another connection holds the store's write lock = %v, %v", first, err)
	}
	if err := db.AnswerInbound(wait, "SMimport", lifeline.InboundOutbox, "ok"); err != nil {
		t.Fatalf("AnswerInbound while another connection holds the store's write lock: %v", err)
	}
	found, err := db.FindResidents(wait, lifeline.ResidentFilter{Query: r.Name})
	if err != nil || len(found) == 0 {
		t.Fatalf("FindResidents(%q) while another connection holds the store's write lock = %d found, %v", r.Name, len(found), err)
	}
	if err := db.Audit(wait, lifeline.AuditEntry{Action: "view", ResidentID: found[0].Resident.ID}); err != nil {
		t.Fatalf("Audit while another connection holds the store's write lock: %v", err)
	}
	if _, err := os.Stat(store.LogPath(path)); err != nil {
		t.Fatalf("log file: %v", err)
	}
	// The audit log reads both files, newest first: the view and the
	// search (log file), then the import (store).
	log, err := db.AuditLog(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log {
		got = append(got, e.Action+" "+e.Actor)
	}
	want := []string{"view staff:wang", "find staff:wang", "import cli:test"}
	if !slices.Equal(got, want) {
		t.Fatalf("audit log = %q, want %q", got, want)
	}
}

func TestPruneInbound(t *testing.T) {
	eachMessageStore(t, func(t *testing.T, db *store.DB, clock *msgClock) {
		ctx := context.Background()
		t0 := clock.Now()
		// More old messages than one pruning batch, and a few new ones.
		const old, recent = 5003, 3
		for i := range old + recent {
			at := t0.Add(-72 * time.Hour)
			if i >= old {
				at = t0.Add(-time.Hour)
			}
			if _, _, err := db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: fmt.Sprintf("SM%032d", i), From: "+8613800000001", Command: "status", State: lifeline.InboundInline, Reply: "r", ReceivedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		n, err := db.PruneInbound(ctx, t0.Add(-48*time.Hour))
		if err != nil || n != old {
			t.Fatalf("PruneInbound = %d, %v; want %d", n, err, old)
		}
		if n, err := db.PruneInbound(ctx, t0.Add(-48*time.Hour)); err != nil || n != 0 {
			t.Fatalf("second PruneInbound = %d, %v; want 0", n, err)
		}
		// The recent ones are still remembered, the old ones are not.
		_, first, err := db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: fmt.Sprintf("SM%032d", old), From: "+8613800000001", ReceivedAt: t0})
		if err != nil || first {
			t.Fatalf("a recent sid after pruning: first=%v, %v; want remembered", first, err)
		}
		_, first, err = db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: fmt.Sprintf("SM%032d", 0), From: "+8613800000001", ReceivedAt: t0})
		if err != nil || !first {
			t.Fatalf("an old sid after pruning: first=%v, %v; want forgotten", first, err)
		}
	})
}

// TestLogCheckpointedInTheBackground: the writer of the SQLite log file
// never checkpoints (a checkpoint in the commit path held every message in
// flight); a goroutine of the store's does, so messages reach the file
// itself while the gateway runs, not only when it closes.
func TestLogCheckpointedInTheBackground(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ck.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	size := func() int64 {
		fi, err := os.Stat(store.LogPath(path))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				sid := fmt.Sprintf("SMck%d-%d", g, i)
				if _, _, err := db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: sid, From: "+8613800000001", Command: "status", State: lifeline.InboundInline, Reply: "张*丰 绿码 4/9 08:00采样 阴性"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for size() < before+200<<10 {
		if time.Now().After(deadline) {
			t.Fatalf("4,000 messages later the log file is %d bytes (was %d): its WAL is not being checkpointed", size(), before)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCloseTwice: closing a store a second time is harmless.
func TestCloseTwice(t *testing.T) {
	db := openSQLite(t) // which closes it again when the test ends
	db.Close()
	db.Close()
}

// TestOutboxAnswersFirstAndPaced: answers are claimed before notices
// queued earlier, reach a number that opted out of notices, and every
// sender of an account draws on one rate; a throttled attempt is not
// counted.
func TestOutboxAnswersFirstAndPaced(t *testing.T) {
	eachMessageStore(t, func(t *testing.T, db *store.DB, clock *msgClock) {
		ctx := context.Background()
		const out = "+8613800000009"
		if err := db.SetOptOut(ctx, out, true); err != nil {
			t.Fatal(err)
		}
		for i := range 4 {
			n := &lifeline.OutboxMessage{To: "+8613800000001", Body: fmt.Sprint("notice ", i), Kind: "result", DedupeKey: fmt.Sprint("n", i)}
			if err := db.Enqueue(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		clock.Add(time.Second)
		answer := &lifeline.OutboxMessage{To: out, Body: "已退订通知。", Kind: lifeline.OutboxAnswer, DedupeKey: lifeline.AnswerKey("SMa"), AskedAt: clock.Now()}
		if err := db.Enqueue(ctx, answer); err != nil || answer.State != lifeline.OutboxQueued {
			t.Fatalf("an answer to a number that opted out: %v, %v; want queued", answer.State, err)
		}
		// A rate of 2 a second: a burst of 2, then 2 more a second later.
		claim := lifeline.OutboxClaim{Worker: "w1", Max: 10, Lease: time.Minute, Account: "AC1", Rate: 2}
		got, err := db.ClaimOutbox(ctx, claim)
		if err != nil || len(got) != 2 || got[0].ID != answer.ID || !got[0].AskedAt.Equal(answer.AskedAt) {
			t.Fatalf("first paced claim = %+v, %v; want the answer and one notice", got, err)
		}
		claim.Worker = "w2" // another sender of the same account
		if more, _ := db.ClaimOutbox(ctx, claim); len(more) != 0 {
			t.Fatalf("the account's bucket is empty, yet %d more were claimed", len(more))
		}
		other := claim
		other.Account = "AC2"
		if more, _ := db.ClaimOutbox(ctx, other); len(more) != 2 {
			t.Fatalf("another account claimed %d; want its own burst of 2", len(more))
		}
		clock.Add(500 * time.Millisecond)
		if more, _ := db.ClaimOutbox(ctx, claim); len(more) != 1 {
			t.Fatalf("half a second later %d claimed; want 1", len(more))
		}
		// Throttled: back in the queue, the attempt not counted.
		n := got[1]
		if err := db.MarkThrottled(ctx, n.ID, "429", clock.Now()); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Hour)
		back, _ := db.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: "w3", Max: 10, Lease: time.Minute})
		found := false
		for _, m := range back {
			if m.ID == n.ID {
				found = true
				if m.Attempts != 1 {
					t.Fatalf("a throttled message comes back at attempt %d; want 1", m.Attempts)
				}
			}
		}
		if !found {
			t.Fatalf("the throttled message was not claimed again: %+v", back)
		}
		// An opt-out drops the notices waiting for a number, not answers.
		a2 := &lifeline.OutboxMessage{To: "+8613800000005", Body: "answer", Kind: lifeline.OutboxAnswer, DedupeKey: lifeline.AnswerKey("SMb")}
		n2 := &lifeline.OutboxMessage{To: "+8613800000005", Body: "notice", Kind: "result", DedupeKey: "n-5"}
		for _, m := range []*lifeline.OutboxMessage{a2, n2} {
			if err := db.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SetOptOut(ctx, "+8613800000005", true); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			key  string
			want lifeline.OutboxState
		}{{lifeline.AnswerKey("SMb"), lifeline.OutboxQueued}, {"n-5", lifeline.OutboxDropped}} {
			m := &lifeline.OutboxMessage{To: "+8613800000005", Body: "probe", DedupeKey: c.key}
			if err := db.Enqueue(ctx, m); err != nil || m.State != c.want {
				t.Fatalf("%s after the opt-out: %v, %v; want %v", c.key, m.State, err, c.want)
			}
		}
	})
}
