package store_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
)

// TestSQLiteFilesAreTheOwners: a new store's files, its log's and their
// -wal and -shm are 0600 whatever the umask, the directory lifeline makes
// for them 0700, and a store opened with wider files says so.
func TestSQLiteFilesAreTheOwners(t *testing.T) {
	old := syscall.Umask(0o022) // the usual umask, which gives 0644
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "office", "data")
	path := filepath.Join(dir, "lifeline.db")
	db, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	// Write to both files, so that every -wal and -shm exists.
	if err := db.Audit(t.Context(), lifeline.AuditEntry{Action: "view"}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateStaff(t.Context(), &lifeline.Staff{User: "boss", Role: lifeline.RoleAdmin, PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	if w := db.Warnings(); len(w) != 0 {
		t.Errorf("a new store warns: %v", w)
	}
	var files []string
	for _, base := range []string{path, store.LogPath(path)} {
		for _, p := range []string{base, base + "-wal", base + "-shm"} {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("%s is %04o, want 0600", p, st.Mode().Perm())
			}
			files = append(files, p)
		}
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if st, _ := os.Stat(d); st.Mode().Perm() != 0o700 {
			t.Errorf("directory %s is %04o, want 0700", d, st.Mode().Perm())
		}
	}
	db.Close()

	// SQLite gives the -wal and -shm it makes the mode of their file: each
	// of the three is said.
	os.Chmod(path, 0o644)
	os.Chmod(store.LogPath(path), 0o640)
	db, err = store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var said []string
	for _, w := range db.Warnings() {
		said = append(said, w.In(lifeline.En))
	}
	if len(said) != 6 || !strings.Contains(said[0], path+" has permissions 0644") || !strings.Contains(said[0], "chmod 600 "+path) ||
		!strings.Contains(said[2], path+"-shm has permissions 0644") || !strings.Contains(said[3], store.LogPath(path)+" has permissions 0640") {
		t.Errorf("warnings %q", said)
	}
}

// TestSQLiteLogFileUpgrade: a log file made before audit entries had a
// place and a note gets the columns, and keeps its entries.
func TestSQLiteLogFileUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lifeline.db")
	db, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw := openFile(t, store.LogPath(path))
	if _, err := raw.Exec(`DROP TABLE audit_log; CREATE TABLE audit_log (id INTEGER PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, resident_id BIGINT, detail TEXT NOT NULL DEFAULT '');
		INSERT INTO audit_log (at, actor, action, detail) VALUES (1, 'staff:old', 'find', 'q')`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db, err = store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := lifeline.WithActor(t.Context(), lifeline.Actor{User: "staff:new", Place: "ssh 10.0.0.5:4000 session ab"})
	if err := db.Audit(ctx, lifeline.AuditEntry{Action: "find"}); err != nil {
		t.Fatal(err)
	}
	log, err := db.AuditLog(ctx, 0, 10)
	if err != nil || len(log) != 2 || log[0].Place != "ssh 10.0.0.5:4000 session ab" || log[1].Actor != "staff:old" {
		t.Fatalf("log %+v, %v", log, err)
	}
}

// openFile opens a SQLite file with no store around it.
func openFile(t *testing.T, path string) *sql.DB {
	t.Helper()
	c, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	return c
}
