package sms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/twilio/twilio-go/twiml"
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
	// AuthToken is the Twilio auth token that signs webhooks and
	// authenticates outbound calls. Empty only with Insecure.
	AuthToken string
	// Insecure accepts unsigned webhooks (local development only).
	Insecure bool
	// PublicURL is the URL Twilio calls, e.g. https://sms.example.org: its
	// scheme, host and port are what Twilio signed.
	PublicURL string
	// Sender delivers the outbox; nil runs no sender.
	Sender *Sender
	// Log receives one line per notable event, phones masked. Default: discard.
	Log *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Location is where dates in replies are read. Default UTC+8.
	Location *time.Location
	// StaleAfter marks a status older than this with its age. Default 24h.
	StaleAfter time.Duration
	// MaxInFlight requests run at once (default 256); MaxQueue more wait up
	// to QueueWait (default 256, 100ms); the rest get 503 at once. Most of
	// a request's time in flight is spent waiting for a group commit or a
	// group read, not on a CPU, and the more requests share one the less
	// each costs: too few in flight and the CPUs sit idle while every
	// request waits for its commit at the gateway's busiest (bench sms
	// shows it). Each costs a goroutine and a few kilobytes.
	MaxInFlight int
	MaxQueue    int
	QueueWait   time.Duration
	// MaxBody is the largest request body read (default 32 KiB).
	MaxBody int64
	// MaxConns is how many connections Serve holds open at once (default
	// 2048); more wait in the kernel's accept queue, so a flood of
	// connections cannot grow memory without bound.
	MaxConns int
	// RateBurst replies per number, then one per RateRefill (default 5,
	// 1 minute); RateNumbers numbers are remembered (default 100000).
	RateBurst   int
	RateRefill  time.Duration
	RateNumbers int
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
	// KeepInbound is how long a MessageSid is remembered, so that a retry
	// gets the same reply (default 48h; Twilio retries within minutes).
	// Older ones are forgotten once an hour.
	KeepInbound time.Duration
}

// Server is the SMS gateway.
type Server struct {
	cfg     Config
	public  *url.URL
	log     *slog.Logger
	limiter *rateLimiter
	admit   *admission
	metrics *metrics
	mux     *http.ServeMux
	// langs is the numbers known to have texted in English (lang.go).
	langs langMemory
	// callbacks wakes callbackLoop when a busy call queues a text.
	callbacks chan struct{}
	// open counts the connections Serve holds; at MaxConns every answer
	// closes its connection (see bounded).
	open atomic.Int64
}

// NewServer checks cfg and builds a gateway.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("sms: no store")
	}
	if cfg.AuthToken == "" && !cfg.Insecure {
		return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("未设置 TWILIO_AUTH_TOKEN：无法校验 Twilio 签名（本地试用可加 --insecure-no-signature）",
			"TWILIO_AUTH_TOKEN is not set, so Twilio signatures cannot be checked (for local trials add --insecure-no-signature)"))
	}
	pub, err := url.Parse(cfg.PublicURL)
	if err != nil || (pub.Scheme != "http" && pub.Scheme != "https") || pub.Host == "" {
		return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("--public-url 应为 Twilio 访问的地址，如 https://sms.example.org",
			"--public-url must be the URL Twilio calls, such as https://sms.example.org"))
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.MaxInFlight, 256)
	def(&cfg.MaxQueue, 256)
	def(&cfg.RateBurst, 5)
	def(&cfg.RateNumbers, 100000)
	def(&cfg.MaxConns, 2048)
	defD(&cfg.QueueWait, 100*time.Millisecond)
	defD(&cfg.RateRefill, time.Minute)
	defD(&cfg.StaleAfter, 24*time.Hour)
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
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 32 << 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	for _, t := range []struct{ got, def *lifeline.Text }{{&cfg.Advice.Yellow, &DefaultAdvice.Yellow}, {&cfg.Advice.Red, &DefaultAdvice.Red}} {
		if t.got.Zh == "" {
			t.got.Zh = t.def.Zh
		}
		if t.got.En == "" {
			t.got.En = t.def.En
		}
	}
	if cfg.Location == nil {
		cfg.Location = lifeline.ChinaTime
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		cfg:       cfg,
		public:    pub,
		log:       cfg.Log,
		limiter:   newRateLimiter(cfg.RateBurst, cfg.RateRefill, cfg.RateNumbers),
		admit:     newAdmission(cfg.MaxInFlight, cfg.MaxQueue, cfg.QueueWait),
		metrics:   newMetrics(),
		mux:       http.NewServeMux(),
		callbacks: make(chan struct{}, 1),
	}
	if cfg.Sender != nil {
		cfg.Sender.metrics = s.metrics
		if cfg.Sender.log == nil {
			cfg.Sender.log = s.log
		}
	}
	s.mux.Handle("POST /sms", s.bounded(s.handleInbound))
	s.mux.Handle("POST /sms/status", s.bounded(s.handleStatus))
	// The voice line checks signatures as /sms does, and answers past
	// capacity itself (handleVoice).
	s.mux.HandleFunc("POST "+VoicePath, s.handleVoice)
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.mux.HandleFunc("GET /metrics", s.handleMetrics)
	return s, nil
}

