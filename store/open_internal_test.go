package store

import (
	"path/filepath"
	"testing"
)

// openTemp opens a SQLite store in a directory of the test's own, closed
// when the test ends.
func openTemp(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(tb.Context(), filepath.Join(tb.TempDir(), "lifeline.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
