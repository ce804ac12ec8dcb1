package tui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
)

// TestPaperPrinter: a person's card and a household's cards are printed
// to PDF files named after them, every code recorded against its holder;
// without a signing key nothing is printed.
func TestPaperPrinter(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	keys, out := filepath.Join(f.dir, "keys"), filepath.Join(f.dir, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	print := PaperPrinter(f.db, keys, out)
	if _, err := print(ctx, PrintJob{Scope: PrintPerson, Resident: f.zhang, Staff: "wang"}, func(int, int) {}); err == nil {
		t.Fatal("printed without a signing key")
	}
	if _, err := code.GenerateKey(keys, time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		job    PrintJob
		prefix string
		who    []*lifeline.Resident
	}{
		{PrintJob{Scope: PrintPerson, Resident: f.zhang, Staff: "wang"}, "card-", []*lifeline.Resident{f.zhang}},
		{PrintJob{Scope: PrintHousehold, Resident: f.zhang, Filter: lifeline.ResidentFilter{HouseholdID: f.zhang.HouseholdID}, Staff: "wang", Large: true},
			"large-household-", []*lifeline.Resident{f.zhang, f.li}},
	} {
		last := 0
		res, err := print(ctx, c.job, func(done, total int) {
			if total != len(c.who) {
				t.Errorf("progress total %d, want %d", total, len(c.who))
			}
			last = done
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Codes != len(c.who) || last != len(c.who) || len(res.Files) != 1 || !strings.HasPrefix(filepath.Base(res.Files[0]), c.prefix) {
			t.Fatalf("%s: %+v (progress to %d)", c.prefix, res, last)
		}
		if st, err := os.Stat(res.Files[0]); err != nil || st.Size() == 0 {
			t.Fatalf("%s: file %v", c.prefix, err)
		}
	}
	for _, r := range []*lifeline.Resident{f.zhang, f.li, f.wu} {
		cs, err := f.db.IssuedCodes(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[*lifeline.Resident]int{f.zhang: 2, f.li: 1}[r]
		if len(cs) != want || (want > 0 && cs[0].IssuedBy != "wang") {
			t.Errorf("%s holds %d codes, want %d, issued by wang", r.Name, len(cs), want)
		}
	}
}
