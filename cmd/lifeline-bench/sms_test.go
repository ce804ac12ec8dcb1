package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// TestBenchSidsUnique: the load generator's MessageSids never repeat (a
// repeat would be answered from the store as a replay, not measured as a
// message) and are scattered, not in the order they are sent.
func TestBenchSidsUnique(t *testing.T) {
	g := newLoadGen([]string{"+8613900000000"}, "查询", 1)
	seen := map[string]bool{}
	ordered := 0
	prev := ""
	for n := int64(1); n <= 200000; n++ {
		sid := g.sid(n)
		if len(sid) != 34 || sid[:2] != "SM" {
			t.Fatalf("sid %q is not shaped like Twilio's (SM and 32 hex digits)", sid)
		}
		if seen[sid] {
			t.Fatalf("message %d repeats sid %s", n, sid)
		}
		seen[sid] = true
		if sid > prev {
			ordered++
		}
		prev = sid
	}
	// Random order: about half of the sids sort after the one before.
	if ordered > 110000 || ordered < 90000 {
		t.Fatalf("%d of 200000 sids sort after the one before: not scattered", ordered)
	}
	if a, b := g.sid(1), newLoadGen(nil, "", 1).sid(1); a == b {
		t.Fatalf("two runs share sid %s", a)
	}
}

// TestHistogramQuantiles: the gateway's own p50 and p99 over a phase come
// from the difference of two readings of its /metrics histogram.
func TestHistogramQuantiles(t *testing.T) {
	read := func(text string) []histBucket {
		b, err := parseHistogram(strings.NewReader(text), "lifeline_sms_request_duration_seconds_bucket")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const name = "lifeline_sms_request_duration_seconds_bucket"
	before := read(name + `{le="0.005"} 10` + "\n" + name + `{le="0.05"} 20` + "\n" + name + `{le="+Inf"} 20` + "\n# other lines\n")
	// 100 more: 60 under 5 ms, 39 under 50 ms, 1 slower.
	after := read(name + `{le="0.005"} 70` + "\n" + name + `{le="0.05"} 119` + "\n" + name + `{le="+Inf"} 120` + "\n")
	p50, p99, ok := histogramQuantiles(before, after)
	if !ok || p50 != 5*time.Millisecond || p99 != 50*time.Millisecond {
		t.Fatalf("p50 %v p99 %v ok %v; want 5ms and 50ms", p50, p99, ok)
	}
	if got := bucketBound(p99, after); got != "5ms–50ms" {
		t.Fatalf("bucketBound(p99) = %q; want the bucket's range 5ms–50ms", got)
	}
	if got := bucketBound(p50, after); got != "≤ 5ms" {
		t.Fatalf("bucketBound(p50) = %q; want ≤ 5ms (the first bucket)", got)
	}
	after[1].count = 118 // now 2 of 100 are slower than 50 ms
	if _, p99, _ := histogramQuantiles(before, after); p99 != -1 {
		t.Fatalf("p99 %v with 2%% over 50 ms, the largest bound; want -1 (beyond it)", p99)
	}
	if _, err := parseHistogram(strings.NewReader(name+`{le="x"} 1`), name); err == nil {
		t.Fatal("a bad bucket bound was accepted")
	}
}

// TestChildCPU: the CPU time read from /proc for a child that spins is
// what it spent, not nothing and not more than the wall time times the
// cores; and perRequest divides it by the requests answered.
func TestChildCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	cmd := exec.Command("yes") // spins on one core until killed
	cmd.Stdout = null
	if err := cmd.Start(); err != nil {
		t.Skip("no yes here: ", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	c := &child{cmd: cmd, done: make(chan struct{})}
	start := time.Now()
	for c.cpu() < 200*time.Millisecond && time.Since(start) < 30*time.Second {
		time.Sleep(50 * time.Millisecond)
	}
	got, wall := c.cpu(), time.Since(start)
	if got < 200*time.Millisecond || got > wall*time.Duration(runtime.NumCPU()) {
		t.Fatalf("cpu() = %v after %v of wall time", got, wall)
	}
	if s := perRequest(3*time.Millisecond, 1000); s != "3 µs" {
		t.Fatalf("perRequest = %q", s)
	}
	if s := perRequest(0, 1000); s != "?" {
		t.Fatalf("perRequest with no CPU time = %q", s)
	}
}

// TestReportSaysWhatAnUnknownErrorWas: a benchmark failing with an error
// of no known kind says what it was, beside lifeline's "internal error";
// a known one is its sentence alone.
func TestReportSaysWhatAnUnknownErrorWas(t *testing.T) {
	var out strings.Builder
	b := &Bench{Lang: lifeline.En, Stdout: io.Discard, Stderr: &out}
	if rc := report(b, errors.New("staff add: exit status 1")); rc != 1 || !strings.Contains(out.String(), "staff add: exit status 1") {
		t.Fatalf("exit %d, said %q", rc, out.String())
	}
	out.Reset()
	t.Setenv("LIFELINE_DEBUG", "")
	report(b, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有", "nothing there")))
	if out.String() != "nothing there\n" {
		t.Fatalf("a known error said %q", out.String())
	}
}

// TestEveryTextAnswered: a flood passes when every text taken is answered,
// with at most the failed requests' texts answered besides, and none
// refused.
func TestEveryTextAnswered(t *testing.T) {
	r := &result{ok: 60, accepted: 40, errors: 5}
	for answered, want := range map[int]bool{99: false, 100: true, 103: true, 105: true, 106: false} {
		if got := everyTextAnswered(r, answered); got != want {
			t.Errorf("100 taken, 5 failed, %d answered: %v, want %v", answered, got, want)
		}
	}
	r.shed = 1
	if everyTextAnswered(r, 100) {
		t.Error("a flood with a text refused passed")
	}
}
