package sms

import (
	"context"
	"net/http"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// latencyBuckets are the upper bounds, in seconds, of the handler's
// latency histogram: fine below 50 ms, where the gateway's answers belong,
// and fine enough above it (no bucket more than half again its lower
// bound, up to 2 s) that a p99 read from them under a surge is a figure,
// not just "somewhere below a second".
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075,
	0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10}

// metrics is what GET /metrics shows, with the Go runtime's and the
// process's own metrics that operators expect beside them.
type metrics struct {
	reg *prometheus.Registry

	requests *prometheus.CounterVec // command, outcome
	duration prometheus.Histogram
	// turnWait is how long signed texts waited for a turn (MaxActive)
	// before the handler worked on them: the queue in front of duration.
	turnWait prometheus.Histogram
	// waiting is how many signed texts wait for a turn right now.
	waiting prometheus.Gauge
	answers *prometheus.CounterVec // path: inline, outbox
	refused *prometheus.CounterVec // reason: unsigned, malformed, too_large, slow_body, unstorable
	shed    prometheus.Counter
	badSig  prometheus.Counter
	limited prometheus.Counter
	// limitNotices counts the limited messages told to wait (once per
	// number and window); the rest of limited went unanswered.
	limitNotices prometheus.Counter
	// unknown counts the messages that were no command, by the language
	// they were answered in (with the help text): what people type that
	// the parser does not yet understand.
	unknown   *prometheus.CounterVec // lang: zh, en
	voice     *prometheus.CounterVec // step
	conns     prometheus.Counter
	spooled   prometheus.Counter
	drained   prometheus.Counter
	holding   prometheus.Counter
	sent      prometheus.Counter
	sendFail  prometheus.Counter
	sendRetry prometheus.Counter
	throttled prometheus.Counter
	callbacks prometheus.Counter
}

func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
		f(c)
		return c
	}
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lifeline_sms_requests_total",
			Help: "Inbound messages accepted, by command and outcome (ok, unknown, queued, replay, limited, spooled, caller_gone…)."}, []string{"command", "outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "lifeline_sms_request_duration_seconds",
			Help: "Time the webhook handler took for a signed message, from its turn to its answer.", Buckets: latencyBuckets}),
		turnWait: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "lifeline_sms_turn_wait_seconds",
			Help: "Time a signed message waited for its turn (--max-active) before the handler worked on it.", Buckets: latencyBuckets}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{Name: "lifeline_sms_waiting_for_turn",
			Help: "Signed messages waiting for their turn (--max-active) right now."}),
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lifeline_sms_answers_total",
			Help: "Answers to texts, by the path they went: inline in the webhook's response, or through the outbox (counted when the provider accepts them)."}, []string{"path"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lifeline_sms_refused_total",
			Help: "Webhook requests refused before any store work, by reason."}, []string{"reason"}),
	}
	f(m.requests)
	f(m.duration)
	f(m.turnWait)
	f(m.waiting)
	f(m.answers)
	f(m.refused)
	m.unknown = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lifeline_sms_unrecognised_total",
		Help: "Inbound messages that were no command (answered with the help text), by the language of the answer."}, []string{"lang"})
	f(m.unknown)
	for _, l := range []string{"en", "zh"} {
		m.unknown.WithLabelValues(l) // both show, at 0 until counted
	}
	m.voice = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lifeline_voice_requests_total",
		Help: "Voice line requests answered, by step (greet, repeat, next, code, office, end, invalid, stranger, busy, error)."}, []string{"step"})
	f(m.voice)
	m.shed = counter("lifeline_sms_shed_total", "Signed messages answered 503 because they could not be stored at all (store unreachable and the spool full or failing).")
	m.badSig = counter("lifeline_sms_bad_signature_total", "Requests refused for a missing or wrong signature.")
	m.limited = counter("lifeline_sms_rate_limited_total", "Inbound messages over the per-number limit (told to wait once per window, then unanswered).")
	m.limitNotices = counter("lifeline_sms_rate_limit_notices_total", "Numbers over their limit told how long to wait.")
	m.conns = counter("lifeline_sms_connections_refused_total", "Connections closed at once because their source address held its share already.")
	m.spooled = counter("lifeline_sms_spooled_total", "Messages accepted into the local spool while the store was unreachable.")
	m.drained = counter("lifeline_sms_spool_drained_total", "Spooled messages written to the store once it was back.")
	m.holding = counter("lifeline_sms_holding_texts_total", "Holding texts sent to numbers whose answer waited too long for the store.")
	m.sent = counter("lifeline_sms_sent_total", "Outbound messages accepted by the provider.")
	m.sendFail = counter("lifeline_sms_send_failures_total", "Outbound messages that failed for good.")
	m.sendRetry = counter("lifeline_sms_send_retries_total", "Outbound send attempts that will be retried.")
	m.throttled = counter("lifeline_sms_send_throttled_total", "Sends the provider refused for the account's rate (429, 20429, 63018); the sender backs off.")
	m.callbacks = counter("lifeline_sms_status_callbacks_total", "Delivery status callbacks recorded.")
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// request counts one accepted message and the handler's time on it.
func (m *metrics) request(command, outcome string, d time.Duration) {
	m.requests.WithLabelValues(command, outcome).Inc()
	m.duration.Observe(d.Seconds())
}

