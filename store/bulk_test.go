package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

// indexes returns the store's indexes and their CREATE statements.
func indexes(t *testing.T, db *DB) map[string]string {
	t.Helper()
	rows, err := db.w.Query(`SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, q string
		if err := rows.Scan(&name, &q); err != nil {
			t.Fatal(err)
		}
		out[name] = q
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBulkImportRebuildsIndexes: an import bigger than the store drops the
// search indexes it does not read and builds them again before it commits,
// exactly as the migrations made them, and a cancelled one leaves them as
// they were. A resident repeated in an import into an empty store is found
// again (not looked up by document, which the first import skips), so it
// is updated, not inserted twice.
func TestBulkImportRebuildsIndexes(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	want := indexes(t, db)
	for _, n := range bulkIndexes {
		if want[n] == "" {
			t.Fatalf("bulk index %s is not in the schema", n)
		}
	}

	// A cancelled bulk import: nothing stored, indexes as before.
	cctx, cancel := context.WithCancel(ctx)
	cancelled := newCountdown(cctx, cancel, 2)
	if _, err := db.Import(cancelled, &lifeline.ImportBatch{Residents: synth.Residents(0, 3*chunkRows)}); lifeline.ErrorCode(err) != lifeline.EUNAVAILABLE {
		t.Fatalf("a cancelled import: %v", err)
	}
	if n, _ := db.CountResidents(ctx); n != 0 {
		t.Fatalf("%d residents after a cancelled import", n)
	}
	if got := indexes(t, db); !maps.Equal(got, want) {
		t.Fatalf("indexes after a cancelled import:\n%v\nwant\n%v", got, want)
	}

	// Into the empty store: the first resident again after two chunks,
	// with a new name.
	rs := synth.Residents(0, 2*chunkRows+10)
	again := rs[0]
	again.Name = "欧阳再来"
	again.Phones = []string{"+8613900001234"}
	rs = append(rs, again)
	st, err := db.Import(ctx, &lifeline.ImportBatch{Residents: rs})
	if err != nil {
		t.Fatal(err)
	}
	if st.Inserted != len(rs)-1 || st.Updated != 1 {
		t.Fatalf("stats %+v, want %d inserted and 1 updated", st, len(rs)-1)
	}
	if got := indexes(t, db); !maps.Equal(got, want) {
		t.Fatalf("indexes after a bulk import:\n%v\nwant\n%v", got, want)
	}
	// The rebuilt indexes hold every row: search by the repeated
	// resident's new name and phone tail, and by an address.
	for _, q := range []string{"欧阳再来", "13900001234", "1234", rs[5].Address.Short()} {
		res, err := db.FindResidents(ctx, lifeline.ResidentFilter{Query: q, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		want := rs[0].Doc.Key()
		if q == rs[5].Address.Short() {
			want = rs[5].Doc.Key()
		}
		found := false
		for _, m := range res {
			found = found || m.Resident.Doc.Key() == want
		}
		if !found {
			t.Fatalf("search %q: %d results, not %s", q, len(res), want)
		}
	}
	if n, _ := db.CountResidents(ctx); n != len(rs)-1 {
		t.Fatalf("%d residents, want %d", n, len(rs)-1)
	}
	var checked string
	if err := db.w.QueryRow(`PRAGMA integrity_check`).Scan(&checked); err != nil || checked != "ok" {
		t.Fatalf("integrity_check: %q %v", checked, err)
	}
}

// countdown is a context whose Err reports cancellation from its n-th
// call on: the writer checks it once a chunk, so the import stops in the
// middle, after the indexes were dropped. database/sql also calls Err from
// goroutines of its own, hence the atomic count.
type countdown struct {
	context.Context
	cancel context.CancelFunc
	n      atomic.Int64
}

func newCountdown(ctx context.Context, cancel context.CancelFunc, n int64) *countdown {
	c := &countdown{Context: ctx, cancel: cancel}
	c.n.Store(n)
	return c
}

func (c *countdown) Err() error {
	if c.n.Add(-1) <= 0 {
		c.cancel()
	}
	return c.Context.Err()
}

// TestImportRepeatedRowStillBuffered: a resident written by this import
// whose phone and name rows are still in the writer's buffers when a later
// row of the batch changes them: the buffers are written first, so the old
// phone and name rows are replaced, not left beside (or instead of) the
// new ones.
func TestImportRepeatedRowStillBuffered(t *testing.T) {
	ctx := t.Context()
	for _, stored := range []int{0, 3} { // an empty store, and one that is not
		db := openTemp(t)
		if stored > 0 {
			if _, err := db.Import(ctx, &lifeline.ImportBatch{Residents: synth.Residents(100, stored)}); err != nil {
				t.Fatal(err)
			}
		}
		rs := synth.Residents(0, 2)
		again := rs[0]
		again.Name = "欧阳再来"
		again.Phones = []string{"+8613900001234"}
		rs = append(rs, again) // a chunk of its own: its key repeats
		st, err := db.Import(ctx, &lifeline.ImportBatch{Residents: rs})
		if err != nil {
			t.Fatal(err)
		}
		if st.Inserted != 2 || st.Updated != 1 {
			t.Fatalf("stored %d: stats %+v, want 2 inserted and 1 updated", stored, st)
		}
		var phones, grams string
		if err := db.w.QueryRow(`SELECT group_concat(phone) FROM phones WHERE resident_id = ?`, rs[2].ID).Scan(&phones); err != nil || phones != "+8613900001234" {
			t.Fatalf("stored %d: phones %q (%v), want only the new one", stored, phones, err)
		}
		if err := db.w.QueryRow(`SELECT group_concat(gram, ' ') FROM (SELECT gram FROM name_grams WHERE resident_id = ? ORDER BY gram)`, rs[2].ID).Scan(&grams); err != nil {
			t.Fatal(err)
		}
		want := nameGrams("欧阳再来")
		slices.Sort(want)
		if grams != strings.Join(want, " ") {
			t.Fatalf("stored %d: name grams %q, want %q (the new name's only)", stored, grams, strings.Join(want, " "))
		}
	}
}

// TestImportReportsTheFirstBadRow: a batch is prepared a chunk at a time
// beside the writer, and the error is still that of the first bad
// resident, with nothing written.
func TestImportReportsTheFirstBadRow(t *testing.T) {
	db := openTemp(t)
	for _, bad := range [][]int{{100, 2500}, {2500}, {2999, 1500}} {
		rs := synth.Residents(0, 3000)
		for _, i := range bad {
			rs[i].Doc.Number = rs[i].Doc.Number[:17] + "X" // a wrong check digit
			if rs[i].Doc.Number == synth.Residents(i, 1)[0].Doc.Number {
				rs[i].Doc.Number = rs[i].Doc.Number[:17] + "0"
			}
		}
		_, err := db.Import(t.Context(), &lifeline.ImportBatch{Residents: rs})
		want := fmt.Sprintf("resident %d:", slices.Min(bad)+1)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("bad rows %v: %v, want %q…", bad, err, want)
		}
		if n, _ := db.CountResidents(t.Context()); n != 0 {
			t.Fatalf("bad rows %v: %d residents stored", bad, n)
		}
	}
	rs := synth.Residents(0, 3000)
	if _, err := db.Import(t.Context(), &lifeline.ImportBatch{Residents: rs}); err != nil {
		t.Fatal(err)
	}
	// Every resident of the batch has its id filled in, its own.
	for i := range rs {
		got, err := db.Resident(t.Context(), rs[i].ID)
		if err != nil || got.Doc.Number != rs[i].Doc.Number {
			t.Fatalf("resident %d: id %d holds %v (%v)", i+1, rs[i].ID, got, err)
		}
	}
}
