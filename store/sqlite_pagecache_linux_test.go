package store

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

// TestReservePageCache: an import's pages go to the reserved buffer, the
// store it writes is whole, and the buffer is taken again once the
// connection is closed. SQLite takes the setting only before it starts, so
// the test runs again in a process of its own; this process, which opens
// a store first, shows that a reservation made too late changes nothing.
func TestReservePageCache(t *testing.T) {
	if !hugePages() {
		t.Skip("the system gives no transparent huge pages: nothing is reserved")
	}
	if os.Getenv("LIFELINE_TEST_PAGECACHE") == "" {
		db := openTemp(t)
		if ReservePageCache(50000) {
			t.Error("reserved after a store was opened")
		}
		if _, err := db.Import(context.Background(), &lifeline.ImportBatch{Residents: synth.Residents(0, 100)}); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestReservePageCache$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "LIFELINE_TEST_PAGECACHE=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("--- PASS: TestReservePageCache")) {
			t.Fatalf("in a process of its own: %v\n%s", err, out)
		}
		return
	}

	if ReservePageCache(1000) {
		t.Error("reserved for 1,000 rows: too small to be worth it")
	}
	if !ReservePageCache(50000) {
		t.Fatal("nothing reserved for 50,000 rows")
	}
	ctx := context.Background()
	path := t.TempDir() + "/lifeline.db"
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000
	if _, err := db.Import(ctx, &lifeline.ImportBatch{Residents: synth.Residents(0, n)}); err != nil {
		t.Fatal(err)
	}
	used, overflow := pageCacheUse()
	t.Logf("after the import: %d slots of the buffer used, %d bytes outside it", used, overflow)
	if used < 200 {
		t.Errorf("%d slots of the buffer used after importing %d residents: the pages went elsewhere", used, n)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if after, _ := pageCacheUse(); after >= used {
		t.Errorf("%d slots used after the store closed, %d before: the pages were not given back", after, used)
	}

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.w.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	var got int
	if err := db.r.QueryRow(`SELECT count(*) FROM residents`).Scan(&got); err != nil || got != n {
		t.Fatalf("%d residents stored, want %d (%v)", got, n, err)
	}
	if used, _ := pageCacheUse(); used == 0 {
		t.Error("the store opened again takes no slots of the buffer")
	}
}

// TestNoHugePagesReservesNothing: where the system gives no huge pages
// nothing is reserved, and an import works as it does anywhere else.
func TestNoHugePagesReservesNothing(t *testing.T) {
	never := filepath.Join(t.TempDir(), "enabled")
	if err := os.WriteFile(never, []byte("always madvise [never]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	defer func(p string) { transparentHugePages = p }(transparentHugePages)
	transparentHugePages = never
	if hugePages() {
		t.Fatal("huge pages seen where the kernel gives none")
	}
	if ReservePageCache(200000) {
		t.Fatal("reserved a page cache where the system gives no huge pages")
	}
	db := openTemp(t)
	st, err := db.Import(context.Background(), &lifeline.ImportBatch{Residents: synth.Residents(0, 500)})
	if err != nil || st.Inserted != 500 {
		t.Fatalf("import without huge pages: %+v, %v", st, err)
	}
}
