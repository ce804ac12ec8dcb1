package main

import (
	"strings"
	"testing"
	"time"
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
	after[1].count = 118 // now 2 of 100 are slower than 50 ms
	if _, p99, _ := histogramQuantiles(before, after); p99 != -1 {
		t.Fatalf("p99 %v with 2%% over 50 ms, the largest bound; want -1 (beyond it)", p99)
	}
	if _, err := parseHistogram(strings.NewReader(name+`{le="x"} 1`), name); err == nil {
		t.Fatal("a bad bucket bound was accepted")
	}
}
