package sms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	twilio "github.com/twilio/twilio-go"
	twclient "github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

// ErrOptedOut is Twilio's error 21610: the recipient replied STOP to the
// sending number. Sending to them again is refused until they reply START.
const ErrOptedOut = 21610

// SenderConfig configures a Sender.
type SenderConfig struct {
	Store lifeline.MessageService
	// Twilio is the REST client (see NewTwilioClient).
	Twilio *twilio.RestClient
	// From is the sending number, or MessagingServiceSid a messaging
	// service; one of them is required.
	From                string
	MessagingServiceSid string
	// StatusCallback is the public URL of POST /sms/status, or empty.
	StatusCallback string
	// Worker names this sender in leases. Default: a random name.
	Worker string
	// Batch messages are claimed at a time (default 20) and leased for
	// Lease (default 2 minutes, well over the HTTP timeout of 20 s).
	Batch int
	Lease time.Duration
	// Poll is the pause when the outbox is empty (default 1 s).
	Poll time.Duration
	// MaxAttempts before a message fails for good (default 8); retries wait
	// BackoffBase·2^(attempt-1), capped at BackoffMax (default 5 s, 10 min),
	// with jitter.
	MaxAttempts int
	BackoffBase time.Duration
	BackoffMax  time.Duration
	Log         *slog.Logger
	Now         func() time.Time
}

// Sender delivers the outbox through Twilio. Several may run against one
// store: leases keep them from sending the same message.
type Sender struct {
	cfg     SenderConfig
	log     *slog.Logger
	metrics *metrics
	wake    chan struct{}
}

// NewSender builds a sender.
func NewSender(cfg SenderConfig) (*Sender, error) {
	if cfg.Store == nil || cfg.Twilio == nil {
		return nil, errors.New("sms: a sender needs a store and a Twilio client")
	}
	if cfg.From == "" && cfg.MessagingServiceSid == "" {
		return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("未设置发信号码（--from 或 TWILIO_FROM）", "no sending number: give --from or TWILIO_FROM"))
	}
	if cfg.Worker == "" {
		b := make([]byte, 4)
		rand.Read(b)
		cfg.Worker = "sender-" + hex.EncodeToString(b)
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 20
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = 5 * time.Second
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Sender{cfg: cfg, log: cfg.Log, metrics: newMetrics(), wake: make(chan struct{}, 1)}, nil
}

// NewTwilioClient returns a twilio-go client for an account. A non-empty
// apiURL (such as http://127.0.0.1:8089, a stand-in for Twilio's REST API)
// receives every request instead of Twilio's hosts.
func NewTwilioClient(accountSid, authToken, apiURL string) (*twilio.RestClient, error) {
	hc := &http.Client{Timeout: 20 * time.Second}
	if apiURL != "" {
		u, err := url.Parse(apiURL)
		if err != nil || u.Host == "" {
			return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("LIFELINE_TWILIO_API_URL 不是有效地址", "LIFELINE_TWILIO_API_URL is not a valid URL"))
		}
		hc.Transport = &rewriteHost{to: u, next: http.DefaultTransport}
	}
	c := &twclient.Client{Credentials: twclient.NewCredentials(accountSid, authToken), HTTPClient: hc}
	c.SetAccountSid(accountSid)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: c}), nil
}

// rewriteHost sends every request to another scheme and host.
type rewriteHost struct {
	to   *url.URL
	next http.RoundTripper
}

func (t *rewriteHost) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.to.Scheme, t.to.Host, t.to.Host
	return t.next.RoundTrip(r)
}

// Wake makes the sender look at the outbox now rather than after its pause.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run sends until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := s.SendBatch(ctx)
		if err != nil {
			s.logger().Error("sms: outbox", "err", err)
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-time.After(s.cfg.Poll):
		}
	}
}

func (s *Sender) logger() *slog.Logger {
	if s.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.log
}

// SendBatch claims one batch and sends it, returning how many were claimed.
func (s *Sender) SendBatch(ctx context.Context) (int, error) {
	msgs, err := s.cfg.Store.ClaimOutbox(ctx, s.cfg.Worker, s.cfg.Batch, s.cfg.Lease)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		if err := s.send(ctx, m); err != nil {
			return len(msgs), err
		}
	}
	return len(msgs), nil
}

