package sms

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// latencyBuckets are the upper bounds, in seconds, of the request latency
// histogram.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// metrics counts what the gateway does, for GET /metrics in the Prometheus
// text format. Written by hand: a few counters do not need a dependency.
type metrics struct {
	requests sync.Map // [2]string{command, outcome} → *atomic.Uint64
	voice    sync.Map // step → *atomic.Uint64

	buckets  []atomic.Uint64 // per latencyBuckets, plus +Inf
	latSumNS atomic.Int64
	latCount atomic.Uint64
	shed     atomic.Uint64
	badSig   atomic.Uint64
	limited  atomic.Uint64
	// limitNotices counts the limited messages told to wait (once per
	// number and window); the rest of limited went unanswered.
	limitNotices atomic.Uint64
	// unknownZh and unknownEn count the messages that were no command, by
	// the language they were answered in (with the help text): what people
	// type that the parser does not yet understand.
	unknownZh, unknownEn atomic.Uint64
	sent                 atomic.Uint64
	sendFail             atomic.Uint64
	sendRetry            atomic.Uint64
	callbacks            atomic.Uint64
}

func newMetrics() *metrics {
	return &metrics{buckets: make([]atomic.Uint64, len(latencyBuckets)+1)}
}

// request counts one answered inbound message.
func (m *metrics) request(command, outcome string, d time.Duration) {
	// A handful of (command, outcome) pairs exist: after the first of each,
	// counting takes no lock.
	k := [2]string{command, outcome}
	c, ok := m.requests.Load(k)
	if !ok {
		c, _ = m.requests.LoadOrStore(k, new(atomic.Uint64))
	}
	c.(*atomic.Uint64).Add(1)
	s := d.Seconds()
	i := sort.SearchFloat64s(latencyBuckets, s)
	m.buckets[i].Add(1)
	m.latSumNS.Add(int64(d))
	m.latCount.Add(1)
}

// voiceStep counts one answered request of a call.
func (m *metrics) voiceStep(step string) {
	c, ok := m.voice.Load(step)
	if !ok {
		c, _ = m.voice.LoadOrStore(step, new(atomic.Uint64))
	}
	c.(*atomic.Uint64).Add(1)
}

// unrecognised counts a message that was no command, answered in l.
func (m *metrics) unrecognised(l lifeline.Lang) {
	if l == lifeline.En {
		m.unknownEn.Add(1)
	} else {
		m.unknownZh.Add(1)
	}
}

// write prints every metric; depth reads the outbox depth (it may fail,
// and then the gauge is left out rather than reported wrong).
func (m *metrics) write(ctx context.Context, w io.Writer, depth func(context.Context) (int, error)) {
	fmt.Fprintln(w, "# HELP lifeline_sms_requests_total Inbound messages answered, by command and outcome.")
	fmt.Fprintln(w, "# TYPE lifeline_sms_requests_total counter")
	counts := map[[2]string]uint64{}
	var keys [][2]string
	m.requests.Range(func(k, v any) bool {
		key := k.([2]string)
		counts[key] = v.(*atomic.Uint64).Load()
		keys = append(keys, key)
		return true
	})
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		fmt.Fprintf(w, "lifeline_sms_requests_total{command=%q,outcome=%q} %d\n", k[0], k[1], counts[k])
	}

	fmt.Fprintln(w, "# HELP lifeline_sms_request_duration_seconds Time to answer an inbound message.")
	fmt.Fprintln(w, "# TYPE lifeline_sms_request_duration_seconds histogram")
	var cum uint64
	for i, le := range latencyBuckets {
		cum += m.buckets[i].Load()
		fmt.Fprintf(w, "lifeline_sms_request_duration_seconds_bucket{le=\"%s\"} %d\n", strconv.FormatFloat(le, 'g', -1, 64), cum)
	}
	cum += m.buckets[len(latencyBuckets)].Load()
	fmt.Fprintf(w, "lifeline_sms_request_duration_seconds_bucket{le=\"+Inf\"} %d\n", cum)
	fmt.Fprintf(w, "lifeline_sms_request_duration_seconds_sum %s\n", strconv.FormatFloat(float64(m.latSumNS.Load())/1e9, 'g', -1, 64))
	fmt.Fprintf(w, "lifeline_sms_request_duration_seconds_count %d\n", m.latCount.Load())

	counter := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	fmt.Fprintln(w, "# HELP lifeline_voice_requests_total Voice line requests answered, by step (greet, repeat, next, code, office, end, invalid, stranger, busy, error).")
	fmt.Fprintln(w, "# TYPE lifeline_voice_requests_total counter")
	var steps []string
	stepCounts := map[string]uint64{}
	m.voice.Range(func(k, v any) bool {
		steps = append(steps, k.(string))
		stepCounts[k.(string)] = v.(*atomic.Uint64).Load()
		return true
	})
	sort.Strings(steps)
	for _, st := range steps {
		fmt.Fprintf(w, "lifeline_voice_requests_total{step=%q} %d\n", st, stepCounts[st])
	}
	counter("lifeline_sms_shed_total", "Requests turned away with 503 because the gateway was full.", m.shed.Load())
	counter("lifeline_sms_bad_signature_total", "Requests refused for a missing or wrong X-Twilio-Signature.", m.badSig.Load())
	counter("lifeline_sms_rate_limited_total", "Inbound messages over the per-number limit (told to wait once per window, then unanswered).", m.limited.Load())
	counter("lifeline_sms_rate_limit_notices_total", "Numbers over their limit told how long to wait.", m.limitNotices.Load())
	fmt.Fprintf(w, "# HELP lifeline_sms_unrecognised_total Inbound messages that were no command (answered with the help text), by the language of the answer.\n# TYPE lifeline_sms_unrecognised_total counter\n")
	fmt.Fprintf(w, "lifeline_sms_unrecognised_total{lang=\"en\"} %d\nlifeline_sms_unrecognised_total{lang=\"zh\"} %d\n", m.unknownEn.Load(), m.unknownZh.Load())
	counter("lifeline_sms_sent_total", "Outbound messages accepted by Twilio.", m.sent.Load())
	counter("lifeline_sms_send_failures_total", "Outbound messages that failed for good.", m.sendFail.Load())
	counter("lifeline_sms_send_retries_total", "Outbound send attempts that will be retried.", m.sendRetry.Load())
	counter("lifeline_sms_status_callbacks_total", "Delivery status callbacks recorded.", m.callbacks.Load())
	if depth != nil {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if n, err := depth(ctx); err == nil {
			fmt.Fprintf(w, "# HELP lifeline_sms_outbox_depth Outbound messages waiting to be sent.\n# TYPE lifeline_sms_outbox_depth gauge\nlifeline_sms_outbox_depth %d\n", n)
		}
	}
}
