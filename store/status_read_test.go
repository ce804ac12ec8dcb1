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
