// Package storetest is the store's test suite, written once and run against
// every database the store supports: store/sqlite_test.go runs it on a
// SQLite file, store/postgres_test.go on PostgreSQL.
//
// Each file of the suite registers its tests from an init function, so a
// new area of the store adds a file here without editing this one.
package storetest

import (
	"context"
	"database/sql"
	"sync"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
)

type test struct {
	name string
	fn   func(t *testing.T, db *store.DB)
}

var tests []test

// register adds a test to the suite; call it from an init function.
func register(name string, fn func(t *testing.T, db *store.DB)) {
	for _, x := range tests {
		if x.name == name {
			panic("storetest: test registered twice: " + name)
		}
	}
	tests = append(tests, test{name, fn})
}

// dsns is the address of each store under test (*store.DB → string), for
// count, which reads the database itself.
var dsns sync.Map

// Run runs every registered test as a subtest, each on a fresh store at
// the address dsn returns: a SQLite file's path or a postgres:// URL.
func Run(t *testing.T, dsn func(t *testing.T) string) {
	for _, x := range tests {
		t.Run(x.name, func(t *testing.T) {
			addr := dsn(t)
			db, err := store.Open(context.Background(), addr)
			if err != nil {
				t.Fatalf("open %s: %v", addr, err)
			}
			dsns.Store(db, addr)
			t.Cleanup(func() {
				dsns.Delete(db)
				db.Close()
			})
			x.fn(t, db)
		})
	}
}

// count runs a query that counts rows of the store's own tables (q takes
// no parameters), on a connection of its own: no method of the store
// returns such counts.
func count(t *testing.T, db *store.DB, q string) int {
	t.Helper()
	c := openRaw(t, addrOf(t, db))
	var n int
	if err := c.QueryRowContext(t.Context(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// addrOf returns the address a store under test was opened at.
func addrOf(t *testing.T, db *store.DB) string {
	t.Helper()
	addr, ok := dsns.Load(db)
	if !ok {
		t.Fatal("not a store under test")
	}
	return addr.(string)
}

// openRaw opens the database at addr (a SQLite file or a postgres:// URL)
// with no store around it, closed when the test ends.
func openRaw(t *testing.T, addr string) *sql.DB {
	t.Helper()
	driver, name := "sqlite", "file:"+addr+"?_pragma=busy_timeout(10000)"
	if store.IsPostgres(addr) {
		driver, name = "pgx", addr
	}
	c, err := sql.Open(driver, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// audited counts the audit log's entries, about anyone, with an action
// ("": every entry), wherever the store keeps them.
func audited(t *testing.T, db *store.DB, action string) int {
	t.Helper()
	log, err := db.AuditLog(context.Background(), 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range log {
		if action == "" || e.Action == action {
			n++
		}
	}
	return n
}

// ctx returns a context whose actor is a staff user, for the audit log.
func ctx(t *testing.T) context.Context {
	return lifeline.WithActor(t.Context(), lifeline.Actor{User: "staff:test"})
}

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode fails the test unless err carries the application error code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := lifeline.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}
