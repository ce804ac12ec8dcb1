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
	"sync"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// SenderConfig configures a Sender.
type SenderConfig struct {
	Store lifeline.MessageService
	// Messenger sends through the provider (a *Twilio).
	Messenger Messenger
	// Worker names this sender in leases. Default: a random name.
	Worker string
	// Rate is how many messages a second the account may send, shared by
	// every sender of the account on every replica (--send-rate: about 1
	// for a long code, tens to hundreds for a short code or a Messaging
	// Service with several senders); 0 sends as fast as the provider
	// takes them.
	Rate float64
	// Batch messages are claimed at a time (default 20) and leased for
	// Lease (default 2 minutes, well over the HTTP timeout of 20 s), and
	// Concurrency of them are sent at once (default 8).
	Batch       int
	Lease       time.Duration
	Concurrency int
	// Poll is the pause when the outbox is empty (default 1 s).
	Poll time.Duration
	// MaxAttempts before a message fails for good (default 8); retries wait
	// BackoffBase·2^(attempt-1), capped at BackoffMax (default 5 s, 10 min),
	// with jitter. Refusals for the account's rate do not count as
	// attempts: the whole sender pauses instead, from ThrottleBase doubling
	// up to a minute (default 1 s).
	MaxAttempts  int
	BackoffBase  time.Duration
	BackoffMax   time.Duration
	ThrottleBase time.Duration
	Log          *slog.Logger
	Now          func() time.Time
}

// Sender delivers the outbox through the provider: answers to texts
// first, then notices, at the account's rate. Several may run against one
// store: leases keep them from sending the same message, and one bucket in
// the store keeps them together under the rate.
type Sender struct {
	cfg     SenderConfig
	log     *slog.Logger
	metrics *metrics
	wake    chan struct{}

	mu       sync.Mutex
	throttle time.Duration // the current pause after a throttled send
	paused   time.Time     // no claims before this
	nextSend time.Time     // SendNow's pace
}

// NewSender builds a sender.
func NewSender(cfg SenderConfig) (*Sender, error) {
	if cfg.Store == nil || cfg.Messenger == nil {
		return nil, errors.New("sms: a sender needs a store and a provider")
	}
	if r, ok := cfg.Messenger.(interface{ ready() error }); ok {
		if err := r.ready(); err != nil {
			return nil, err
		}
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
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
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
	if cfg.ThrottleBase <= 0 {
		cfg.ThrottleBase = time.Second
	}
	if cfg.Rate < 0 {
		cfg.Rate = 0
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Sender{cfg: cfg, log: cfg.Log, metrics: newMetrics(), wake: make(chan struct{}, 1)}, nil
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
		wait := s.cfg.Poll
		if p := time.Until(s.pausedUntil()); p > 0 {
			wait = p
		} else {
			n, err := s.SendBatch(ctx)
			if err != nil {
				s.logger().Error("sms: outbox", "err", err)
			}
			if n > 0 && err == nil {
				continue
			}
		}
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-time.After(wait):
		}
	}
}

func (s *Sender) logger() *slog.Logger {
	if s.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.log
}

func (s *Sender) pausedUntil() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused
}

