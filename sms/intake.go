package sms

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// How a text is taken in. The webhook's request is read (within
// BodyTimeout, at most MaxBody) and its signature checked before anything
// else, and before any slot is taken: a caller that sends slowly, or
// without a signature, costs a connection and nothing more. It then waits
// for a turn (MaxActive), and (with no turn, and nothing composed, if its
// caller hangs up meanwhile):
//
//  1. The per-number limit is asked (its token is given back below if the
//     message turns out to be a retry).
//  2. If a slot is free for it (admission) and its caller is still there,
//     the answer is composed, within InlineBudget.
//  3. The message is recorded in the inbound log, in the one state that
//     decides its answer: Inline with the answer (composed in time),
//     Pending (to be answered through the outbox), or Silent (over the
//     limit). One write per message, committed with the others arriving
//     at the same moment (the store's group commit).
//  4. If its MessageSid was recorded before (a provider's retry, maybe at
//     another replica), no new record is written, and the stored one decides:
//     an inline answer is given again (the provider did not get the first
//     response, or it would not retry) and marked so, a pending or silent
//     one gets an empty response, and a sender other than the first gets
//     nothing.
//  5. If the caller hung up meanwhile, an inline answer is not written to
//     its closed connection: the message is reopened, to be answered
//     through the outbox, unless a retry was given the answer already.
//  6. Only then does the response go out: the answer, or an empty one.
//
// So an inline answer is on disk before it is sent, a pending message is
// the answerer's to answer through the outbox, and no MessageSid is
// answered twice whatever crashes when. When the store cannot record the
// message, it goes to the local spool instead (and is answered once the
// store is back); only a message that can be stored nowhere gets a 5xx.

