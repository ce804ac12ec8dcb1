package store

import (
	"context"
	"path/filepath"
	"testing"
)

// openTemp opens a SQLite store in a directory of the test's own, closed
// when the test ends.
func openTemp(tb testing.TB) *DB {
	tb.Helper()
	return openPath(tb, filepath.Join(tb.TempDir(), "lifeline.db"))
}

// openPath opens the SQLite store at path, closed (again, if the test
// closed it) when the test ends.
func openPath(tb testing.TB, path string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
