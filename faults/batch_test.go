package faults

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/seed"
	"github.com/lifeline-health/lifeline/store"
)

// timeRun runs the lifeline binary to completion and returns how long it
// took, failing the test if it fails.
func timeRun(t *testing.T, args ...string) time.Duration {
	t.Helper()
	begin := time.Now()
	p := start(t, exec.Command(lifelineBin(t), args...))
	p.wait(t, 5*time.Minute)
	return time.Since(begin)
}

// countRows returns the rows of a table after checking the store is whole.
func countRows(t *testing.T, path, table string) int {
	t.Helper()
	sq := checkSQLite(t, path)
	defer sq.Close()
	var n int
	// Killed while the schema was being created: migrations are
	// transactions, so the table is there whole or not at all.
	if err := sq.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil || n == 0 {
		return 0
	}
	if err := sq.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestKillDuringImport kills `lifeline import` of a big roster at random
// moments. An import is one transaction: after each kill the store is
// whole and holds either none of the roster or all of it.
func TestKillDuringImport(t *testing.T) {
	n := kills(t)
	bin := lifelineBin(t)
	dir := t.TempDir()
	const residents = 10000
	csvPath := filepath.Join(dir, "roster.csv")
	var buf bytes.Buffer
	if err := seed.WriteRosterCSV(&buf, seed.Config{Residents: residents, Seed: 7, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(csvPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rows := strings.Count(buf.String(), "\n") - 1

	// One whole import shows how long the window to kill in is, and how
	// many residents the file makes.
	full := filepath.Join(dir, "full.db")
	d := timeRun(t, "--db", full, "import", csvPath)
	want := countRows(t, full, "residents")
	if want < rows*9/10 {
		t.Fatalf("a whole import stored %d residents from %d rows", want, rows)
	}

	partial, whole := 0, 0
	for i := range n {
		db := filepath.Join(dir, fmt.Sprintf("kill-%02d.db", i))
		p := start(t, exec.Command(bin, "--db", db, "import", csvPath))
		p.killAfter(t, randDelay(0, d))
		if _, err := os.Stat(db); err != nil {
			partial++ // killed before the store was created: nothing to check
			continue
		}
		switch got := countRows(t, db, "residents"); got {
		case 0:
			partial++
		case want:
			whole++
		default:
			t.Fatalf("kill %d: %d of %d residents stored: an import must be all or nothing", i, got, want)
		}
		// The store still works: the same import now completes.
		if i%5 == 0 {
			timeRun(t, "--db", db, "import", csvPath)
			if got := countRows(t, db, "residents"); got != want {
				t.Fatalf("kill %d: re-import stored %d residents, want %d", i, got, want)
			}
		}
	}
	t.Logf("%d kills over a %s import of %d residents: %d left nothing, %d had finished", n, d.Round(time.Millisecond), want, partial, whole)
}

// TestKillDuringBatchPrint kills `lifeline print` of a community's cards
// at random moments. After each kill every PDF under its final name is
// complete, and the store is whole.
func TestKillDuringBatchPrint(t *testing.T) {
	n := kills(t)
	bin := lifelineBin(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "lifeline.db")
	keys := filepath.Join(dir, "keys")
	if _, err := code.GenerateKey(keys, time.Now().Add(-time.Hour), time.Now().Add(60*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var b lifeline.ImportBatch
	for i := range 200 {
		stem := fmt.Sprintf("110105%04d0101%03d", 1940+i%60, i%1000)
		c, _ := lifeline.MainlandIDCheckDigit(stem)
		b.Residents = append(b.Residents, lifeline.Resident{Name: []string{"张三丰", "李娜", "王小明", "赵喆"}[i%4],
			Doc:     lifeline.Document{Type: lifeline.DocMainlandID, Number: stem + string(c)},
			Address: lifeline.Address{Community: "阳光社区", Building: fmt.Sprint(1 + i/50), Unit: "1", Room: fmt.Sprint(101 + i%50)}})
	}
	if _, err := db.Import(ctx, &b); err != nil {
		t.Fatal(err)
	}
	db.Close()
	args := func(out string) []string {
		return []string{"--db", path, "print", "--keys", keys, "--community", "阳光社区", "--pages-per-file", "4", "--out", out}
	}
	fullDir := filepath.Join(dir, "full")
	os.Mkdir(fullDir, 0o755)
	d := timeRun(t, args(filepath.Join(fullDir, "cards.pdf"))...)
	files := checkPDFs(t, fullDir)
	if files < 2 {
		t.Fatalf("a whole print wrote %d files, want several", files)
	}

	complete := 0
	for i := range n {
		out := filepath.Join(dir, fmt.Sprintf("kill-%02d", i))
		os.Mkdir(out, 0o755)
		p := start(t, exec.Command(bin, args(filepath.Join(out, "cards.pdf"))...))
		p.killAfter(t, randDelay(0, d))
		complete += checkPDFs(t, out)
		checkSQLite(t, path).Close()
	}
	t.Logf("%d kills over a %s print of %d files: %d complete PDFs found under final names, none partial", n, d.Round(time.Millisecond), files, complete)
}

// checkPDFs fails the test if any file with a .pdf name in dir is not a
// complete PDF, and returns how many there are.
func checkPDFs(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".pdf") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		tail := bytes.TrimRight(b, "\r\n \t")
		if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.HasSuffix(tail, []byte("%%EOF")) || !bytes.Contains(b, []byte("startxref")) {
			t.Fatalf("%s is a half-written PDF under its final name (%d bytes)", e.Name(), len(b))
		}
		n++
	}
	return n
}
