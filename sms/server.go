package sms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"golang.org/x/net/netutil"
)

// Store is what the gateway needs from lifeline's store.
type Store interface {
	lifeline.MessageService
	// StatusByPhone returns the residents a phone may ask about (its own,
	// then those it cares for through an approved link), holding what a
	// reply shows: ID, Name, Status and Address.Community.
	StatusByPhone(ctx context.Context, phone string) ([]*lifeline.Resident, error)
	RequestPrint(ctx context.Context, p *lifeline.PrintRequest) error
	// Audit writes the voice line's call log.
	Audit(ctx context.Context, e lifeline.AuditEntry) error
}

// Config configures a Server. Zero values get the defaults noted.
type Config struct {
	Store Store
	// Webhook reads and answers the provider's webhook. Default: Twilio's,
	// with AuthToken, Insecure and PublicURL.
	Webhook Webhook
	// AuthToken is the Twilio auth token that signs webhooks and
	// authenticates outbound calls. Empty only with Insecure.
	AuthToken string
	// Insecure accepts unsigned webhooks (local development only: Serve
	// then listens on loopback only).
	Insecure bool
	// PublicURL is the URL Twilio calls, e.g. https://sms.example.org: its
	// scheme, host and port are what Twilio signed.
	PublicURL string
	// Sender delivers the outbox (answers, then notices); nil runs no
	// sender, and answers wait in the outbox for a replica that has one.
	Sender *Sender
	// Spool keeps the messages accepted while the store cannot take them;
	// nil keeps none, and such a message is answered 503.
	Spool *Spool
	// Log receives one line per notable event, phones masked. Default: discard.
	Log *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Location is where dates in replies are read. Default UTC+8.
	Location *time.Location
	// StaleAfter marks a status older than this with its age. Default 24h.
	StaleAfter time.Duration
	// InlineBudget is how long a message's answer may take to compose and
	// still go back in the webhook's response (default 300ms); past it the
	// message is answered through the outbox. Negative: always through the
	// outbox.
	InlineBudget time.Duration
	// LeavePending leaves the messages not answered inline to another
	// replica on the same store to answer: this one takes texts in and
	// composes no answers through the outbox (a city's intake replicas,
	// near the provider, beside answering ones near the store).
	LeavePending bool
	// MaxInFlight messages are composed inline at once (default 128), and
	// MaxQueue more may wait up to QueueWait for a slot (default 64,
	// negative for none; 20ms): a message that finds no slot is accepted all the same and
	// answered through the outbox, so under a surge the gateway's work in
	// flight stays bounded without refusing anyone.
	MaxInFlight int
	MaxQueue    int
	QueueWait   time.Duration
	// MaxActive signed messages are worked on at once (default
	// MaxInFlight + MaxQueue + 64: room for texts answered through the
	// outbox while every inline slot waits on a slow store); the others
	// wait for a turn, parked. In a flood every connection held has a
	// request ready, and Go's scheduler has no priorities: without turns a
	// handler that waits for the group commit or a timer waits again, to
	// run, behind all of them (docs/performance.md).
	MaxActive int
	// MaxBody is the largest request body read (default 32 KiB), within
	// BodyTimeout of the handler's start (default 2 s): the body is read
	// before any slot is taken, so a body sent a byte at a time holds a
	// connection for that long at most, and nothing else.
	MaxBody     int64
	BodyTimeout time.Duration
	// AcceptTimeout bounds the wait for the store to record a message
	// (default 5 s); past it the message goes to the spool.
	AcceptTimeout time.Duration
	// MaxConns is how many connections Serve holds open at once (default
	// 2048); more wait in the kernel's accept queue, so a flood of
	// connections cannot grow memory without bound. MaxConnsPerSource of
	// them at most come from one address (default 512; negative: no cap).
	MaxConns          int
	MaxConnsPerSource int
	// SeparateMetrics leaves GET /metrics off the webhook's handler, for
	// a gateway that serves it on an internal address (ServeMetrics).
	SeparateMetrics bool
	// RateBurst replies per number, then one per RateRefill (default 5,
	// 1 minute); RateNumbers numbers are remembered (default 100000).
	RateBurst   int
	RateRefill  time.Duration
	RateNumbers int
	// HoldAfter is how long a message may wait in the spool before its
	// number gets one holding text (default 2 minutes; negative: never).
	HoldAfter time.Duration
	// ScanEvery is how often new results and expiring codes are looked for
	// (default 1 minute); ExpiryWarning is how far ahead (default 72h).
	ScanEvery     time.Duration
	ExpiryWarning time.Duration
	// Advice is what a yellow or red status reply (and the voice line)
	// tells the person to do, in the room left in the segment. Empty texts
	// get DefaultAdvice's.
	Advice Advice
	// Voice and VoiceLanguage are the voice line's Mandarin voice and its
	// language (default DefaultVoice, DefaultVoiceLanguage); VoiceEn and
	// VoiceLanguageEn speak to numbers that texted in English.
	Voice, VoiceLanguage, VoiceEn, VoiceLanguageEn string
	// OfficePhones are the numbers the voice line's key 9 dials, by
	// community ("" for every community without its own). With none, 9
	// says to visit the office.
	OfficePhones OfficePhones
	// CallbackGrace is how long a call turned away busy waits for its
	// status to be texted before a text asking to call again goes in its
	// place (default 15 minutes): see voiceBusy.
	CallbackGrace time.Duration
	// KeepInbound is how long an answered MessageSid is remembered, so that
	// a retry gets the same answer (default 48h; Twilio retries within
	// minutes). Older ones are forgotten once an hour.
	KeepInbound time.Duration
}

