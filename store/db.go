// Package store implements lifeline.Store on SQL: SQLite (modernc.org/sqlite,
// no cgo) for one office, PostgreSQL (pgx) for a city. One package, not
// sqlite/ and postgres/: most of what the store sends is the same SQL on
// both, and it is written once, with one test suite (storetest), instead
// of twice and drifting apart. Where the two differ, a file's name says
// which database it is for:
//
//   - dialect.go is the SQL that differs word by word: placeholders, the
//     migrations' type names, the outbox claim's row locks, upserts that
//     skip conflicts, a few functions. Nothing else asks which database it
//     talks to.
//   - Where SQLite needs more than other words, DB holds a small
//     interface, and the SQLite side is in the files named sqlite*.go:
//     sqlite.go opens the store and its log file (PATH-log) and
//     checkpoints the log in the background; sqlite_inbound.go keeps
//     MessageSids in generations (inboundStore; PostgreSQL's one table is
//     inboundTable in inbound.go); sqlite_bulk.go makes big imports fast
//     with raw driver statements, ids SQLite assigns and indexes built
//     once (bulkWriting); sqlite_pagecache_linux.go gives SQLite's page
//     caches a buffer in huge pages, on its own: nothing else depends on
//     it, and an import works the same without it.
//   - postgres.go opens a PostgreSQL store and holds the little only it
//     does (ids from sequences, the other side of bulkWriting).
//
// Every other file is one implementation for both, named for what it
// stores (residents.go, search.go, messages.go, codes.go, …). The SQLite
// parts are files of this package rather than a package of their own
// because they work through the same pools, transactions, prepared
// statements and errors as the rest, which a package boundary would have
// to export; the sqlite prefix keeps them together in a listing.
//
// What a staff member may read and change is decided here, not by the
// screens: the community of the actor in the context (see scope.go).
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is a lifeline.Store on a SQL database. Writes go through w (one
// connection on SQLite, so writers queue in Go instead of failing with
// SQLITE_BUSY); reads go through r.
type DB struct {
	w, r *sql.DB
	// log holds the two logs written on every message and every lookup:
	// the SMS gateway's inbound messages and the audit entries written
	// alone (a search, a view, a reveal). On SQLite it is a file of its own
	// beside the store (PATH-log): in WAL mode any commit to a file makes
	// every reader of that file drop its page cache, so a surge of
	// messages or keystrokes logged in the main file would slow every
	// status lookup and search down, and every one of them would wait for
	// the store's one writer, which an import holds for as long as it runs.
	// On PostgreSQL it is w.
	log *sql.DB
	// logCheckpoints checkpoints the SQLite log file (nil on PostgreSQL).
	logCheckpoints *checkpointer
	// dialect is the SQL that differs by database; sids and bulk are
	// what differs more (see the package doc).
	dialect *dialect
	sids    inboundStore
	bulk    bulkWriting
	// inbound and statusReads gather concurrent BeginInbound and
	// StatusByPhone calls (see there).
	inbound     batcher[*inboundWait]
	statusReads batcher[*statusWait]
	statusSQL   struct {
		once sync.Once
		text string
	}
	// warnings are what a person should know about the store as it was
	// opened (see Warnings).
	warnings []lifeline.Text
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// Warnings returns what an administrator should be told about the store
// as it was opened: its files readable by others than their owner.
func (db *DB) Warnings() []lifeline.Text { return db.warnings }

var _ lifeline.Store = (*DB)(nil)

// IsPostgres reports whether a --db value names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens (creating if needed) the store at dsn, a SQLite file path or a
// postgres:// URL, and brings its schema up to date.
func Open(ctx context.Context, dsn string) (*DB, error) {
	return open(ctx, dsn, true)
}

// OpenExisting is Open for a store that must exist already: a SQLite file
// that is missing or empty, or a PostgreSQL database without lifeline's
// tables, is ENOTFOUND and nothing is created. Commands that only read
// open their store this way, so a mistyped or forgotten --db is said
// rather than answered from a new, empty store.
func OpenExisting(ctx context.Context, dsn string) (*DB, error) {
	return open(ctx, dsn, false)
}

func open(ctx context.Context, dsn string, create bool) (*DB, error) {
	db := &DB{Now: time.Now}
	db.inbound = batcher[*inboundWait]{run: func(b []*inboundWait) { db.sids.record(b) }, linger: inboundLinger, lingerUnder: inboundFull}
	db.statusReads = batcher[*statusWait]{run: db.readStatuses, max: maxStatusBatch}
	if IsPostgres(dsn) {
		if err := db.openPostgres(ctx, dsn); err != nil {
			return nil, err
		}
		if !create {
			if err := db.postgresHasStore(ctx); err != nil {
				db.Close()
				return nil, err
			}
		}
	} else {
		if fi, err := os.Stat(dsn); !create && (err != nil || fi.Size() == 0) {
			return nil, noStore(dsn)
		}
		if err := db.openSQLite(dsn); err != nil {
			return nil, err
		}
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// noStore is OpenExisting's error: nothing at dsn to open.
func noStore(dsn string) error {
	return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T(dsn+" 处没有数据库", "no store at "+dsn))
}

// Close closes the store.
func (db *DB) Close() error {
	var err error
	if db.logCheckpoints != nil {
		err = db.logCheckpoints.close()
	}
	if db.r != nil && db.r != db.w {
		if e := db.r.Close(); e != nil {
			err = e
		}
	}
	if db.log != nil && db.log != db.w {
		if e := db.log.Close(); e != nil {
			err = e
		}
	}
	if db.w != nil {
		if e := db.w.Close(); e != nil {
			err = e
		}
	}
	return err
}

// Ping checks the store answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("数据库暂时无法访问", "the database is unreachable"))
	}
	return nil
}

// SQL rewrites a query written with ? placeholders for the store's
// database.
func (db *DB) SQL(q string) string { return db.dialect.bind(q) }

// tx runs fn in a write transaction, committing if it returns nil.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return db.txOn(ctx, db.w, fn)
}

