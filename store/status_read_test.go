package store

import (
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

// TestStatusByPhoneUsesIndexes checks that the SMS gateway's per-message
// read never scans a table: it runs on every inbound message of a surge.
func TestStatusByPhoneUsesIndexes(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	if _, err := db.Import(ctx, &lifeline.ImportBatch{Residents: synth.Residents(0, 300)}); err != nil {
		t.Fatal(err)
	}
	args := []any{`["+8613911112222", "+8613911113333"]`}
	plan, _ := planScans(t, db, db.statusByPhoneSQL(), args)
	t.Logf("plan:\n  %s", strings.Join(plan, "\n  "))
	assertIndexed(t, db, "StatusByPhone", db.statusByPhoneSQL(), args)
	// Following links from every approved one is a scan in all but name.
	for _, step := range plan {
		if strings.Contains(step, "relatives_state") {
			t.Errorf("the lookup reads relatives by state: %s", step)
		}
	}
}

// BenchmarkStatusByPhone is the SMS gateway's per-message read on its own,
// by one caller at a time (each read alone) and by 64 at once (as in a
// surge: the calls are read together): go test ./store -run X -bench
// StatusByPhone.
func BenchmarkStatusByPhone(b *testing.B) {
	ctx := b.Context()
	db := openTemp(b)
	const n = 5000
	if _, err := db.Import(ctx, &lifeline.ImportBatch{Residents: synth.Residents(0, n)}); err != nil {
		b.Fatal(err)
	}
	phones := make([]string, n)
	for i := range phones {
		phones[i] = synth.Phone(i)
	}
	var next atomic.Int64
	read := func(b *testing.B) {
		i := int(next.Add(7))
		if got, err := db.StatusByPhone(ctx, phones[i%n]); err != nil || len(got) == 0 {
			b.Fatalf("StatusByPhone = %d residents, %v", len(got), err)
		}
	}
	b.Run("callers=1", func(b *testing.B) {
		for b.Loop() {
			read(b)
		}
	})
	b.Run("callers=64", func(b *testing.B) {
		b.SetParallelism((64 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				read(b)
			}
		})
	})
}