// SendBatch claims one batch and sends it, Concurrency messages at a
// time, returning how many were claimed. A provider's API answers a
// create in a tenth of a second or more: one at a time, that alone would
// cap the sender far below a short code's rate.
func (s *Sender) SendBatch(ctx context.Context) (int, error) {
	msgs, err := s.cfg.Store.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: s.cfg.Worker, Max: s.cfg.Batch, Lease: s.cfg.Lease,
		Account: s.cfg.Messenger.Account(), Rate: s.cfg.Rate})
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	var (
		mu        sync.Mutex
		first     error
		throttled bool
		next      int
		wg        sync.WaitGroup
	)
	// take hands out the next message, answers first, until the account
	// is throttled or a store error stops the batch.
	take := func() (lifeline.OutboxMessage, bool) {
		mu.Lock()
		defer mu.Unlock()
		if next == len(msgs) || throttled || first != nil {
			return lifeline.OutboxMessage{}, false
		}
		next++
		return msgs[next-1], true
	}
	for range min(s.cfg.Concurrency, len(msgs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m, ok := take(); ok; m, ok = take() {
				th, err := s.send(ctx, m)
				mu.Lock()
				throttled = throttled || th
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if throttled && first == nil {
		// The account is over its rate: the rest of the batch goes back,
		// uncounted, for when the pause ends.
		for _, rest := range msgs[next:] {
			if err := s.cfg.Store.MarkThrottled(ctx, rest.ID, "paused: the account is over its rate", s.pausedUntil()); err != nil {
				return len(msgs), err
			}
		}
	}
	return len(msgs), first
}

// send delivers one claimed message and records the outcome before moving
// on, and reports whether the provider refused it for the account's rate.
// Acceptance is written right after the provider answers; the one window
// no code can close is a crash between the provider accepting and that
// write committing. The next claim then sees the message InDoubt and asks
// the provider whether it already has it (same recipient and body, created
// since the message was queued) before sending again.
func (s *Sender) send(ctx context.Context, m lifeline.OutboxMessage) (throttled bool, err error) {
	if !m.ClaimedUntil.IsZero() && m.ClaimedUntil.Sub(s.cfg.Now()) < s.cfg.Lease/4 {
		// Too little of the lease is left to finish before another sender
		// may take the message: hand it back untouched.
		return false, s.cfg.Store.MarkRetry(ctx, m.ID, m.Error, s.cfg.Now())
	}
	if m.Attempts > s.cfg.MaxAttempts {
		s.logger().Error("sms: giving up on a message", "id", m.ID, "to", lifeline.MaskPhone(m.To), "attempts", m.Attempts-1)
		s.metrics.sendFail.Inc()
		return false, s.cfg.Store.MarkFailed(ctx, m.ID, "gave up after "+fmt.Sprint(m.Attempts-1)+" attempts: "+m.Error)
	}
	if m.InDoubt {
		ids, err := s.cfg.Messenger.FindSent(ctx, m.To, m.Body, m.CreatedAt)
		if err != nil {
			return false, s.retry(ctx, m, fmt.Errorf("look for an earlier send: %w", err))
		}
		for _, id := range ids {
			found, err := s.cfg.Store.MarkFound(ctx, m.ID, id)
			if err != nil {
				return false, err
			}
			if found {
				s.logger().Warn("sms: message was accepted before a crash; not sending it again", "id", m.ID, "to", lifeline.MaskPhone(m.To))
				s.accepted(m)
				return false, nil
			}
		}
	}
	id, err := s.cfg.Messenger.Send(ctx, m.To, m.Body)
	if err == nil {
		s.accepted(m)
		return false, s.cfg.Store.MarkAccepted(ctx, m.ID, id)
	}
	var se *SendError
	if errors.As(err, &se) {
		switch se.Kind {
		case SendOptedOut:
			s.logger().Warn("sms: recipient opted out at the carrier; no more notifications", "to", lifeline.MaskPhone(m.To))
			if err := s.cfg.Store.SetOptOut(ctx, m.To, true); err != nil {
				return false, err
			}
			s.metrics.sendFail.Inc()
			return false, s.cfg.Store.MarkFailed(ctx, m.ID, fmt.Sprintf("%d opted out", se.Code))
		case SendThrottled:
			until := s.pause()
			s.metrics.throttled.Inc()
			s.logger().Warn("sms: the provider refused a send for the account's rate; pausing", "code", se.Code, "until", until.Format(time.TimeOnly))
			return true, s.cfg.Store.MarkThrottled(ctx, m.ID, err.Error(), until)
		case SendTemporary:
			return false, s.retry(ctx, m, err)
		case SendRefused:
			s.logger().Error("sms: message refused for good", "id", m.ID, "to", lifeline.MaskPhone(m.To), "code", se.Code, "status", se.Status)
			s.metrics.sendFail.Inc()
			return false, s.cfg.Store.MarkFailed(ctx, m.ID, fmt.Sprintf("%d %s", se.Code, se.Message))
		}
	}
	// A network error or an unreadable answer: the provider may or may not
	// have the message. Nothing is recorded: the lease runs out, the next
	// claim sees the message InDoubt and asks the provider before sending
	// again.
	s.logger().Warn("sms: send outcome unknown; will check with the provider after the lease", "id", m.ID, "to", lifeline.MaskPhone(m.To), "err", err)
	s.metrics.sendRetry.Inc()
	return false, nil
}

// accepted counts a message the provider took, and ends a throttle pause.
func (s *Sender) accepted(m lifeline.OutboxMessage) {
	s.metrics.sent.Inc()
	if m.IsAnswer() {
		s.metrics.answers.WithLabelValues("outbox").Inc()
	}
	s.mu.Lock()
	s.throttle = 0
	s.mu.Unlock()
}

// pause stops claims for a while after a throttled send: ThrottleBase,
// doubling with each throttled send in a row up to a minute, with jitter.
func (s *Sender) pause() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.throttle == 0 {
		s.throttle = s.cfg.ThrottleBase
	} else {
		s.throttle = min(2*s.throttle, time.Minute)
	}
	d := time.Duration(float64(s.throttle) * (1 + 0.2*mrand.Float64()))
	s.paused = time.Now().Add(d)
	return s.cfg.Now().Add(d)
}

// SendNow sends one message at once, outside the outbox, paced at the
// sender's rate within this process: the holding texts sent while the
// store (and so the outbox) is away. It is sent at most once: nothing
// retries it.
func (s *Sender) SendNow(ctx context.Context, to, body string) error {
	if s.cfg.Rate > 0 {
		s.mu.Lock()
		now := time.Now()
		at := s.nextSend
		if at.Before(now) {
			at = now
		}
		s.nextSend = at.Add(time.Duration(float64(time.Second) / s.cfg.Rate))
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(at)):
		}
	}
	_, err := s.cfg.Messenger.Send(ctx, to, body)
	if err == nil {
		s.metrics.sent.Inc()
	}
	return err
}

// retry puts m back with backoff, or fails it after MaxAttempts.
func (s *Sender) retry(ctx context.Context, m lifeline.OutboxMessage, cause error) error {
	msg := cause.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	if m.Attempts >= s.cfg.MaxAttempts {
		s.logger().Error("sms: giving up on a message", "id", m.ID, "to", lifeline.MaskPhone(m.To), "attempts", m.Attempts, "err", msg)
		s.metrics.sendFail.Inc()
		return s.cfg.Store.MarkFailed(ctx, m.ID, "gave up: "+msg)
	}
	s.metrics.sendRetry.Inc()
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