// Handler returns the gateway's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Run does the background work until ctx ends: the outbox sender, the
// scans that queue result and expiry notifications, and the status texts
// the busy voice line promised.
func (s *Server) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.scanLoop(ctx)
	}()
	callbacks := make(chan struct{})
	go func() {
		defer close(callbacks)
		s.callbackLoop(ctx)
	}()
	defer func() { <-callbacks }()
	if s.cfg.Sender != nil {
		s.cfg.Sender.Run(ctx)
	}
	<-done
	return nil
}

// Serve answers HTTP on ln (at most MaxConns connections at once) and runs
// the background work until ctx ends, then stops taking requests, lets
// those in flight finish (up to 10 s) and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
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
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	bg := make(chan struct{})
	go func() {
		defer close(bg)
		s.Run(runCtx)
	}()
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

// bounded admits a request only when there is room, reads at most MaxBody
// of it, and checks its signature.
func (s *Server) bounded(h func(w http.ResponseWriter, r *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.admit.acquire(r.Context().Done()) {
			s.metrics.shed.Add(1)
			w.Header().Set("Retry-After", "30")
			// Give the connection back: a caller told to come back later
			// must not keep one of the MaxConns slots meanwhile.
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		defer s.admit.release()
		if s.open.Load() >= int64(s.cfg.MaxConns) {
			// Every slot is held and more callers wait in the kernel's
			// accept queue: hand this connection back after the answer,
			// or callers whose connections are in keep on getting served
			// while those waiting outside time out.
			w.Header().Set("Connection", "close")
		}
		if s.readSigned(w, r) {
			h(w, r)
		}
	})
}

// readSigned reads at most MaxBody of a request's form and checks its
// signature, answering the request itself (413, 400, 403) and reporting
// false when it is not one to act on.
func (s *Server) readSigned(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
	if err := parsePostForm(r); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return false
		}
		w.WriteHeader(http.StatusBadRequest)
		return false
	}
	if !s.cfg.Insecure && !ValidSignature(s.cfg.AuthToken, RequestURL(s.public, r.URL.RequestURI()), r.PostForm, r.Header.Get("X-Twilio-Signature")) {
		s.metrics.badSig.Add(1)
		s.log.Warn("sms: refused a request with a missing or wrong signature", "path", r.URL.Path, "remote", r.RemoteAddr)
		w.WriteHeader(http.StatusForbidden)
		return false
	}
	return true
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
	body, err := io.ReadAll(r.Body) // at most MaxBody: see bounded

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

// handleInbound answers one inbound message with TwiML.
func (s *Server) handleInbound(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sid := r.PostForm.Get("MessageSid")
	if sid == "" {
		sid = r.PostForm.Get("SmsSid")
	}
	if sid == "" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	from, err := lifeline.NormalizePhone(r.PostForm.Get("From"))
	if err != nil {
		from = ""
	}
	cmd := ParseFrom(r.PostForm.Get("Body"), from)
	if cmd.Kind == KindUnknown {
		s.metrics.unrecognised(cmd.Lang)
	}
	key := from
	if key == "" {
		// Not a phone number (a carrier's short code, say): limit it by
		// what was sent, so it gets a bucket of its own.
		key = "raw:" + r.PostForm.Get("From")
	}
	if v := s.limiter.take(key, s.cfg.Now()); !v.ok {
		s.metrics.limited.Add(1)
		s.metrics.request(cmd.Kind.String(), "limited", time.Since(start))
		reply := ""
		if v.notice {
			reply = limitText(cmd.Lang, v.wait)
			s.metrics.limitNotices.Add(1)
			s.log.Warn("sms: rate limit reached, told to wait", "from", lifeline.MaskPhone(strings.TrimPrefix(key, "raw:")))
		}
		writeTwiML(w, reply)
		return
	}
	reply, outcome := s.answer(r.Context(), sid, from, cmd)
	writeTwiML(w, reply)
	s.metrics.request(cmd.Kind.String(), outcome, time.Since(start))
	if outcome != "error" {
		s.rememberLang(r.Context(), from, cmd)
	}
}

