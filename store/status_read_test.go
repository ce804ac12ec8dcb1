package store

import (
	"path/filepath"
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

// TestStatusByPhoneUsesIndexes checks that the SMS gateway's per-message
// read never scans a table: it runs on every inbound message of a surge.
func TestStatusByPhoneUsesIndexes(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Import(ctx, &lifeline.ImportBatch{Residents: synth.Residents(0, 300)}); err != nil {
		t.Fatal(err)
	}
	p := "+8613911112222"
	tail := lifeline.PhoneTail(p)
	plan, _ := planScans(t, db, statusByPhoneQuery, []any{tail, p, p, tail, p})
	t.Logf("plan:\n  %s", strings.Join(plan, "\n  "))
	assertIndexed(t, db, "StatusByPhone", statusByPhoneQuery, []any{tail, p, p, tail, p})
	// Following links from every approved one is a scan in all but name.
	for _, step := range plan {
		if strings.Contains(step, "relatives_state") {
			t.Errorf("the lookup reads relatives by state: %s", step)
		}
	}
}

// BenchmarkStatusByPhone is the SMS gateway's per-message read on its own:
// go test ./store -run X -bench StatusByPhone.
func BenchmarkStatusByPhone(b *testing.B) {
	ctx := b.Context()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "status.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const n = 5000
	if _, err := db.Import(ctx, &lifeline.ImportBatch{Residents: synth.Residents(0, n)}); err != nil {
		b.Fatal(err)
	}
	phones := make([]string, n)
	for i := range phones {
		phones[i] = synth.Phone(i)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := db.StatusByPhone(ctx, phones[i%n]); err != nil {
				b.Fatal(err)
			}
			i += 7
		}
	})
}