// send delivers one claimed message and records the outcome before moving
// on. Acceptance is written right after Twilio answers 201; the one window
// no code can close is a crash between Twilio accepting and that write
// committing. The next claim then sees the message InDoubt and asks Twilio
// whether it already has it (same recipient and body, created since the
// message was queued) before sending again.
func (s *Sender) send(ctx context.Context, m lifeline.OutboxMessage) error {
	if !m.ClaimedUntil.IsZero() && m.ClaimedUntil.Sub(s.cfg.Now()) < s.cfg.Lease/4 {
		// Too little of the lease is left to finish before another sender
		// may take the message: hand it back untouched.
		return s.cfg.Store.MarkRetry(ctx, m.ID, m.Error, s.cfg.Now())
	}
	if m.Attempts > s.cfg.MaxAttempts {
		s.logger().Error("sms: giving up on a message", "id", m.ID, "to", lifeline.MaskPhone(m.To), "attempts", m.Attempts-1)
		s.metrics.sendFail.Add(1)
		return s.cfg.Store.MarkFailed(ctx, m.ID, "gave up after "+fmt.Sprint(m.Attempts-1)+" attempts: "+m.Error)
	}
	if m.InDoubt {
		sid, err := s.findSent(m)
		if err != nil {
			return s.retry(ctx, m, fmt.Errorf("look for an earlier send: %w", err))
		}
		if sid != "" {
			s.logger().Warn("sms: message was accepted before a crash; not sending it again", "id", m.ID, "to", lifeline.MaskPhone(m.To))
			s.metrics.sent.Add(1)
			return s.cfg.Store.MarkAccepted(ctx, m.ID, sid)
		}
	}
	p := &api.CreateMessageParams{}
	p.SetTo(m.To)
	p.SetBody(m.Body)
	if s.cfg.MessagingServiceSid != "" {
		p.SetMessagingServiceSid(s.cfg.MessagingServiceSid)
	} else {
		p.SetFrom(s.cfg.From)
	}
	if s.cfg.StatusCallback != "" {
		p.SetStatusCallback(s.cfg.StatusCallback)
	}
	resp, err := s.cfg.Twilio.Api.CreateMessage(p)
	if err == nil && (resp == nil || resp.Sid == nil || *resp.Sid == "") {
		err = errors.New("twilio answered without a message SID")
	}
	if err == nil {
		s.metrics.sent.Add(1)
		return s.cfg.Store.MarkAccepted(ctx, m.ID, *resp.Sid)
	}
	var te *twclient.TwilioRestError
	if errors.As(err, &te) {
		switch {
		case te.Code == ErrOptedOut:
			s.logger().Warn("sms: recipient opted out at the carrier; no more notifications", "to", lifeline.MaskPhone(m.To))
			if err := s.cfg.Store.SetOptOut(ctx, m.To, true); err != nil {
				return err
			}
			s.metrics.sendFail.Add(1)
			return s.cfg.Store.MarkFailed(ctx, m.ID, fmt.Sprintf("%d opted out", te.Code))
		case te.Status == http.StatusTooManyRequests || te.Status >= 500:
			return s.retry(ctx, m, err)
		case te.Status >= 400:
			s.logger().Error("sms: message refused for good", "id", m.ID, "to", lifeline.MaskPhone(m.To), "code", te.Code, "status", te.Status)
			s.metrics.sendFail.Add(1)
			return s.cfg.Store.MarkFailed(ctx, m.ID, fmt.Sprintf("%d %s", te.Code, te.Message))
		}
	}
	// A network error or an unreadable answer: Twilio may or may not have
	// the message. Nothing is recorded: the lease runs out, the next claim
	// sees the message InDoubt and asks Twilio before sending again.
	s.logger().Warn("sms: send outcome unknown; will check with Twilio after the lease", "id", m.ID, "to", lifeline.MaskPhone(m.To), "err", err)
	s.metrics.sendRetry.Add(1)
	return nil
}

// retry puts m back with backoff, or fails it after MaxAttempts.
func (s *Sender) retry(ctx context.Context, m lifeline.OutboxMessage, cause error) error {
	msg := cause.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	if m.Attempts >= s.cfg.MaxAttempts {
		s.logger().Error("sms: giving up on a message", "id", m.ID, "to", lifeline.MaskPhone(m.To), "attempts", m.Attempts, "err", msg)
		s.metrics.sendFail.Add(1)
		return s.cfg.Store.MarkFailed(ctx, m.ID, "gave up: "+msg)
	}
	s.metrics.sendRetry.Add(1)
	return s.cfg.Store.MarkRetry(ctx, m.ID, msg, s.cfg.Now().Add(s.backoff(m.Attempts)))
}

// backoff is the wait before attempt+1: exponential, capped, with up to 20%
// jitter so that senders retrying after one outage do not return together.
func (s *Sender) backoff(attempt int) time.Duration {
	d := float64(s.cfg.BackoffBase) * math.Pow(2, float64(attempt-1))
	if d > float64(s.cfg.BackoffMax) {
		d = float64(s.cfg.BackoffMax)
	}
	return time.Duration(d * (1 + 0.2*mrand.Float64()))
}

// findSent asks Twilio for a message to m.To with m.Body created since m
// was queued (among the newest 200 to that number), and returns its SID or
// "".
func (s *Sender) findSent(m lifeline.OutboxMessage) (string, error) {
	p := &api.ListMessageParams{}
	p.SetTo(m.To)
	if s.cfg.From != "" {
		p.SetFrom(s.cfg.From)
	}
	// No DateSent filter: a message Twilio accepted a moment ago may not be
	// sent yet and has no DateSent. The list comes newest first.
	p.SetPageSize(50)
	p.SetLimit(200)
	list, err := s.cfg.Twilio.Api.ListMessage(p)
	if err != nil {
		return "", err
	}
	for _, x := range list {
		if x.Sid == nil || x.Body == nil || strings.TrimSpace(*x.Body) != strings.TrimSpace(m.Body) {
			continue
		}
		if x.DateCreated != nil {
			if t, err := time.Parse(time.RFC1123Z, *x.DateCreated); err == nil && t.Before(m.CreatedAt.Add(-time.Minute)) {
				continue
			}
		}
		return *x.Sid, nil
	}
	return "", nil
}
