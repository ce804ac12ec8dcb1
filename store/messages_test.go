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
		m := &lifeline.InboundMessage{Sid: "SM1", From: "+8613800000001", Command: "code"}
		prev, first, err := db.BeginInbound(ctx, m)
		if err != nil || !first || prev != nil {
			t.Fatalf("first BeginInbound = %v, %v, %v", prev, first, err)
		}
		// A retry while the first is still being processed sees no reply yet.
		prev, first, err = db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: "SM1", From: "+8613800000001"})
		if err != nil || first || prev == nil || prev.Reply != "" || prev.Command != "code" {
			t.Fatalf("retry before finish = %+v, %v, %v", prev, first, err)
		}
		if err := db.FinishInbound(ctx, "SM1", "reply one"); err != nil {
			t.Fatal(err)
		}
		// The first reply stored wins.
		if err := db.FinishInbound(ctx, "SM1", "reply two"); err != nil {
			t.Fatal(err)
		}
		prev, first, err = db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: "SM1", Reply: "reply three"})
		if err != nil || first || prev.Reply != "reply one" {
			t.Fatalf("retry after finish = %+v, %v, %v", prev, first, err)
		}
		// A reply given at once is stored at once.
		if _, first, _ := db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: "SM2", Reply: "now"}); !first {
			t.Fatal("SM2 not first")
		}
		prev, _, _ = db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: "SM2"})
		if prev.Reply != "now" {
			t.Fatalf("SM2 reply = %q", prev.Reply)
		}
		if _, _, err := db.BeginInbound(ctx, &lifeline.InboundMessage{}); lifeline.ErrorCode(err) != lifeline.EINVALID {
			t.Fatalf("empty sid: %v", err)
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
		got, err := db.ClaimOutbox(ctx, "w1", 10, time.Minute)
		if err != nil || len(got) != 3 {
			t.Fatalf("claim = %d, %v", len(got), err)
		}
		if got[0].ID != a.ID || got[0].Attempts != 1 || got[0].ClaimedBy != "w1" || got[0].InDoubt || got[0].Body != "a" || got[0].DedupeKey != "k1" {
			t.Fatalf("claimed %+v", got[0])
		}
		// Leased: nobody else gets them.
		if more, _ := db.ClaimOutbox(ctx, "w2", 10, time.Minute); len(more) != 0 {
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
		if more, _ := db.ClaimOutbox(ctx, "w2", 10, time.Minute); len(more) != 0 {
			t.Fatalf("claimed before next attempt: %+v", more)
		}
		clock.Add(time.Minute)
		more, _ := db.ClaimOutbox(ctx, "w2", 10, time.Minute)
		if len(more) != 1 || more[0].ID != got[1].ID || more[0].Attempts != 2 || more[0].Error != "429" || more[0].InDoubt {
			t.Fatalf("retry claim = %+v", more)
		}
		// w2 dies mid-send: after the lease the message comes back, in doubt.
		clock.Add(61 * time.Second)
		back, _ := db.ClaimOutbox(ctx, "w3", 10, time.Minute)
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
		if got, _ := db.ClaimOutbox(ctx, "w", 10, time.Minute); len(got) != 0 {
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
		got, _ := db.ClaimOutbox(ctx, "w", 10, time.Minute)
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
					got, err := db.ClaimOutbox(ctx, w, 7, time.Minute)
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
					prev, first, err := db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: sid, From: "+8613800000001", Reply: "reply " + sid})
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
	_, first, err := db.BeginInbound(wait, &lifeline.InboundMessage{Sid: "SMimport", From: "+8613800000001", Command: "status", Reply: "ok"})
	if err != nil || !first {
		t.Fatalf("BeginInbound while another connection holds the store's write lock = %v, %v", first, err)
	}
	if err := db.FinishInbound(wait, "SMimport", "ok"); err != nil {
		t.Fatalf("FinishInbound while another connection holds the store's write lock: %v", err)
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
			if _, _, err := db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: fmt.Sprintf("SM%032d", i), From: "+8613800000001", Command: "status", Reply: "r", ReceivedAt: at}); err != nil {
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
				if _, _, err := db.BeginInbound(ctx, &lifeline.InboundMessage{Sid: sid, From: "+8613800000001", Command: "status", Reply: "张*丰 绿码 4/9 08:00采样 阴性"}); err != nil {
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
