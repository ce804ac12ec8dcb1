// Package cupstest gives tests a real, private CUPS scheduler
// (scripts/cupsd.sh) with one queue whose printer writes every job it is
// given to a file, so a test can print through lp and read what arrived.
// Tests that cannot start one (cupsd not installed) are skipped with a
// message saying how to get it, never passed silently.
package cupstest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// Queue is the print queue the private scheduler has.
const Queue = "lifeline"

// Server is a running private scheduler.
type Server struct {
	Dir string // its files
	Out string // where the queue's printer writes jobs, job-N.pdf
}

// Start starts a scheduler for the test and stops it when the test ends.
// It sets CUPS_SERVER for the test's process, so the test may not run in
// parallel with others.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("cupsd"); err != nil {
		if _, err := os.Stat("/usr/sbin/cupsd"); err != nil {
			t.Skip("CUPS tests skipped: cupsd is not installed; scripts/setup.sh installs cups-daemon and cups-client")
		}
	}
	// A Unix socket's path is short: not under a test's long temp dir.
	dir, err := os.MkdirTemp("", "cupsd")
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(repoRoot(), "scripts", "cupsd.sh")
	cmd := exec.Command(script, "start")
	cmd.Env = append(os.Environ(), "LIFELINE_CUPSD_DIR="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	t.Cleanup(func() {
		stop := exec.Command(script, "stop")
		stop.Env = append(os.Environ(), "LIFELINE_CUPSD_DIR="+dir)
		stop.Run()
		os.RemoveAll(dir)
	})
	if err != nil {
		t.Fatalf("cupstest: scripts/cupsd.sh start: %v\n%s", err, stderr.String())
	}
	s := &Server{Dir: dir}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		name, value, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		if !ok {
			continue
		}
		value = strings.Trim(value, "'")
		switch name {
		case "CUPS_SERVER":
			t.Setenv("CUPS_SERVER", value)
		case "LIFELINE_CUPS_OUT":
			s.Out = value
		}
	}
	if s.Out == "" {
		t.Fatalf("cupstest: scripts/cupsd.sh said nothing of where jobs go: %s", out)
	}
	return s
}

// Jobs returns the files the printer has written so far, oldest first.
func (s *Server) Jobs(t testing.TB) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(s.Out, "job-*.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(m, func(i, j int) bool {
		a, _ := os.Stat(m[i])
		b, _ := os.Stat(m[j])
		return a.ModTime().Before(b.ModTime())
	})
	return m
}

// WaitJobs waits until the printer has written n files and returns them.
func (s *Server) WaitJobs(t testing.TB, n int) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if jobs := s.Jobs(t); len(jobs) >= n || time.Now().After(deadline) {
			if len(jobs) < n {
				t.Fatalf("cupstest: the printer wrote %d files, want %d", len(jobs), n)
			}
			return jobs
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Run runs a CUPS command (cupsdisable, cupsenable, lpstat…) against the
// scheduler and fails the test if it fails.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
