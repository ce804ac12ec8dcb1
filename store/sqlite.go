package store

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sync"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// What only a SQLite store has: two files (the store and its log), a
// background checkpointer for the log, and the connections' settings.

// cacheKiB is a connection's page cache, in KiB (SQLite's negative
// cache_size); a big import raises its writer's (see sqliteBulk.begin).
const cacheKiB = 65536

// sqliteDSN is the data source name of the SQLite file at path.
func sqliteDSN(path string) string {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "foreign_keys(ON)", "busy_timeout(10000)", "synchronous(NORMAL)", fmt.Sprintf("cache_size(-%d)", cacheKiB), "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// LogPath is where a SQLite store at path keeps its logs: the SMS
// gateway's inbound messages and the audit entries not written with a
// change (see DB.log).
func LogPath(path string) string { return path + "-log" }

// SpoolDir is where the SMS gateway of the store named by dsn keeps, by
// default, the messages it accepts while the store cannot take them (see
// sms.Spool): beside a SQLite store (PATH-spool), whose disk it shares, or
// lifeline-spool in the working directory of a replica of a PostgreSQL
// store, which it does not.
func SpoolDir(dsn string) string {
	if IsPostgres(dsn) {
		return "lifeline-spool"
	}
	return dsn + "-spool"
}

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
	detail TEXT NOT NULL DEFAULT '',
	place TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_log_resident ON audit_log (resident_id, id);`

// pageSize is the page size of a new store's file (SQLite's default is
// 4 KiB). Pages four times bigger make a big import faster: its commit
// writes a quarter as many WAL frames (two writes each) and copies a
// quarter as many pages into the file, and its B-trees split a quarter as
// often. Searches and the gateway's status reads take the same time with
// either (BenchmarkFind*, BenchmarkStatusByPhone). A store made before
// keeps the size it has: SQLite cannot change it in WAL mode. The log file
// keeps 4 KiB pages: its commits are a few rows each.
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
	if err := makeSQLiteFiles(path); err != nil {
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法创建数据库文件 "+path, "cannot create the database file "+path))
	}
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
	// page by page made a search on a big store spend much of its CPU
	// copying pages (BenchmarkFind*). The writer keeps pread: it is the
	// one connection that changes pages.
	r, err := sql.Open("sqlite", dsn+"&mode=ro&_pragma="+url.QueryEscape("mmap_size(2147483648)"))
	if err != nil {
		w.Close()
		return fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	db.w, db.r, db.dialect = w, r, sqliteDialect
	db.sids, db.bulk = &inboundLog{db: db}, sqliteBulk{db: db}
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
	// for that commit, over and over under a surge. Here the writer never
	// checkpoints; a goroutine of its own does, without blocking the
	// writer (see checkpointer).
	l, err := sql.Open("sqlite", sqliteDSN(logPath)+"&_pragma="+url.QueryEscape("wal_autocheckpoint(0)"))
	if err != nil {
		db.Close()
		return fmt.Errorf("open %s: %w", logPath, err)
	}
	l.SetMaxOpenConns(1)
	l.SetConnMaxIdleTime(0)
	db.log = l
	if _, err = l.Exec(logSchema + ";\n" + inboundLogSchema); err == nil {
		err = upgradeLog(l)
	}
	if err != nil {
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
	db.warnings = sqliteFileWarnings(path)
	return nil
}

// logCheckpointEvery is how often the log file's WAL is checkpointed:
// often enough that even a surge grows the WAL by only a few megabytes in
// between.
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