// answer works out the reply to a message, processing each MessageSid once:
// a retried sid gets the reply stored the first time. Commands that change
// something (a print request, an opt-out) record the sid before acting;
// their actions are idempotent, so a sid that was recorded but never
// answered (a crash in between) is simply processed again. Commands that
// only read record the sid and their reply in one write.
func (s *Server) answer(ctx context.Context, sid, from string, cmd Command) (reply, outcome string) {
	l := cmd.Lang
	in := &lifeline.InboundMessage{Sid: sid, From: from, Command: cmd.Kind.String(), ReceivedAt: s.cfg.Now()}
	fail := func(err error) (string, string) {
		s.log.Error("sms: cannot answer", "from", lifeline.MaskPhone(from), "command", cmd.Kind.String(), "err", err)
		return busyText(l), "error"
	}
	acts := cmd.Kind == KindStop || cmd.Kind == KindStart || cmd.Kind == KindCode
	if acts {
		prev, first, err := s.cfg.Store.BeginInbound(ctx, in)
		if err != nil {
			return fail(err)
		}
		if !first && prev.Reply != "" {
			return prev.Reply, "replay"
		}
	}
	reply, outcome, err := s.compose(ctx, from, cmd)
	if err != nil {
		return fail(err)
	}
	if acts {
		if err := s.cfg.Store.FinishInbound(ctx, sid, reply); err != nil {
			return fail(err)
		}
		return reply, outcome
	}
	in.Reply = reply
	prev, first, err := s.cfg.Store.BeginInbound(ctx, in)
	if err != nil {
		return fail(err)
	}
	if !first && prev.Reply != "" {
		return prev.Reply, "replay"
	}
	if !first {
		if err := s.cfg.Store.FinishInbound(ctx, sid, reply); err != nil {
			return fail(err)
		}
	}
	return reply, outcome
}

// compose builds the reply to cmd from phone and carries out what it asks.
func (s *Server) compose(ctx context.Context, from string, cmd Command) (reply, outcome string, err error) {
	l := cmd.Lang
	switch cmd.Kind {
	case KindStop, KindStart:
		// Anyone may turn notifications to their own number off or on: the
		// answer says nothing about anyone.
		if from == "" {
			return unknownText(l), "unknown", nil
		}
		if err := s.cfg.Store.SetOptOut(ctx, from, cmd.Kind == KindStop); err != nil {
			return "", "", err
		}
		s.log.Info("sms: notifications "+cmd.Kind.String(), "from", lifeline.MaskPhone(from))
		if cmd.Kind == KindStop {
			return stopText(l), "ok", nil
		}
		return startText(l), "ok", nil
	}
	var people []*lifeline.Resident
	if from != "" {
		if people, err = s.cfg.Store.StatusByPhone(ctx, from); err != nil {
			return "", "", err
		}
	}
	if len(people) == 0 {
		return unknownText(l), "unknown", nil
	}
	switch cmd.Kind {
	case KindStatus:
		pages := s.statusReplies(people, l)
		if cmd.Page > len(pages) {
			return noMoreText(l), "ok", nil
		}
		return pages[cmd.Page-1], "ok", nil
	case KindCode:
		for _, p := range people {
			if err := s.cfg.Store.RequestPrint(ctx, &lifeline.PrintRequest{ResidentID: p.ID, Source: "sms", RequestedAt: s.cfg.Now()}); err != nil {
				return "", "", err
			}
		}
		names := whoLabels(people, l)
		s.log.Info("sms: paper code requested", "from", lifeline.MaskPhone(from), "residents", len(people))
		day := nextWorkingDay(s.cfg.Now(), s.cfg.Location)
		return codeText(names, lifeline.Printable(people[0].Address.Community), day, l), "ok", nil
	case KindHelp:
		return helpText(l), "ok", nil
	}
	return helpText(l), "other", nil
}