// Server is the SMS gateway.
type Server struct {
	cfg     Config
	webhook Webhook
	log     *slog.Logger
	limiter *rateLimiter
	admit   *admission
	turns   chan struct{} // one a message being worked on (MaxActive)
	metrics *metrics
	mux     *http.ServeMux
	spool   *Spool
	worker  string
	// down is when a write to the store last failed (Unix ns), 0 while
	// the store takes writes: while it is set, messages go straight to
	// the spool.
	down atomic.Int64
	// wake tells the answerer a message is pending.
	wake chan struct{}
	// langs is the numbers known to have texted in English (lang.go).
	langs langMemory
	// callbacks wakes callbackLoop when a busy call queues a text.
	callbacks chan struct{}
	// open counts the connections Serve holds; at MaxConns every answer
	// closes its connection (see handleInbound).
	open atomic.Int64
}

// NewServer checks cfg and builds a gateway.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("sms: no store")
	}
	if cfg.Webhook == nil {
		if cfg.AuthToken == "" && !cfg.Insecure {
			return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("未设置 TWILIO_AUTH_TOKEN：无法校验 Twilio 签名（本地试用可加 --insecure-no-signature）",
				"TWILIO_AUTH_TOKEN is not set, so Twilio signatures cannot be checked (for local trials add --insecure-no-signature)"))
		}
		pub, err := url.Parse(cfg.PublicURL)
		if err != nil || (pub.Scheme != "http" && pub.Scheme != "https") || pub.Host == "" {
			return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("--public-url 应为 Twilio 访问的地址，如 https://sms.example.org",
				"--public-url must be the URL Twilio calls, such as https://sms.example.org"))
		}
		cfg.Webhook = &Twilio{AuthToken: cfg.AuthToken, Insecure: cfg.Insecure, Public: pub}
	}
	defaults(&cfg)
	b := make([]byte, 4)
	rand.Read(b)
	s := &Server{
		cfg:     cfg,
		webhook: cfg.Webhook,
		log:     cfg.Log,
		limiter: newRateLimiter(cfg.RateBurst, cfg.RateRefill, cfg.RateNumbers),
		admit:   newAdmission(cfg.MaxInFlight, cfg.MaxQueue, cfg.QueueWait),
		turns:   make(chan struct{}, cfg.MaxActive),
		metrics: newMetrics(),
		mux:     http.NewServeMux(),
		spool:   cfg.Spool,
		worker:  "answerer-" + hex.EncodeToString(b),
		wake:    make(chan struct{}, 1),

		callbacks: make(chan struct{}, 1),
	}
	s.metrics.watch(s)
	if cfg.Sender != nil {
		cfg.Sender.metrics = s.metrics
		if cfg.Sender.log == nil {
			cfg.Sender.log = s.log
		}
	}
	s.mux.HandleFunc("POST /sms", s.handleInbound)
	s.mux.HandleFunc("POST /sms/status", s.handleStatus)
	// The voice line checks signatures as /sms does, and answers past
	// capacity itself (handleVoice).
	s.mux.HandleFunc("POST "+VoicePath, s.handleVoice)
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	if !cfg.SeparateMetrics {
		s.mux.Handle("GET /metrics", s.metrics.handler())
	}
	return s, nil
}

