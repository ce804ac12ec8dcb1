package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// child is a server process the benchmark started.
type child struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// waitFile polls for a file to appear, up to d.
func waitFile(path string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// startChild starts a server process where place puts servers, with env
// added to this one's, and waits until it answers on addr.
func startChild(ctx context.Context, place placement, exe, addr string, env []string, args ...string) (*child, error) {
	cmd := exec.Command(exe, args...)
	cmd.Env = append(append(os.Environ(), "TWILIO_AUTH_TOKEN="+benchToken, "TWILIO_ACCOUNT_SID="), env...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	orphanProof(cmd)
	if err := place.start(cmd); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(c.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for !healthy(addr) {
		select {
		case <-c.done:
			return nil, fmt.Errorf("%s %s exited before answering", filepath.Base(exe), strings.Join(args, " "))
		case <-ctx.Done():
			c.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, fmt.Errorf("%s did not start", addr)
		}
	}
	return c, nil
}

func healthy(addr string) bool {
	c := &http.Client{Timeout: 2 * time.Second}
	res, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == 200 || res.StatusCode == 404 // the bare handler answers anything
}

func (c *child) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

func (c *child) stop() {
	if c != nil && c.alive() {
		c.cmd.Process.Signal(os.Interrupt)
		select {
		case <-c.done:
		case <-time.After(15 * time.Second):
			c.cmd.Process.Kill()
			<-c.done
		}
	}
}

// procStatus reads one kB field of /proc/PID/status, in bytes.
func (c *child) procStatus(field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func (c *child) rss() int64 { return c.procStatus("VmRSS") }

// rssAnon is the resident memory that is the process's own (its heap and
// SQLite's page caches), without pages of files it maps, which VmRSS
// counts once for every mapping of them.
func (c *child) rssAnon() int64 { return c.procStatus("RssAnon") }
func (c *child) hwm() int64     { return c.procStatus("VmHWM") }

// cpu is the CPU time the child has used so far (user and system), from
// /proc/PID/stat; 0 where there is none.
func (c *child) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: utime and stime are the 12th and 13th of them.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux Go runs on.
const clockTicks = 100

// perRequest is CPU time per answered request, or "?".
func perRequest(cpu time.Duration, ok int) string {
	if cpu <= 0 || ok == 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f µs", float64(cpu.Microseconds())/float64(ok))
}

// during runs fn and returns the CPU time the child used meanwhile.
func (c *child) during(fn func()) time.Duration {
	c0 := c.cpu()
	fn()
	return c.cpu() - c0
}

// peakRSS runs fn and returns the child's largest resident set size seen
// meanwhile, sampled every 100 ms.
func (c *child) peakRSS(ctx context.Context, fn func()) int64 {
	var peak atomic.Int64
	sampleCtx, stopSample := context.WithCancel(ctx)
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if r := c.rss(); r > peak.Load() {
				peak.Store(r)
			}
			select {
			case <-sampleCtx.Done():
				return
			case <-t.C:
			}
		}
	}()
	fn()
	stopSample()
	<-sampled
	return peak.Load()
}
