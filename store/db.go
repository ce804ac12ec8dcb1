// Package store implements lifeline.Store on SQL: SQLite (modernc.org/sqlite,
// no cgo) for one office, PostgreSQL (pgx) for a city. One package, not
// sqlite/ and postgres/: the two differ only in a handful of statements
// (placeholders, identity columns, row claiming), so they share one
// implementation and one test suite instead of drifting apart.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	_ "modernc.org/sqlite"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Dialect says which SQL database a DB talks to.
type Dialect int

// Dialects.
const (
	SQLite Dialect = iota
	Postgres
)

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
	dialect        Dialect
	// inbound and statusReads gather concurrent BeginInbound and
	// StatusByPhone calls (see there).
	inbound     batcher[*inboundWait]
	statusReads batcher[*statusWait]
	// inboundLog is what a SQLite store knows of the MessageSids in its
	// log file (see inbound.go).
	inboundLog inboundLog
	// Now is the clock; tests replace it.
	Now func() time.Time
}

var _ lifeline.Store = (*DB)(nil)

// IsPostgres reports whether a --db value names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens (creating if needed) the store at dsn, a SQLite file path or a
// postgres:// URL, and brings its schema up to date.
func Open(ctx context.Context, dsn string) (*DB, error) {
	db := &DB{Now: time.Now}
	db.inbound = batcher[*inboundWait]{run: db.commitInbound, linger: inboundLinger, lingerUnder: inboundFull}
	db.statusReads = batcher[*statusWait]{run: db.readStatuses, max: maxStatusBatch}
	if IsPostgres(dsn) {
		if err := db.openPostgres(ctx, dsn); err != nil {
			return nil, err
		}
	} else if err := db.openSQLite(dsn); err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// sqliteDSN is the data source name of the SQLite file at path.
func sqliteDSN(path string) string {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "foreign_keys(ON)", "busy_timeout(10000)", "synchronous(NORMAL)", "cache_size(-65536)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// LogPath is where a SQLite store at path keeps its logs: the SMS
// gateway's inbound messages and the audit entries not written with a
// change (see DB.log).
func LogPath(path string) string { return path + "-log" }

// logSchema is the schema of a SQLite store's log file. The tables are
// those of migrations 0001 (audit_log) and 0003 (inbound_messages), which
// PostgreSQL keeps in the store itself; the audit_log here has no foreign
// key, being in another file.
const logSchema = `CREATE TABLE IF NOT EXISTS inbound_messages (
	sid TEXT PRIMARY KEY,
	from_phone TEXT NOT NULL,
	command TEXT NOT NULL DEFAULT '',
	reply TEXT NOT NULL DEFAULT '',
	received_at BIGINT NOT NULL,
	finished_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS inbound_messages_received ON inbound_messages (received_at);
CREATE TABLE IF NOT EXISTS audit_log (
	id INTEGER PRIMARY KEY,
	at BIGINT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	resident_id BIGINT,
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_log_resident ON audit_log (resident_id, id);`

// pageSize is the page size of a new store's file (SQLite's default is
// 4 KiB). Pages four times bigger make a big import 10-15% faster: its
// commit writes a quarter as many WAL frames (two writes each) and copies
// a quarter as many pages into the file, and its B-trees split a quarter
// as often. Searches and the gateway's status reads at a million
// residents take the same time with either (BenchmarkFind*,
// BenchmarkStatusByPhone). A store made before keeps the size it has: SQLite
// cannot change it in WAL mode. The log file keeps 4 KiB pages: its
// commits are a few rows each.
const pageSize = 16384

// createSQLite makes the file at path a WAL database of pageSize pages if
// it does not exist yet or is empty. The page size must be set before the
// file's first page is written, and the driver runs the DSN's PRAGMAs in
// alphabetical order, journal_mode (which writes it) before page_size.
func createSQLite(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 || err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil // an existing store, or one Open reports on
	}
	c, err := sql.Open("sqlite", "file:"+path+"?_pragma="+url.QueryEscape(fmt.Sprintf("page_size(%d)", pageSize)))
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Exec(`PRAGMA journal_mode=WAL`)
	return err
}

func (db *DB) openSQLite(path string) error {
	if err := createSQLite(path); err != nil {
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法创建数据库文件 "+path, "cannot create the database file "+path))
	}
	dsn := sqliteDSN(path)
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	// Readers map the file (mmap_size): pages come straight from the OS
	// page cache, shared by every connection, instead of each connection
	// copying them into a page cache of its own with pread. Now that the
	// logs written on every search and message are in another file, a
	// reader's cache is rarely reset, and filling eight private caches
	// page by page cost a search at a million residents half again its CPU
	// (BenchmarkFind*: 1.2-1.5 CPU-ms and a p99 of 3.7-6.4 ms per tail
	// search unmapped, 0.7 CPU-ms and 2.9-3.3 ms mapped). The writer keeps
	// pread: it is the one connection that changes pages.
	r, err := sql.Open("sqlite", dsn+"&mode=ro&_pragma="+url.QueryEscape("mmap_size(2147483648)"))
	if err != nil {
		w.Close()
		return fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	db.w, db.r, db.dialect = w, r, SQLite
	// Touch the file through the writer first so WAL mode is set before
	// readers open it.
	if _, err := w.Exec("SELECT 1"); err != nil {
		db.Close()
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法打开数据库文件 "+path, "cannot open the database file "+path))
	}
	logPath := LogPath(path)
	// The log file takes a commit per batch of messages. SQLite's default
	// is that the commit which takes the WAL past 1,000 pages copies them
	// all into the file and syncs it, while every message in flight waits
	// for that commit (10-60 ms, a few times a second under a surge). Here
	// the writer never checkpoints; a goroutine of its own does, without
	// blocking the writer (see checkpointer).
	l, err := sql.Open("sqlite", sqliteDSN(logPath)+"&_pragma="+url.QueryEscape("wal_autocheckpoint(0)"))
	if err != nil {
		db.Close()
		return fmt.Errorf("open %s: %w", logPath, err)
	}
	l.SetMaxOpenConns(1)
	l.SetConnMaxIdleTime(0)
	db.log = l
	if _, err := l.Exec(logSchema + ";\n" + inboundLogSchema); err != nil {
		db.Close()
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法打开数据库文件 "+logPath, "cannot open the database file "+logPath))
	}
	ck, err := sql.Open("sqlite", sqliteDSN(logPath))
	if err != nil {
		db.Close()
		return fmt.Errorf("open %s: %w", logPath, err)
	}
	ck.SetMaxOpenConns(1)
	db.logCheckpoints = &checkpointer{db: ck, stop: make(chan struct{}), done: make(chan struct{})}
	go db.logCheckpoints.run(logCheckpointEvery)
	return nil
}

// logCheckpointEvery is how often the log file's WAL is checkpointed: at
// the most a surge writes (some ten thousand messages a second) the WAL
// grows by a few megabytes in between.
const logCheckpointEvery = 250 * time.Millisecond

// checkpointer copies a SQLite file's WAL into the file in the background:
// PASSIVE checkpoints, which never wait for the writer or readers and
// copy what no reader still needs; the writer starts the WAL over once a
// checkpoint has copied all of it. A crash at any point is safe: the WAL
// is the record until it is copied.
type checkpointer struct {
	db         *sql.DB
	stop, done chan struct{}
	closeOnce  sync.Once
	closeErr   error
}

func (c *checkpointer) run(every time.Duration) {
	defer close(c.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		// An error (the file busy past busy_timeout, a disk error) leaves
		// the frames in the WAL for the next round.
		c.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
	}
}

// close stops the checkpoints and closes their connection (once: a DB may
// be closed twice).
func (c *checkpointer) close() error {
	c.closeOnce.Do(func() {
		close(c.stop)
		<-c.done
		c.closeErr = c.db.Close()
	})
	return c.closeErr
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

// Dialect returns which database this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// SQL rewrites a query written with ? placeholders for the dialect.
func (db *DB) SQL(q string) string {
	if db.dialect != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

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
// giving up does not fail the others. On PostgreSQL it ends after 30 s, as
// a server that went away must not hold the batch for ever. On SQLite it
// has no end: a statement on a file in this process cannot hang on a
// network (waiting for the writer is bounded by busy_timeout), and a
// cancellable context costs every statement two goroutines that watch it
// (database/sql's and the driver's), more CPU than a status lookup itself.
func (db *DB) batchContext() (context.Context, context.CancelFunc) {
	if db.dialect == SQLite {
		return context.Background(), func() {}
	}
	return context.WithTimeout(context.Background(), 30*time.Second)
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
// only their primary key.
func migrations(d Dialect) ([]migration, error) {
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
		s := string(b)
		if d == Postgres {
			s = strings.ReplaceAll(s, "{{ID}}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
			s = strings.ReplaceAll(s, "{{BLOB}}", "BYTEA")
			s = strings.ReplaceAll(s, "{{CTEXT}}", `TEXT COLLATE "C"`)
			s = strings.ReplaceAll(s, "{{NOROWID}}", "")
		} else {
			s = strings.ReplaceAll(s, "{{ID}}", "INTEGER PRIMARY KEY")
			s = strings.ReplaceAll(s, "{{BLOB}}", "BLOB")
			s = strings.ReplaceAll(s, "{{CTEXT}}", "TEXT")
			s = strings.ReplaceAll(s, "{{NOROWID}}", " WITHOUT ROWID")
		}
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
	if db.dialect == Postgres {
		// Several replicas may start at once: one migrates, the others wait.
		// An advisory lock belongs to a session, so it is taken and released
		// on one dedicated connection, not on whichever the pool hands out.
		conn, err := db.w.Conn(ctx)
		if err != nil {
			return db.unavailable(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7370001)"); err != nil {
			return db.unavailable(err)
		}
		defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(7370001)")
	}
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return db.unavailable(err)
	}
	ms, err := migrations(db.dialect)
	if err != nil {
		return err
	}
	applied := map[int]bool{}
	rows, err := db.w.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return db.unavailable(err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
	}
	rows.Close()
	for _, m := range ms {
		if applied[m.version] {
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
