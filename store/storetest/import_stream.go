package storetest

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

func init() {
	register("import_stream/chunks", testImportStreamChunks)
	register("import_stream/finish_error", testImportStreamFinishError)
	register("import_stream/bad_resident", testImportStreamBadResident)
}

// send streams rs in chunks of size n on an unbuffered channel, as the
// import command's parser does, and reports when every send returned.
func send(rs []lifeline.Resident, n int) (<-chan []lifeline.Resident, <-chan struct{}) {
	ch := make(chan []lifeline.Resident)
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		defer close(ch)
		for from := 0; from < len(rs); from += n {
			ch <- rs[from:min(from+n, len(rs))]
		}
	}()
	return ch, sent
}

// Residents streamed in uneven chunks, one of them repeating a resident
// of an earlier chunk, land as one Import of the whole would: the same
// stats, rows and statuses, finish called once after the last chunk.
func testImportStreamChunks(t *testing.T, db *store.DB) {
	c := ctx(t)
	b := batch(700)
	rs := append(synth.Residents(0, 700), synth.Resident(5))
	rs[len(rs)-1].Name = "欧阳娜娜"
	ch, sent := send(rs, 333)
	finished := 0
	st, err := db.ImportStream(c, len(rs), ch, func() (*lifeline.ImportBatch, error) {
		finished++
		select {
		case <-sent:
		default:
			t.Error("finish was called before the last chunk was taken")
		}
		return &lifeline.ImportBatch{Updates: b.Updates}, nil
	})
	must(t, err)
	waitSent(t, sent)
	if finished != 1 {
		t.Fatalf("finish called %d times", finished)
	}
	want := lifeline.ImportStats{Inserted: 700, Updated: 1, Results: 700, Colors: 700, Changed: lifeline.FieldChanges{Name: 1},
		Renamed: []lifeline.Rename{{Doc: rs[5].Doc, Old: synth.Name(5), New: "欧阳娜娜"}}}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("stats %+v", st)
	}
	if got := counts(t, db); got != [3]int{700, 700, 700} {
		t.Fatalf("rows %v", got)
	}
	r, err := db.ResidentByDocument(c, rs[5].Doc)
	must(t, err)
	if r.Name != "欧阳娜娜" || r.Status.Color != lifeline.Green || r.Status.Latest == nil {
		t.Fatalf("resident 5: %q %+v", r.Name, r.Status)
	}
}

// An error from finish (the command found a bad row once all were parsed)
// comes back as it was and leaves nothing behind, though every resident
// had been written.
func testImportStreamFinishError(t *testing.T, db *store.DB) {
	c := ctx(t)
	_, err := db.Import(c, batch(10))
	must(t, err)
	before := counts(t, db)
	badRows := errors.New("3 bad rows")
	ch, sent := send(synth.Residents(0, 2500), 1000)
	_, err = db.ImportStream(c, 2500, ch, func() (*lifeline.ImportBatch, error) { return nil, badRows })
	if err != badRows {
		t.Fatalf("err = %v, want finish's own", err)
	}
	waitSent(t, sent)
	if after := counts(t, db); after != before {
		t.Fatalf("rows %v -> %v", before, after)
	}
}

// A resident the store refuses stops the import with its number in the
// stream; the sender is never left blocked, and nothing is stored.
func testImportStreamBadResident(t *testing.T, db *store.DB) {
	c := ctx(t)
	rs := synth.Residents(0, 3000)
	rs[1500].Name = " " // no name
	ch, sent := send(rs, 100)
	called := false
	_, err := db.ImportStream(c, len(rs), ch, func() (*lifeline.ImportBatch, error) {
		called = true
		return &lifeline.ImportBatch{}, nil
	})
	if err == nil || called {
		t.Fatalf("err = %v, finish called: %v", err, called)
	}
	if want := "resident 1501"; !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to name %s", err, want)
	}
	waitSent(t, sent) // every chunk after the bad one was taken too
	if got := counts(t, db); got != [3]int{} {
		t.Fatalf("rows %v", got)
	}
}

// waitSent fails the test if the sender is still blocked after a minute
// (an import that stopped reading its stream).
func waitSent(t *testing.T, sent <-chan struct{}) {
	t.Helper()
	select {
	case <-sent:
	case <-time.After(time.Minute):
		t.Fatal("the sender is blocked: the stream was not read to its end")
	}
}
