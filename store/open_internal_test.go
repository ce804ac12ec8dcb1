package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
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

// TestLogSchemaMatchesMigrations: the log file's audit_log and
// inbound_messages (logSchema) have the columns and indexes the
// migrations give the store's own, which PostgreSQL uses: a column added
// to one and not the other fails here rather than in a query on one
// dialect. (audit_log's foreign key is left out on purpose: the residents
// are in the other file.)
func TestLogSchemaMatchesMigrations(t *testing.T) {
	db := openTemp(t)
	describe := func(c *sql.DB, table string) string {
		var b strings.Builder
		rows, err := c.Query(`SELECT name, type, "notnull", COALESCE(dflt_value, ''), pk FROM pragma_table_info(?) ORDER BY cid`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, typ, dflt string
			var notNull, pk int
			if err := rows.Scan(&name, &typ, &notNull, &dflt, &pk); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "column %s %s notnull=%d default=%q pk=%d\n", name, typ, notNull, dflt, pk)
		}
		rows.Close()
		rows, err = c.Query(`SELECT il.name, il."unique", group_concat(ii.name, ',') FROM pragma_index_list(?) il, pragma_index_info(il.name) ii GROUP BY il.name ORDER BY il.name`, table)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var name, cols string
			var unique int
			if err := rows.Scan(&name, &unique, &cols); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "index %s unique=%d (%s)\n", name, unique, cols)
		}
		if b.Len() == 0 {
			t.Fatalf("no table %s", table)
		}
		return b.String()
	}
	for _, table := range []string{"audit_log", "inbound_messages"} {
		if store, log := describe(db.r, table), describe(db.log, table); store != log {
			t.Errorf("%s differs:\nmigrations:\n%slog file:\n%s", table, store, log)
		}
	}
}

// TestNewStorePageSize: a new store's file, or an empty one, gets pages of
// pageSize in WAL mode; a store made with SQLite's default keeps its pages
// and opens as before; the log file keeps the default.
func TestNewStorePageSize(t *testing.T) {
	pragma := func(c *sql.DB, name string) string {
		t.Helper()
		var v string
		if err := c.QueryRow(`PRAGMA ` + name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "new.db"), empty} {
		db := openPath(t, path)
		if got := pragma(db.w, "page_size"); got != strconv.Itoa(pageSize) {
			t.Errorf("%s: page_size = %s, want %d", filepath.Base(path), got, pageSize)
		}
		if got := pragma(db.r, "journal_mode"); got != "wal" {
			t.Errorf("%s: journal_mode = %s, want wal", filepath.Base(path), got)
		}
		if got := pragma(db.log, "page_size"); got != "4096" {
			t.Errorf("%s: log page_size = %s, want 4096", filepath.Base(path), got)
		}
	}

	old := filepath.Join(dir, "old.db")
	c, err := sql.Open("sqlite", "file:"+old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(`CREATE TABLE before_us (x)`); err != nil {
		t.Fatal(err)
	}
	c.Close()
	db := openPath(t, old)
	if got := pragma(db.w, "page_size"); got != "4096" {
		t.Errorf("a store made with 4 KiB pages: page_size = %s after Open", got)
	}
	if got := pragma(db.w, "journal_mode"); got != "wal" {
		t.Errorf("a store made with 4 KiB pages: journal_mode = %s after Open, want wal", got)
	}
	if _, err := db.FindResidents(context.Background(), lifeline.ResidentFilter{Query: "张"}); err != nil {
		t.Errorf("a store made with 4 KiB pages: %v", err)
	}
}