// voiceStep counts one answered request of a call.
func (m *metrics) voiceStep(step string) {
	m.voice.WithLabelValues(step).Inc()
}

// unrecognised counts a message that was no command, answered in l.
func (m *metrics) unrecognised(l lifeline.Lang) {
	lang := "zh"
	if l == lifeline.En {
		lang = "en"
	}
	m.unknown.WithLabelValues(lang).Inc()
}

// watch adds the gauges read at each scrape: the store's queues, the
// spool, and the admission.
func (m *metrics) watch(s *Server) {
	m.reg.MustRegister(&gauges{s: s})
}

// gauges is a collector of what is read when /metrics is scraped. A read
// of the store that fails (the store is away) leaves its gauges out
// rather than reporting them wrong.
type gauges struct{ s *Server }

var (
	descDepth    = prometheus.NewDesc("lifeline_sms_outbox_depth", "Outbound messages waiting to be sent (answers and notices).", nil, nil)
	descWaiting  = prometheus.NewDesc("lifeline_sms_answers_waiting", "Accepted texts whose answer is not yet sent: pending in the inbound log or queued in the outbox.", nil, nil)
	descPending  = prometheus.NewDesc("lifeline_sms_answers_pending", "Accepted texts whose answer is not yet composed (the answerer's queue).", nil, nil)
	descOldest   = prometheus.NewDesc("lifeline_sms_oldest_waiting_answer_seconds", "How long the oldest accepted text without a sent answer has waited (0 when none waits).", nil, nil)
	descSpool    = prometheus.NewDesc("lifeline_sms_spool_messages", "Messages in the local spool, waiting for the store.", nil, nil)
	descSpoolB   = prometheus.NewDesc("lifeline_sms_spool_bytes", "Size of the local spool's files.", nil, nil)
	descInUse    = prometheus.NewDesc("lifeline_sms_admission_in_use", "Messages being answered inline now.", nil, nil)
	descQueued   = prometheus.NewDesc("lifeline_sms_admission_waiting", "Messages waiting for a slot to be answered inline.", nil, nil)
	descStoreUp  = prometheus.NewDesc("lifeline_sms_store_up", "1 when the last write to the store succeeded, 0 while messages go to the spool.", nil, nil)
	allGaugeDesc = []*prometheus.Desc{descDepth, descWaiting, descPending, descOldest, descSpool, descSpoolB, descInUse, descQueued, descStoreUp}
)

func (g *gauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allGaugeDesc {
		ch <- d
	}
}

func (g *gauges) Collect(ch chan<- prometheus.Metric) {
	s := g.s
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if n, err := s.cfg.Store.OutboxDepth(ctx); err == nil {
		gauge(descDepth, float64(n))
	}
	if b, err := s.cfg.Store.AnswerBacklog(ctx); err == nil {
		gauge(descWaiting, float64(b.Waiting))
		gauge(descPending, float64(b.Pending))
		age := 0.0
		if !b.Oldest.IsZero() {
			age = max(0, s.cfg.Now().Sub(b.Oldest).Seconds())
		}
		gauge(descOldest, age)
	}
	if s.spool != nil {
		n, size := s.spool.Stats()
		gauge(descSpool, float64(n))
		gauge(descSpoolB, float64(size))
	}
	inUse, waiting := s.admit.load()
	gauge(descInUse, float64(inUse))
	gauge(descQueued, float64(waiting))
	up := 1.0
	if s.storeDown() {
		up = 0
	}
	gauge(descStoreUp, up)
}

// metricsHandler serves the registry in Prometheus's text format (or
// OpenMetrics, when asked for).
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: nil})
}

// outcomeOf names how an accepted message was answered, for the requests
// counter.
func outcomeOf(st lifeline.InboundState) string {
	switch st {
	case lifeline.InboundPending:
		return "queued"
	case lifeline.InboundSilent:
		return "silent"
	}
	return "ok"
}