// statusReplies is the status of people as SMS pages in l: each person a
// line, told apart where masked names are alike, with the advice of a
// yellow or red code where there is room.
func (s *Server) statusReplies(people []*lifeline.Resident, l lifeline.Lang) []string {
	now := s.cfg.Now()
	who := whoLabels(people, l)
	lines := make([]string, len(people))
	var advice []string
	for i, p := range people {
		lines[i] = statusLine(who[i], p, l, now, s.cfg.StaleAfter, s.cfg.Location)
		if a := s.cfg.Advice.For(p.Status.Color, l); a != "" {
			if advice == nil {
				advice = make([]string, len(people))
			}
			advice[i] = a
		}
	}
	return statusPages(lines, advice, l)
}

// writeTwiML answers with a <Response>, holding one <Message> unless reply
// is empty (no answer at all).
func writeTwiML(w http.ResponseWriter, reply string) {
	x, err := twimlMessage(reply)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h["Content-Type"] = twimlContentType
	h["Content-Length"] = []string{strconv.Itoa(len(x))}
	w.Write(x)
}

var twimlContentType = []string{"text/xml; charset=utf-8"}

const (
	twimlHead  = `<?xml version="1.0" encoding="UTF-8"?><Response><Message>`
	twimlTail  = `</Message></Response>`
	twimlEmpty = `<?xml version="1.0" encoding="UTF-8"?><Response/>`
)

// twimlMessage is the TwiML twilio-go's writer makes for one <Message>
// holding reply (or none when reply is empty). A reply that needs no
// escaping, as every reply the gateway writes does, is framed directly;
// anything else goes through twilio-go's writer. server_test.go checks
// the two agree.
func twimlMessage(reply string) ([]byte, error) {
	if reply == "" {
		return []byte(twimlEmpty), nil
	}
	if plainXMLText(reply) {
		b := make([]byte, 0, len(twimlHead)+len(reply)+len(twimlTail))
		b = append(b, twimlHead...)
		b = append(b, reply...)
		return append(b, twimlTail...), nil
	}
	x, err := twiml.Messages([]twiml.Element{&twiml.MessagingMessage{Body: reply}})
	return []byte(x), err
}

// plainXMLText reports whether s is valid UTF-8 made only of characters
// XML allows that no writer escapes in text: no & < > ' ", no control
// characters but tab, newline and carriage return.
func plainXMLText(s string) bool {
	for _, r := range s {
		switch {
		case r == '&' || r == '<' || r == '>' || r == '\'' || r == '"':
			return false
		case r == '\t' || r == '\n' || r == '\r':
		case r < 0x20:
			return false
		case r == utf8.RuneError:
			// Invalid UTF-8 decodes to this too; let the writer decide.
			return false
		case r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
			return false
		}
	}
	return true
}

// handleStatus records a delivery status callback.
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	sid := r.PostForm.Get("MessageSid")
	status := strings.ToLower(r.PostForm.Get("MessageStatus"))
	if sid == "" || status == "" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if err := s.cfg.Store.RecordDelivery(r.Context(), sid, status, r.PostForm.Get("ErrorCode")); err != nil {
		s.log.Error("sms: cannot record a delivery status", "status", status, "err", err)
		// Twilio retries a failed callback; the store will be back.
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	s.metrics.callbacks.Add(1)
	if status == "failed" || status == "undelivered" {
		s.log.Warn("sms: message not delivered", "to", lifeline.MaskPhone(r.PostForm.Get("To")), "error_code", r.PostForm.Get("ErrorCode"))
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleHealth answers 200 "ok", or 503 when the store does not answer a
// ping within a second (a store without Ping is taken as up).
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if p, ok := s.cfg.Store.(interface{ Ping(context.Context) error }); ok {
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		if err := p.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "store unavailable")
			return
		}
	}
	fmt.Fprintln(w, "ok")
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(r.Context(), w, s.cfg.Store.OutboxDepth)
}