// beginner begins transactions: a pool (*sql.DB) or one of its
// connections (*sql.Conn).
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// txOn runs fn in a transaction on pool (db.w or db.log, or a connection
// of one).
func (db *DB) txOn(ctx context.Context, pool beginner, fn func(*sql.Tx) error) error {
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return db.unavailable(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return db.unavailable(err)
	}
	return nil
}

// batchContext is the context of a statement run for several callers at
// once (a group commit or a group read): none of theirs, so that one caller
// giving up does not fail the others. On PostgreSQL it ends after
// dialect.batchTimeout, as a server that went away must not hold the batch
// for ever. On SQLite it has no end: a statement on a file in this process
// cannot hang on a network (waiting for the writer is bounded by
// busy_timeout), and a cancellable context costs every statement two
// goroutines that watch it (database/sql's and the driver's), more CPU
// than a status lookup itself.
func (db *DB) batchContext() (context.Context, context.CancelFunc) {
	if db.dialect.batchTimeout == 0 {
		return context.Background(), func() {}
	}
	return context.WithTimeout(context.Background(), db.dialect.batchTimeout)
}

func (db *DB) unavailable(err error) error {
	var e *lifeline.Error
	if errors.As(err, &e) {
		return err
	}
	return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("数据库暂时无法访问，请稍后重试", "the database is unavailable; please try again shortly"))
}

// ms stores times as Unix milliseconds in a BIGINT: the same in both
// dialects, sortable, and with no time-zone surprises. Zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS is the inverse of ms.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations for a dialect, in order. Files
// are named NNNN_name.sql and written once for both dialects: {{ID}} becomes
// the dialect's auto-increment primary key, {{BLOB}} its byte type, {{CTEXT}}
// text compared byte by byte (so prefix ranges use the index under any
// PostgreSQL locale) and {{NOROWID}} SQLite's WITHOUT ROWID on tables that are
// only their primary key (see dialect.tokens).
func migrations(d *dialect) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", name)
		}
		b, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		s := d.tokens.Replace(string(b))
		out = append(out, migration{version: v, name: name, sql: s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a number", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// migrate applies the migrations not yet applied, each in its own
// transaction together with its row in schema_migrations, so a crash leaves
// the schema at a whole version.
func (db *DB) migrate(ctx context.Context) error {
	if lock := db.dialect.lockMigrations; lock != "" {
		// Several replicas may start at once: one migrates, the others wait.
		conn, err := db.w.Conn(ctx)
		if err != nil {
			return db.unavailable(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, lock); err != nil {
			return db.unavailable(err)
		}
		defer conn.ExecContext(context.Background(), db.dialect.unlockMigrations)
	}
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return db.unavailable(err)
	}
	ms, err := migrations(db.dialect)
	if err != nil {
		return err
	}
	applied := map[int]string{}
	err = eachRow(ctx, db, db.w, func(s scanner) (m migration, err error) { return m, s.Scan(&m.version, &m.name) },
		func(m migration) error { applied[m.version] = m.name; return nil }, "SELECT version, name FROM schema_migrations")
	if err != nil {
		return err
	}
	for _, m := range ms {
		if name, ok := applied[m.version]; ok && name != m.name {
			// A store made by another build of lifeline, whose migrations
			// are numbered otherwise: applying the rest would mix schemas.
			return lifeline.Errorf(lifeline.EINVALID, lifeline.T(
				fmt.Sprintf("数据库由另一版本的 lifeline 创建：其第 %d 步结构变更是 %s，本版本是 %s，无法打开", m.version, name, m.name),
				fmt.Sprintf("the store was made by another build of lifeline: its schema change %d is %s, this build's is %s, so it cannot be opened", m.version, name, m.name)))
		} else if ok {
			continue
		}
		err := db.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			_, err := tx.ExecContext(ctx, db.SQL("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"), m.version, m.name, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
