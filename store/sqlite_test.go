package store_test

import (
	"path/filepath"
	"testing"

	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/storetest"
)

// openSQLite opens a fresh store on a SQLite file in the test's temp dir,
// closed when the test ends.
func openSQLite(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "lifeline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestSQLite runs the store suite on SQLite, each test on a fresh file in
// the test's temp dir.
func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), "lifeline.db") })
}
