package faults

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// childEnv names the role a re-executed test binary plays.
const childEnv = "LIFELINE_FAULTS_CHILD"

var (
	binDir    string
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(childMain(role))
	}
	var err error
	binDir, err = os.MkdirTemp("", "lifeline-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

// lifelineBin builds the lifeline binary once per test run and returns its
// path.
func lifelineBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binPath = filepath.Join(binDir, "lifeline")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/lifeline-health/lifeline/cmd/lifeline").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/lifeline: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// kills returns how many times each scenario kills its process.
func kills(t *testing.T) int {
	if testing.Short() {
		t.Skip("fault tests skipped in -short mode")
	}
	if s := os.Getenv("LIFELINE_FAULT_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("LIFELINE_FAULT_KILLS=%q: want a positive number", s)
		}
		return n
	}
	return 20
}

// proc is a child process whose stdout lines are collected as they come.
type proc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	lines  []string
	ready  chan struct{}
	done   chan struct{}
	stderr strings.Builder
}

// start runs a command, collecting stdout lines; a line "ready" closes
// p.ready.
func start(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{cmd: cmd, ready: make(chan struct{}), done: make(chan struct{})}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &lockedWriter{w: &p.stderr, mu: &p.mu}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		readyOnce := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			if line == "ready" {
				readyOnce.Do(func() { close(p.ready) })
				continue
			}
			p.mu.Lock()
			p.lines = append(p.lines, line)
			p.mu.Unlock()
		}
		readyOnce.Do(func() { close(p.ready) })
	}()
	return p
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// child returns a command running this test binary as a child in role.
func child(role string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), append([]string{childEnv + "=" + role}, env...)...)
	return cmd
}

// killAfter sends SIGKILL after d (or at once if the process already
// ended) and waits for the process and its output. It reports whether the
// process was still running when killed.
func (p *proc) killAfter(t *testing.T, d time.Duration) (killed bool) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	exited := make(chan error, 1)
	go func() { <-p.done; exited <- p.cmd.Wait() }()
	select {
	case <-timer.C:
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		return true
	case err := <-exited:
		if err != nil {
			t.Fatalf("%s ended before it was killed: %v\n%s", p.cmd.Path, err, p.errText())
		}
		return false
	}
}

// wait waits for the process to end by itself within d.
func (p *proc) wait(t *testing.T, d time.Duration) {
	t.Helper()
	exited := make(chan error, 1)
	go func() { <-p.done; exited <- p.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(p.cmd.Args, " "), err, p.errText())
		}
	case <-time.After(d):
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		t.Fatalf("%s did not finish within %s\n%s", strings.Join(p.cmd.Args, " "), d, p.errText())
	}
}

func (p *proc) output() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

func (p *proc) errText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// waitReady waits for the child's "ready" line.
func (p *proc) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-p.ready:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Signal(syscall.SIGKILL)
		t.Fatalf("child never became ready\n%s", p.errText())
	}
}

// randDelay returns a random duration in [lo, hi).
func randDelay(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rand.Int64N(int64(hi-lo)))
}

// checkSQLite opens a SQLite store file directly and checks it is whole:
// integrity_check says ok and no foreign key points nowhere.
func checkSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	if res != "ok" {
		t.Fatalf("integrity_check: %s", res)
	}
	rows, err := db.Query("PRAGMA foreign_key_check")
	if err != nil {
		t.Fatalf("foreign_key_check: %v", err)
	}
	defer rows.Close()
	if rows.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var fk int
		rows.Scan(&table, &rowid, &parent, &fk)
		t.Fatalf("foreign_key_check: row %d of %s points to a missing %s", rowid.Int64, table, parent)
	}
	return db
}

// ctx is a background context for store calls in the parent.
var ctx = context.Background()