// handleInbound takes in one text.
func (s *Server) handleInbound(w http.ResponseWriter, r *http.Request) {
	form, ok := s.verified(w, r)
	if !ok {
		return
	}
	waited := time.Now()
	s.metrics.waiting.Inc()
	select {
	case s.turns <- struct{}{}:
		defer func() { <-s.turns }()
	case <-r.Context().Done():
		// Gone before its turn (its provider gave up waiting). The text is
		// signed and read, so it is kept all the same, and at once: accept
		// composes nothing for a caller gone and records it pending, to be
		// answered through the outbox (a retry of it gets an empty
		// response). Waiting on for a turn would hold its connection's
		// slot, that a caller still waiting could have, for a record that
		// nobody waits for.
	}
	s.metrics.waiting.Dec()
	start := time.Now()
	s.metrics.turnWait.Observe(start.Sub(waited).Seconds())
	in, ok := s.webhook.Inbound(form)
	if !ok {
		s.metrics.refused.WithLabelValues("malformed").Inc()
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if s.open.Load() >= int64(s.cfg.MaxConns) {
		// Every connection slot is held and more callers wait in the
		// kernel's accept queue: hand this connection back after the
		// answer, or callers whose connections are in keep on getting
		// served while those waiting outside time out.
		w.Header().Set("Connection", "close")
	}
	from, err := lifeline.NormalizePhone(in.From)
	if err != nil {
		from = "" // not a phone number (a carrier's short code, say)
	}
	cmd := ParseFrom(in.Body, from)
	if cmd.Kind == KindUnknown {
		s.metrics.unrecognised(cmd.Lang)
	}
	reply, outcome, err := s.accept(r.Context(), in, from, cmd)
	if err != nil {
		// Nowhere to keep it: the provider is told to try again (Twilio
		// does, for the failures its webhook's retry policy names).
		s.metrics.shed.Inc()
		s.metrics.refused.WithLabelValues("unstorable").Inc()
		s.log.Error("sms: a signed message could not be stored anywhere", "from", lifeline.MaskPhone(in.From), "err", err)
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	s.webhook.WriteReply(w, reply)
	if reply != "" {
		s.metrics.answers.WithLabelValues("inline").Inc()
	}
	s.metrics.request(cmd.Kind.String(), outcome, time.Since(start))
}

// accept records a message from from (in.From normalised, "" when it is
// no phone number) and returns what to answer inline ("" for nothing) and
// the outcome to count; an error only when it could be stored nowhere.
func (s *Server) accept(ctx context.Context, in Inbound, from string, cmd Command) (reply, outcome string, err error) {
	m := &lifeline.InboundMessage{Sid: in.ID, From: from, Command: cmd.Encode(), ReceivedAt: s.cfg.Now()}
	if s.storeDown() {
		return s.spoolMessage(m, false, in.From)
	}
	key := from
	if key == "" {
		// Limited by what was sent, so it gets a bucket of its own.
		key = "raw:" + in.From
	}
	verdict := s.limiter.take(key, s.cfg.Now())
	limited := !verdict.ok
	outcome = "queued"
	inline := !limited && s.cfg.InlineBudget > 0 && ctx.Err() == nil && s.admit.acquire(ctx.Done())
	if inline {
		defer s.admit.release()
	}
	switch {
	case limited && verdict.notice:
		// The one message of the window told how long to wait: that is its
		// answer, inline (it costs no slot, and a retry gets it again).
		m.State, m.Reply, outcome = lifeline.InboundInline, limitText(cmd.Lang, verdict.wait), "limited"
	case limited:
		// Recorded silent, so a retry of it stays silent too.
		m.State, outcome = lifeline.InboundSilent, "limited"
	case inline && cmd.Acts():
		// A command that changes something is recorded before it acts, so
		// that a retry finds it and never acts again.
		// (The store's clock, which claims read, is the machine's.)
		m.HeldUntil = time.Now().Add(s.cfg.InlineBudget + inlineHoldMargin)
	case inline:
		// One that only reads is answered first and recorded with its
		// answer: one write.
		m.State, m.Reply, outcome = s.composeInline(ctx, from, cmd)
	case from == "":
		// Not answered inline, and nobody to send an answer to later.
		m.State, outcome = lifeline.InboundSilent, "unanswerable"
	}
	if !limited && from != "" && ctx.Err() != nil {
		// The caller hung up before its text was recorded (its provider
		// gave up waiting for a turn or for the answer): an answer written
		// now would reach nobody, and unless the provider retries, nobody
		// would ever be answered. Recorded pending, it goes through the
		// outbox instead, and a retry gets an empty response. (One who
		// hangs up while it is recorded: callerGone, below.)
		m.State, m.Reply, m.HeldUntil, outcome = lifeline.InboundPending, "", time.Time{}, "caller_gone"
	}
	// A signed message is recorded even if its caller hangs up meanwhile
	// (the batch it joined commits it anyway): a caller gone is no store
	// failure, and must not send the gateway into the spool. Without the
	// request's cancellation the timeout is also a plain timer, not one
	// more child of the request's context on every message.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.AcceptTimeout)
	prev, first, err := s.cfg.Store.BeginInbound(actx, m)
	cancel()
	if err != nil {
		s.storeFailed(err)
		if limited {
			// Spooled silent: a notice spooled would come back as a
			// pending message, answered in full. The next message over
			// the limit is told instead.
			s.limiter.unsay(key, verdict)
			m.State, m.Reply = lifeline.InboundSilent, ""
		}
		return s.spoolMessage(m, m.State == lifeline.InboundInline, in.From)
	}
	if !first {
		// A retry of a message counted already: it takes no token and
		// gets no notice of its own (the limit runs after the duplicate
		// check, so a retry gets its stored answer even over the limit).
		s.limiter.unsay(key, verdict)
		return s.replayOf(ctx, m.Sid, prev, from)
	}
	if !limited {
		defer s.rememberLang(context.WithoutCancel(ctx), from, cmd)
	}
	if !m.HeldUntil.IsZero() {
		return s.actInline(ctx, m, cmd)
	}
	if m.State == lifeline.InboundInline && !limited && s.callerGone(ctx, m.Sid, from) {
		return "", "caller_gone", nil
	}
	if m.State == lifeline.InboundPending {
		s.wakeAnswerer()
	}
	if limited {
		s.metrics.limited.Inc()
		if verdict.notice {
			s.metrics.limitNotices.Inc()
			s.log.Warn("sms: rate limit reached, told to wait", "from", lifeline.MaskPhone(strings.TrimPrefix(key, "raw:")))
		}
	}
	return m.Reply, outcome, nil
}

// inlineHoldMargin is how much longer than InlineBudget a handler holds a
// message it recorded before acting, to record the answer after.
const inlineHoldMargin = 2 * time.Second

// actInline carries out a command recorded pending and held, and answers
// it inline if that is done within the budget and the hold still holds;
// otherwise the answerer answers it through the outbox once the hold runs
// out (acting again is harmless: every action is idempotent).
func (s *Server) actInline(ctx context.Context, m *lifeline.InboundMessage, cmd Command) (string, string, error) {
	st, reply, outcome := s.composeInline(ctx, m.From, cmd)
	if st == lifeline.InboundInline {
		// (A caller gone already fails this write: ctx is the request's.)
		done, err := s.cfg.Store.FinishInline(ctx, m.Sid, m.HeldUntil, reply)
		if err == nil && done && s.callerGone(ctx, m.Sid, m.From) {
			return "", "caller_gone", nil
		}
		if err == nil && done {
			return reply, outcome, nil
		}
	}
	s.wakeAnswerer()
	return "", "queued", nil
}

// composeInline composes the answer within InlineBudget: Inline with it,
// or Pending when it takes longer or the store cannot say.
func (s *Server) composeInline(ctx context.Context, from string, cmd Command) (lifeline.InboundState, string, string) {
	cctx, cancel := context.WithTimeout(ctx, s.cfg.InlineBudget)
	defer cancel()
	reply, outcome, err := s.compose(cctx, from, cmd)
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
			s.log.Warn("sms: cannot answer inline; answering through the outbox", "from", lifeline.MaskPhone(from), "err", err)
		}
		return lifeline.InboundPending, "", "queued"
	}
	return lifeline.InboundInline, reply, outcome
}