// defaults fills in the zero values of cfg.
func defaults(cfg *Config) {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&cfg.MaxInFlight, 128)
	if cfg.MaxQueue == 0 {
		cfg.MaxQueue = 64
	}
	def(&cfg.MaxActive, cfg.MaxInFlight+max(cfg.MaxQueue, 0)+64)
	def(&cfg.RateBurst, 5)
	def(&cfg.RateNumbers, 100000)
	def(&cfg.MaxConns, 2048)
	if cfg.MaxConnsPerSource == 0 {
		cfg.MaxConnsPerSource = 512
	}
	defD(&cfg.QueueWait, 20*time.Millisecond)
	defD(&cfg.InlineBudget, 300*time.Millisecond)
	defD(&cfg.BodyTimeout, 2*time.Second)
	defD(&cfg.AcceptTimeout, 5*time.Second)
	defD(&cfg.RateRefill, time.Minute)
	defD(&cfg.StaleAfter, 24*time.Hour)
	defD(&cfg.HoldAfter, 2*time.Minute)
	defD(&cfg.ScanEvery, time.Minute)
	defD(&cfg.ExpiryWarning, 72*time.Hour)
	defD(&cfg.KeepInbound, 48*time.Hour)
	defD(&cfg.CallbackGrace, 15*time.Minute)
	for _, v := range []struct {
		got *string
		def string
	}{{&cfg.Voice, DefaultVoice}, {&cfg.VoiceLanguage, DefaultVoiceLanguage},
		{&cfg.VoiceEn, DefaultVoiceEn}, {&cfg.VoiceLanguageEn, DefaultVoiceLanguageEn}} {
		if *v.got == "" {
			*v.got = v.def
		}
	}
	for _, t := range []struct{ got, def *lifeline.Text }{{&cfg.Advice.Yellow, &DefaultAdvice.Yellow}, {&cfg.Advice.Red, &DefaultAdvice.Red}} {
		if t.got.Zh == "" {
			t.got.Zh = t.def.Zh
		}
		if t.got.En == "" {
			t.got.En = t.def.En
		}
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 32 << 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = lifeline.ChinaTime
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Handler returns the gateway's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// MetricsHandler serves GET /metrics (see SeparateMetrics).
func (s *Server) MetricsHandler() http.Handler { return s.metrics.handler() }

// Run does the background work until ctx ends: the answerer, the spool's
// drain, the outbox sender, the scans that queue result and expiry
// notifications, and the status texts the busy voice line promised.
func (s *Server) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	loops := []func(context.Context){s.scanLoop, s.drainLoop, s.callbackLoop}
	if s.cfg.LeavePending {
		s.log.Warn("sms: this gateway answers inline only; texts left pending wait for another gateway on the store")
	} else {
		loops = append(loops, s.answerLoop)
	}
	for _, fn := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(ctx)
		}()
	}
	if s.cfg.Sender != nil {
		s.cfg.Sender.Run(ctx)
	}
	wg.Wait()
	return nil
}

// Serve answers HTTP on ln (at most MaxConns connections at once, and
// MaxConnsPerSource from one address) and runs the background work until
// ctx ends, then stops taking requests, lets those in flight finish (up to
// 10 s) and returns. A gateway that checks no signatures serves only on
// loopback.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.cfg.Insecure {
		if err := CheckLoopback(ln.Addr().String()); err != nil {
			return err
		}
	}
	hs := &http.Server{
		Handler: s.Handler(),
		// Twilio sends a request's headers and body at once; a caller that
		// dribbles them holds a connection this long at most.
		ReadHeaderTimeout: 3 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		// Idle keep-alive connections hold MaxConns slots: free them soon,
		// or after a flood new callers queue behind clients that left.
		IdleTimeout:    5 * time.Second,
		MaxHeaderBytes: 16 << 10,
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				s.open.Add(1)
			case http.StateClosed, http.StateHijacked:
				s.open.Add(-1)
			}
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	bg := make(chan struct{})
	go func() {
		defer close(bg)
		s.Run(runCtx)
	}()
	ln = limitPerSource(ln, s.cfg.MaxConnsPerSource, s.metrics.conns.Inc)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(netutil.LimitListener(ln, s.cfg.MaxConns)) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if e := hs.Shutdown(shut); e != nil && err == nil {
		err = e
	}
	stop()
	<-bg
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// ZeroMeansNone reads settings as a command line gives them, where 0
// turns a thing off rather than asking for the default: no inline answers
// (InlineBudget), no wait for a slot (MaxQueue), no holding texts
// (HoldAfter), no cap per source (MaxConnsPerSource).
func (c *Config) ZeroMeansNone() {
	for _, d := range []*time.Duration{&c.InlineBudget, &c.HoldAfter} {
		if *d == 0 {
			*d = -1
		}
	}
	for _, n := range []*int{&c.MaxQueue, &c.MaxConnsPerSource} {
		if *n == 0 {
			*n = -1
		}
	}
}

// ListenMetrics serves GET /metrics alone on addr (an internal address)
// in the background until ctx ends.
func (s *Server) ListenMetrics(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法监听 "+addr+"：地址被占用或不可用", "cannot listen on "+addr+": the address is busy or unavailable"))
	}
	go s.ServeMetrics(ctx, ln)
	return nil
}

