package store

import (
	"context"
	"fmt"
	"hash/maphash"
	"path/filepath"
	"sync"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// smallGens makes generations of n sids, sealed 16 sids a commit, for the
// rest of the test.
func smallGens(t *testing.T, n int) {
	was, chunk := inboundGenRows, sealChunk
	inboundGenRows, sealChunk = n, 16
	t.Cleanup(func() { inboundGenRows, sealChunk = was, chunk })
}

// sidLog is the generational log a SQLite store keeps its sids in.
func sidLog(db *DB) *inboundLog { return db.sids.(*inboundLog) }

func genSid(i int) string { return fmt.Sprintf("SM%032x", uint64(i)*0x9e3779b97f4a7c15) }

// logGens lists the log's generations and which are sealed, reading the
// file itself.
func logGens(t *testing.T, db *DB) (gens []int, sealed map[int]bool) {
	t.Helper()
	rows, err := db.log.Query(`SELECT gen, sealed FROM inbound_gens ORDER BY gen`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	sealed = map[int]bool{}
	for rows.Next() {
		var g int
		var s bool
		if err := rows.Scan(&g, &s); err != nil {
			t.Fatal(err)
		}
		gens, sealed[g] = append(gens, g), s
	}
	return gens, sealed
}

// record has 16 callers record sids [from, to) at once, each with its own
// reply, and fails unless every one is new.
func record(t *testing.T, db *DB, from, to int, at time.Time) {
	t.Helper()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := from + g; i < to; i += 16 {
				m := &lifeline.InboundMessage{Sid: genSid(i), From: "+8613800000001", Command: "status", State: lifeline.InboundInline, Reply: fmt.Sprint("reply ", i), ReceivedAt: at}
				if _, first, err := db.BeginInbound(context.Background(), m); err != nil || !first {
					t.Errorf("sid %d: first=%v err=%v; want a new sid recorded", i, first, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// remembered fails unless every sid in [from, to) is known with its reply.
func remembered(t *testing.T, db *DB, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		prev, first, err := db.BeginInbound(context.Background(), &lifeline.InboundMessage{Sid: genSid(i), From: "+8613800000002", State: lifeline.InboundInline, Reply: "another reply"})
		if err != nil || first || prev == nil || prev.Reply != fmt.Sprint("reply ", i) || prev.From != "+8613800000001" {
			t.Fatalf("sid %d again: prev=%+v first=%v err=%v; want the stored row", i, prev, first, err)
		}
	}
}

// TestInboundGenerations: sids are kept in generations that are sealed
// (indexed) as they fill, every sid is found again whichever generation
// holds it, also after the store is opened again, and a reply stored late
// lands in the right generation.
func TestInboundGenerations(t *testing.T) {
	smallGens(t, 100)
	path := filepath.Join(t.TempDir(), "gens.db")
	db := openPath(t, path)
	at := time.Date(2022, 4, 9, 8, 0, 0, 0, time.UTC)
	record(t, db, 0, 450, at)
	// Batches may take a generation past 100 before it is full, so 450
	// sids make 4 or 5 generations.
	if gens, _ := logGens(t, db); len(gens) < 4 || len(gens) > 5 {
		t.Fatalf("450 sids, 100 a generation: generations %v", gens)
	}
	remembered(t, db, 0, 450)
	// Every commit (450 of them just now) sealed 16 more sids: all but
	// the newest are sealed by now.
	gens, sealed := logGens(t, db)
	for i, g := range gens {
		if sealed[g] != (i < len(gens)-1) {
			t.Fatalf("generations %v, sealed %v: want all but the newest sealed", gens, sealed)
		}
	}
	var entries int
	if err := db.log.QueryRow(`SELECT count(*) FROM inbound_sids`).Scan(&entries); err != nil || entries < 300 {
		t.Fatalf("inbound_sids holds %d sids (%v); want those of the sealed generations", entries, err)
	}

	// A pending message is answered later.
	if _, first, err := db.BeginInbound(context.Background(), &lifeline.InboundMessage{Sid: "SMlate", From: "+8613800000001", Command: "code"}); err != nil || !first {
		t.Fatalf("SMlate: first=%v err=%v", first, err)
	}
	record(t, db, 450, 700, at) // SMlate is in a sealed generation now
	if err := db.AnswerInbound(context.Background(), "SMlate", lifeline.InboundOutbox, "late reply"); err != nil {
		t.Fatal(err)
	}
	if err := db.AnswerInbound(context.Background(), genSid(3), lifeline.InboundOutbox, "not this"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openPath(t, path)
	remembered(t, db, 0, 700)
	prev, first, err := db.BeginInbound(context.Background(), &lifeline.InboundMessage{Sid: "SMlate", From: "+8613800000001"})
	if err != nil || first || prev.Reply != "late reply" {
		t.Fatalf("SMlate after a restart: prev=%+v first=%v err=%v; want its late reply", prev, first, err)
	}
	record(t, db, 700, 800, at) // and new sids are still new
}

// TestLoadInboundLog: loading ahead of the first message reads the log
// (and starts its first generation) as the first message would.
func TestLoadInboundLog(t *testing.T) {
	db := openTemp(t)
	if gens, _ := logGens(t, db); len(gens) != 0 || sidLog(db).loaded {
		t.Fatalf("a store just opened: generations %v, loaded %v; want the log left alone", gens, sidLog(db).loaded)
	}
	if err := db.LoadInboundLog(context.Background()); err != nil {
		t.Fatal(err)
	}
	if gens, sealed := logGens(t, db); len(gens) != 1 || sealed[gens[0]] || !sidLog(db).loaded {
		t.Fatalf("after LoadInboundLog: generations %v, sealed %v, loaded %v; want one open generation", gens, sealed, sidLog(db).loaded)
	}
	record(t, db, 0, 10, time.Now())
	remembered(t, db, 0, 10)
}

// TestInboundPruneGenerations: pruning drops the generations that are all
// old, deletes the old rows of the one that straddles the cutoff and of the
// current one, and forgets exactly those sids.
func TestInboundPruneGenerations(t *testing.T) {
	smallGens(t, 100)
	db := openTemp(t)
	t0 := time.Date(2022, 4, 9, 8, 0, 0, 0, time.UTC)
	old, recent := t0.Add(-72*time.Hour), t0.Add(-time.Hour)
	record(t, db, 0, 250, old)
	record(t, db, 250, 400, recent)
	record(t, db, 400, 430, old) // old again, in the current generation
	remembered(t, db, 0, 430)    // time for the full generations to be sealed
	before, _ := logGens(t, db)
	n, err := db.PruneInbound(context.Background(), t0.Add(-48*time.Hour))
	if err != nil || n != 280 {
		t.Fatalf("PruneInbound = %d, %v; want the 280 old sids", n, err)
	}
	after, _ := logGens(t, db)
	if len(after) >= len(before) {
		t.Fatalf("generations %v before pruning, %v after: the all-old ones should be dropped", before, after)
	}
	remembered(t, db, 250, 400)
	for _, i := range []int{0, 120, 249, 400, 429} {
		_, first, err := db.BeginInbound(context.Background(), &lifeline.InboundMessage{Sid: genSid(i), From: "+8613800000001", State: lifeline.InboundInline, Reply: fmt.Sprint("reply ", i)})
		if err != nil || !first {
			t.Fatalf("pruned sid %d: first=%v err=%v; want it forgotten", i, first, err)
		}
	}
	if n, err := db.PruneInbound(context.Background(), t0.Add(-48*time.Hour)); err != nil || n != 0 {
		t.Fatalf("second PruneInbound = %d, %v; want 0", n, err)
	}
}

// TestInboundTwoWriters: two store handles on one file (as two processes
// would be) record sids in turn; each notices the other's rows at its next
// commit, so no sid is recorded twice, across a seal too.
func TestInboundTwoWriters(t *testing.T) {
	smallGens(t, 50)
	path := filepath.Join(t.TempDir(), "two.db")
	a := openPath(t, path)
	b := openPath(t, path)
	at := time.Date(2022, 4, 9, 8, 0, 0, 0, time.UTC)
	for round := range 6 {
		w, other := a, b
		if round%2 == 1 {
			w, other = b, a
		}
		from := round * 40
		record(t, w, from, from+40, at)
		remembered(t, other, 0, from+40)
	}
	gens, _ := logGens(t, a)
	if len(gens) < 3 {
		t.Fatalf("240 sids, 50 a generation: generations %v, want several", gens)
	}
}

// TestInboundLegacyTable: sids an earlier version kept in inbound_messages
// are still found, still get their reply, and are pruned.
func TestInboundLegacyTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "legacy.db")
	db := openPath(t, path)
	t0 := time.Date(2022, 4, 9, 8, 0, 0, 0, time.UTC)
	for i, at := range []time.Time{t0.Add(-72 * time.Hour), t0.Add(-time.Hour)} {
		if _, err := db.log.Exec(`INSERT INTO inbound_messages (sid, from_phone, command, reply, received_at) VALUES (?, '+8613800000001', 'status', ?, ?)`,
			genSid(i), fmt.Sprint("reply ", i), ms(at)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db = openPath(t, path)
	remembered(t, db, 0, 2)
	if n, err := db.PruneInbound(context.Background(), t0.Add(-48*time.Hour)); err != nil || n != 1 {
		t.Fatalf("PruneInbound = %d, %v; want the old legacy row", n, err)
	}
	remembered(t, db, 1, 2)
}

// TestBloom: no member is ever missed, and at most 0.3% of strangers pass.
func TestBloom(t *testing.T) {
	const n = 20000
	f := newBloom(maphash.MakeSeed(), n)
	for i := range n {
		f.add(genSid(i))
	}
	for i := range n {
		if !f.has(genSid(i)) {
			t.Fatalf("member %d missed", i)
		}
	}
	fp := 0
	for i := n; i < 11*n; i++ {
		if f.has(genSid(i)) {
			fp++
		}
	}
	if rate := float64(fp) / (10 * n); rate > 0.005 {
		t.Fatalf("%.2f%% of strangers pass the filter, want 0.3%% at most", 100*rate)
	}
}

// TestInboundSealResumes: a store closed (or killed) while a generation is
// being sealed goes on sealing it where it stopped when opened again, and
// in the end every one of its sids is in inbound_sids.
func TestInboundSealResumes(t *testing.T) {
	smallGens(t, 100)
	path := filepath.Join(t.TempDir(), "resume.db")
	db := openPath(t, path)
	at := time.Date(2022, 4, 9, 8, 0, 0, 0, time.UTC)
	record(t, db, 0, 100, at) // generation 1 is full
	for i := 100; i < 103; i++ {
		record(t, db, i, i+1, at) // three commits: three chunks sealed
	}
	var inSids int
	if err := db.log.QueryRow(`SELECT count(*) FROM inbound_sids WHERE gen = 1`).Scan(&inSids); err != nil || inSids == 0 || inSids >= 100 {
		t.Fatalf("generation 1 has %d sids in inbound_sids (%v); want it part sealed", inSids, err)
	}
	db.Close()

	db = openPath(t, path)
	remembered(t, db, 0, 103) // and every commit seals a chunk more
	gens, sealed := logGens(t, db)
	if !sealed[1] {
		t.Fatalf("generations %v, sealed %v: generation 1 should be sealed by now", gens, sealed)
	}
	var missing int
	if err := db.log.QueryRow(`SELECT count(*) FROM inbound_log l WHERE gen = 1 AND NOT EXISTS (SELECT 1 FROM inbound_sids s WHERE s.gen = 1 AND s.sid = l.sid AND s.id = l.id)`).Scan(&missing); err != nil || missing != 0 {
		t.Fatalf("%d sids of generation 1 are missing from inbound_sids (%v)", missing, err)
	}
}

// TestInboundPruneWhileRecording: pruning, a batch at a time, goes on while
// new messages are recorded (and generations fill and are sealed), and
// forgets exactly the old ones.
func TestInboundPruneWhileRecording(t *testing.T) {
	smallGens(t, 100)
	saved := pruneBatch
	pruneBatch = 37
	t.Cleanup(func() { pruneBatch = saved })
	db := openTemp(t)
	t0 := time.Date(2022, 4, 9, 8, 0, 0, 0, time.UTC)
	record(t, db, 0, 300, t0.Add(-72*time.Hour))
	remembered(t, db, 0, 300)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		record(t, db, 300, 600, t0)
	}()
	n, err := db.PruneInbound(context.Background(), t0.Add(-48*time.Hour))
	wg.Wait()
	if err != nil || n != 300 {
		t.Fatalf("PruneInbound while recording = %d, %v; want the 300 old sids", n, err)
	}
	remembered(t, db, 300, 600)
	record(t, db, 0, 300, t0) // forgotten: new again
}

// TestInboundMixedBatch: one commit of 173 messages (more than one
// multi-row INSERT; the last of 42 rows, a size no statement was prepared
// for, is written a row at a time) that mixes new sids, sids stored by an earlier commit
// (in a sealed generation and in the current one) and a sid that comes
// twice in the batch: every new one is recorded once, under the id after
// the last, every other one gets the stored row back; then each is found
// again.
func TestInboundMixedBatch(t *testing.T) {
	smallGens(t, 100)
	db := openPath(t, filepath.Join(t.TempDir(), "mixed.db"))
	at := time.Date(2022, 4, 9, 8, 0, 0, 0, time.UTC)
	record(t, db, 0, 230, at) // generations 0 and 1 sealed or sealing, 2 current
	msg := func(i int, reply string) *inboundWait {
		return &inboundWait{m: &lifeline.InboundMessage{Sid: genSid(i), From: "+8613800000001", Command: "status", State: lifeline.InboundInline, Reply: reply, ReceivedAt: at}, done: make(chan struct{})}
	}
	var batch []*inboundWait
	want := map[*inboundWait]string{} // "" for new, else the stored reply
	for i := 1000; i < 1170; i++ {
		w := msg(i, fmt.Sprint("reply ", i))
		batch, want[w] = append(batch, w), ""
		switch i {
		case 1010: // a stored sid, from the oldest generation
			o := msg(3, "late")
			batch, want[o] = append(batch, o), "reply 3"
		case 1050: // one from the current generation
			o := msg(225, "late")
			batch, want[o] = append(batch, o), "reply 225"
		case 1100: // this batch's own 1020 again
			o := msg(1020, "again")
			batch, want[o] = append(batch, o), "reply 1020"
		}
	}
	lastBefore := sidLog(db).lastID
	sidLog(db).record(batch)
	fresh := 0
	for _, w := range batch {
		<-w.done
		if w.err != nil {
			t.Fatalf("sid %s: %v", w.m.Sid, w.err)
		}
		if want[w] == "" {
			if !w.first || w.prev != nil {
				t.Fatalf("sid %s: first=%v prev=%+v, want a new message", w.m.Sid, w.first, w.prev)
			}
			fresh++
			continue
		}
		if w.first || w.prev == nil || w.prev.Reply != want[w] {
			t.Fatalf("sid %s: first=%v prev=%+v, want the stored %q", w.m.Sid, w.first, w.prev, want[w])
		}
	}
	if got := sidLog(db).lastID - lastBefore; fresh != 170 || got != 170 {
		t.Fatalf("%d new messages, ids moved by %d: want 170", fresh, got)
	}
	var rows int
	if err := db.log.QueryRow(`SELECT count(*) FROM inbound_log`).Scan(&rows); err != nil || rows != 400 {
		t.Fatalf("%d rows in the log (%v), want 400", rows, err)
	}
	remembered(t, db, 0, 230)
	for i := 1000; i < 1170; i++ {
		prev, first, err := db.BeginInbound(context.Background(), &lifeline.InboundMessage{Sid: genSid(i), From: "+8613800000002", State: lifeline.InboundInline, Reply: "x"})
		if err != nil || first || prev == nil || prev.Reply != fmt.Sprint("reply ", i) {
			t.Fatalf("sid %d again: prev=%+v first=%v err=%v", i, prev, first, err)
		}
	}
}