// callerGone reports whether the caller of a message just recorded with
// its inline answer has hung up, and the message was reopened, to be
// answered through the outbox: an answer written to a closed connection
// reaches nobody, and unless the provider retries, nobody would ever be
// answered. A retry that was given the answer meanwhile (replayOf) keeps
// the message as it is, as that retry may have delivered it.
func (s *Server) callerGone(ctx context.Context, sid, from string) bool {
	if ctx.Err() == nil || from == "" {
		return false
	}
	reopened, err := s.cfg.Store.ReopenInbound(context.WithoutCancel(ctx), sid, from)
	if err != nil {
		s.log.Warn("sms: the caller hung up before its answer, which could not be sent through the outbox instead", "from", lifeline.MaskPhone(from), "err", err)
		return false
	}
	if reopened {
		s.wakeAnswerer()
	}
	return reopened
}

// replayOf answers a MessageSid recorded before: its inline answer again,
// for the same sender only, marked as given to a retry so that it is not
// reopened after (callerGone); nothing for one whose answer is pending,
// in the outbox or none.
func (s *Server) replayOf(ctx context.Context, sid string, prev *lifeline.InboundMessage, from string) (string, string, error) {
	switch {
	case prev.From != from:
		return "", "other_sender", nil
	case prev.State == lifeline.InboundInline:
		reply, ok, err := s.cfg.Store.ReplayInline(context.WithoutCancel(ctx), sid, from)
		if err != nil {
			// The store fails, so the handler that recorded the answer
			// cannot reopen it either: the answer is this retry's.
			return prev.Reply, "replay", nil
		}
		if ok {
			return reply, "replay", nil
		}
	}
	return "", "replay_queued", nil
}

// spoolMessage keeps a message the store could not take in the spool;
// uncertain says its inline record may have been committed all the same.
func (s *Server) spoolMessage(m *lifeline.InboundMessage, uncertain bool, rawFrom string) (string, string, error) {
	if s.spool == nil {
		return "", "", errors.New("the store is unavailable and there is no spool")
	}
	if prevFrom, ok := s.spool.Has(m.Sid); ok {
		if prevFrom != m.From {
			return "", "other_sender", nil
		}
		return "", "replay_queued", nil
	}
	st := m.State
	if st == lifeline.InboundInline {
		st = lifeline.InboundPending // answered empty now: the answer goes through the outbox
	}
	if st == lifeline.InboundPending && m.From == "" {
		st = lifeline.InboundSilent
	}
	err := s.spool.Append(SpoolRecord{Kind: 'm', Sid: m.Sid, From: m.From, Command: m.Command, At: ms(m.ReceivedAt), State: int(st), Uncertain: uncertain})
	if err != nil {
		return "", "", err
	}
	s.metrics.spooled.Inc()
	return "", "spooled", nil
}

// storeFailed notes that a write to the store failed: messages go to the
// spool from now until the drain finds the store back.
func (s *Server) storeFailed(err error) {
	if s.spool == nil {
		return // every message tries the store: there is nowhere else
	}
	if s.down.CompareAndSwap(0, time.Now().UnixNano()) {
		s.log.Error("sms: the store is unavailable; accepting messages into the spool", "err", err)
	}
}

// storeDown reports whether messages go to the spool now.
func (s *Server) storeDown() bool { return s.down.Load() != 0 }

func (s *Server) wakeAnswerer() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func ms(t time.Time) int64 { return t.UnixMilli() }