// ServeMetrics serves GET /metrics alone on ln (an internal address)
// until ctx ends.
func (s *Server) ServeMetrics(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.MetricsHandler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// readForm reads a webhook's form: at most MaxBody, within BodyTimeout. It
// answers a request it refuses (413, 408 or 400) and returns ok=false.
func (s *Server) readForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout))
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
	err := parsePostForm(r)
	if err == nil {
		return r.PostForm, true
	}
	var tooBig *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooBig):
		s.metrics.refused.WithLabelValues("too_large").Inc()
		w.WriteHeader(http.StatusRequestEntityTooLarge)
	case errors.As(err, &netErr) && netErr.Timeout():
		s.metrics.refused.WithLabelValues("slow_body").Inc()
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusRequestTimeout)
	default:
		s.metrics.refused.WithLabelValues("malformed").Inc()
		w.WriteHeader(http.StatusBadRequest)
	}
	return nil, false
}

// verified reads a webhook's form and checks it comes from the provider,
// answering and returning ok=false when not. No store work, and no slot,
// is spent before both.
func (s *Server) verified(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	form, ok := s.readForm(w, r)
	if !ok {
		return nil, false
	}
	if !s.webhook.Verify(r, form) {
		s.metrics.badSig.Inc()
		s.metrics.refused.WithLabelValues("unsigned").Inc()
		s.log.Warn("sms: refused a request with a missing or wrong signature", "path", r.URL.Path, "remote", r.RemoteAddr)
		w.WriteHeader(http.StatusForbidden)
		return nil, false
	}
	return form, true
}

// readSigned is verified for a handler that reads r.PostForm (the voice
// line): it reports whether the request is one to act on, having answered
// it otherwise.
func (s *Server) readSigned(w http.ResponseWriter, r *http.Request) bool {
	_, ok := s.verified(w, r)
	return ok
}

// parsePostForm fills r.PostForm from a form-encoded body, as ParseForm
// does for Twilio's requests, without what ParseForm adds around it on
// every message: parsing the media type, parsing the URL's query (the
// signature covers it as part of the URL; no handler reads it) and copying
// both into r.Form. Any other body goes through ParseForm itself.
func parsePostForm(r *http.Request) error {
	if !formEncoded(r.Header.Get("Content-Type")) {
		return r.ParseForm()
	}
	body, err := io.ReadAll(r.Body) // at most MaxBody: see readForm

	if err != nil {
		return err
	}
	r.PostForm, err = url.ParseQuery(string(body))
	return err
}

// formEncoded reports whether a Content-Type is
// application/x-www-form-urlencoded, with or without parameters.
func formEncoded(ct string) bool {
	const form = "application/x-www-form-urlencoded"
	if len(ct) < len(form) || !strings.EqualFold(ct[:len(form)], form) {
		return false
	}
	rest := ct[len(form):]
	return rest == "" || rest[0] == ';' || rest[0] == ' ' || rest[0] == '\t'
}

// handleStatus records a delivery status callback.
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	form, ok := s.verified(w, r)
	if !ok {
		return
	}
	d, ok := s.webhook.Delivery(form)
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if err := s.cfg.Store.RecordDelivery(r.Context(), d.ID, d.Status, d.ErrorCode); err != nil {
		s.log.Error("sms: cannot record a delivery status", "status", d.Status, "err", err)
		// Twilio retries a failed callback; the store will be back.
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	s.metrics.callbacks.Inc()
	if d.Status == "failed" || d.Status == "undelivered" {
		s.log.Warn("sms: message not delivered", "to", lifeline.MaskPhone(d.To), "error_code", d.ErrorCode)
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleHealth says whether the gateway accepts messages: 200 while it
// does, saying how ("ok"; "saturated" when messages find no slot to be
// answered inline and go through the outbox; "store unavailable" while
// they go to the spool), and 503 only when a message could not be stored
// at all (the store is away and there is no spool, or it is full).
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	storeUp := !s.storeDown()
	if storeUp {
		if p, ok := s.cfg.Store.(interface{ Ping(context.Context) error }); ok {
			ctx, cancel := context.WithTimeout(r.Context(), time.Second)
			storeUp = p.Ping(ctx) == nil
			cancel()
		}
	}
	var lines []string
	if !storeUp {
		if s.spool == nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "store unavailable and no spool: messages cannot be accepted")
			return
		}
		n, size := s.spool.Stats()
		if s.spool.Full() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "store unavailable and the spool is full (%d messages): messages cannot be accepted\n", n)
			return
		}
		lines = append(lines, fmt.Sprintf("store unavailable: accepting into the spool (%d messages, %d bytes)", n, size))
	}
	if s.admit.saturated() {
		inUse, waiting := s.admit.load()
		lines = append(lines, fmt.Sprintf("saturated: %d answering inline, %d waiting; new messages are accepted and answered through the outbox", inUse, waiting))
	}
	if len(lines) == 0 {
		lines = []string{"ok"}
	}
	fmt.Fprintln(w, strings.Join(lines, "\n"))
}
