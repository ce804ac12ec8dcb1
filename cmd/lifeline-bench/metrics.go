package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Histograms the benchmark reads: the handler's time from its turn to its
// answer, and the wait for that turn before it.
const (
	handlerSeconds  = "lifeline_sms_request_duration_seconds"
	turnWaitSeconds = "lifeline_sms_turn_wait_seconds"
)

// histogram reads one of the gateway's histograms from its /metrics:
// cumulative counts by upper bound, in the order given.
func histogram(metricsURL, name string) ([]histBucket, error) {
	resp, err := http.Get(metricsURL)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return parseHistogram(resp.Body, name+"_bucket")
}

type histBucket struct {
	le    float64 // +Inf for the last
	count int64
}

func parseHistogram(r io.Reader, name string) ([]histBucket, error) {
	var out []histBucket
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name+`{le="`)
		if !ok {
			continue
		}
		le, count, ok := strings.Cut(rest, `"} `)
		if !ok {
			return nil, fmt.Errorf("metrics: cannot read %q", line)
		}
		b := histBucket{}
		var err error
		if b.le, err = strconv.ParseFloat(strings.TrimPrefix(le, "+"), 64); err != nil {
			return nil, fmt.Errorf("metrics: bucket %q: %w", le, err)
		}
		if b.count, err = strconv.ParseInt(count, 10, 64); err != nil {
			return nil, fmt.Errorf("metrics: count %q: %w", count, err)
		}
		out = append(out, b)
	}
	return out, sc.Err()
}

// histogramQuantiles returns the upper bounds of the buckets holding the
// median and the 99th percentile of the requests counted between two
// readings of one histogram; -1 is beyond its largest finite bound.
func histogramQuantiles(before, after []histBucket) (p50, p99 time.Duration, ok bool) {
	if len(before) != len(after) || len(after) == 0 {
		return 0, 0, false
	}
	total := after[len(after)-1].count - before[len(before)-1].count
	if total <= 0 {
		return 0, 0, false
	}
	bound := func(q float64) time.Duration {
		for i := range after {
			if float64(after[i].count-before[i].count) >= q*float64(total) {
				if math.IsInf(after[i].le, 1) {
					return -1
				}
				return time.Duration(after[i].le * float64(time.Second))
			}
		}
		return -1
	}
	return bound(0.5), bound(0.99), true
}

// bucketBound says where a quantile from histogramQuantiles lies: within
// its bucket (above the bound below it, at most its own), or beyond the
// largest finite one.
func bucketBound(d time.Duration, after []histBucket) string {
	sec := func(le float64) time.Duration { return time.Duration(le * float64(time.Second)) }
	switch {
	case d < 0 && len(after) < 2: // only a +Inf bucket
		return "?"
	case d < 0:
		return "> " + sec(after[len(after)-2].le).String()
	}
	for i := 1; i < len(after); i++ {
		if sec(after[i].le) == d {
			return sec(after[i-1].le).String() + "–" + d.String()
		}
	}
	return "≤ " + d.String()
}

// gauge reads one sample, named with its labels as the exposition writes
// them, from a /metrics page.
func gauge(metricsURL, name string) (float64, bool) {
	resp, err := http.Get(metricsURL)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

// waitGauge polls a gauge until it reads want (or limit passes, or ctx
// ends) and returns how long that took. It polls four times a second: a
// scrape counts the backlog, which costs the gateway CPU the benchmark
// would otherwise count as answering.
func waitGauge(ctx context.Context, metricsURL, name string, want float64, limit time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < limit && ctx.Err() == nil {
		if v, ok := gauge(metricsURL, name); ok && v == want {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	return time.Since(start)
}
