// Package pgtest gives tests a PostgreSQL database: a fresh schema in the
// shared test database named by LIFELINE_TEST_POSTGRES (see scripts/pg.sh),
// or a private cluster of their own that they may stop and start again, for
// tests of what happens while the database is away.
//
// Tests that cannot get PostgreSQL are skipped with a message saying how to
// get it, never passed silently.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// EnvDSN is the environment variable naming the shared test database.
const EnvDSN = "LIFELINE_TEST_POSTGRES"

// DSN returns the URL of a fresh, empty schema in the shared test database,
// dropped when the test ends. It skips the test when LIFELINE_TEST_POSTGRES
// is not set. Each test gets its own schema, so tests can run in parallel and
// every one starts from an empty store.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvDSN)
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: %s is not set; run scripts/test-postgres.sh, or eval \"$(scripts/pg.sh start)\" first", EnvDSN)
	}
	dsn, drop, err := NewSchema(context.Background(), base)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(drop)
	return dsn
}

// NewSchema creates an empty schema in the database at base and returns a
// URL whose connections use it, and a function that drops it.
func NewSchema(ctx context.Context, base string) (dsn string, drop func(), err error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", EnvDSN, err)
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create schema in %s: %w", redact(u), err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop = func() {
		db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		db.Close()
	}
	return u.String(), drop, nil
}

func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// Cluster is a private PostgreSQL cluster started by a test.
type Cluster struct {
	// DSN is the URL of the cluster's "lifeline" database.
	DSN  string
	Port int

	bin  string
	dir  string
	cred *syscall.Credential
	t    testing.TB
}

// Bin returns the directory holding PostgreSQL's server binaries, or "" if
// none is installed.
func Bin() string {
	if d := os.Getenv("PG_BIN"); d != "" {
		return d
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func version(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

// Start starts a private cluster on a free loopback port, creates the
// database "lifeline" and stops and deletes everything when the test ends.
// It skips the test when PostgreSQL is not installed. The cluster does not
// fsync (it is thrown away), which makes tests fast; benchmarks that
// compare with a durable store use StartConf(t, Durable).
func Start(t testing.TB) *Cluster {
	t.Helper()
	return StartConf(t, "")
}

// Durable is postgresql.conf text that restores PostgreSQL's own durable
// defaults over Start's fast ones: every commit is flushed to disk.
const Durable = "fsync = on\nfull_page_writes = on\nsynchronous_commit = on\n"

// StartConf is Start with extra postgresql.conf lines, which override
// Start's settings.
func StartConf(t testing.TB, extra string) *Cluster {
	t.Helper()
	bin := Bin()
	if bin == "" {
		t.Skip("PostgreSQL is not installed (apt-get install postgresql, or scripts/setup.sh); skipping")
	}
	c := &Cluster{bin: bin, t: t}
	dir, err := os.MkdirTemp("", "lifeline-pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(c.remove)
	if os.Getuid() == 0 {
		// PostgreSQL refuses to run as root: run it as the package's user.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root and there is no postgres user to run PostgreSQL as; skipping")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	// TCP on loopback only: no Unix socket, whose path could outgrow the
	// kernel's limit under a deep TMPDIR.
	conf := "listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\nfsync = off\nfull_page_writes = off\nmax_connections = 200\n"
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(conf)
	f.WriteString(extra)
	f.Close()
	var lastErr error
	for range 5 {
		c.Port = freePort()
		if lastErr = c.Restart(); lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		t.Fatalf("pgtest: %v", lastErr)
	}
	if out, err := c.run("createdb", "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-U", "postgres", "lifeline"); err != nil {
		t.Fatalf("createdb: %v\n%s", err, out)
	}
	c.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/lifeline?sslmode=disable", c.Port)
	return c
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 20000 + int(time.Now().UnixNano()%20000)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd.CombinedOutput()
}

// Stop stops the cluster at once, as a crash or an operator would: open
// connections are cut. The data stays; Restart brings it back on the same
// port.
func (c *Cluster) Stop() error {
	out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Restart starts the (stopped) cluster again on its port and waits until it
// takes connections.
func (c *Cluster) Restart() error {
	out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "server.log"),
		"-o", "-p "+strconv.Itoa(c.Port), "-w", "-t", "60", "start")
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		return fmt.Errorf("pg_ctl start on port %d: %v: %s\n%s", c.Port, err, strings.TrimSpace(string(out)), tail(log))
	}
	return nil
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func (c *Cluster) remove() {
	if _, err := os.Stat(filepath.Join(c.dir, "data", "postmaster.pid")); err == nil {
		if err := c.Stop(); err != nil && !errors.Is(err, os.ErrNotExist) {
			c.t.Logf("pgtest: %v", err)
		}
	}
	os.RemoveAll(c.dir)
}
