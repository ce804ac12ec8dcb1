package sms

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// The answerer: pending messages are the queue it works through. It claims
// a batch under a lease, composes each answer (carrying out what it asks,
// which is idempotent), queues it in the outbox under the message's
// AnswerKey, and records the message as answered through the outbox. A
// crash at any point leaves the message pending, or its answer queued
// once: the next claim composes it again, and queueing it again under the
// same key adds nothing. So every pending message gets exactly one answer
// in the outbox, and the outbox sends each once.

// answerBatch messages are claimed at a time and leased for answerLease.
const (
	answerBatch = 64
	answerLease = 30 * time.Second
	// answerWorkers compose at once: the store reads their statuses
	// together.
	answerWorkers = 16
)

// answerLoop answers pending messages until ctx ends, woken by each
// message accepted pending, and looking anyway every second (for messages
// that other replicas accepted, or that a crash left).
func (s *Server) answerLoop(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := s.AnswerOnce(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("sms: answering pending messages", "err", err)
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-time.After(time.Second):
		}
	}
}

// AnswerOnce answers one batch of pending messages and says how many it
// claimed. Their answers are composed at once, and then queued and
// recorded together: two commits a batch, not two a message.
func (s *Server) AnswerOnce(ctx context.Context) (int, error) {
	msgs, err := s.cfg.Store.ClaimInbound(ctx, s.worker, answerBatch, answerLease)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	answers := make([]lifeline.InboundAnswer, len(msgs))
	errs := make([]error, len(msgs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, answerWorkers)
	for i := range msgs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			answers[i], errs[i] = s.answerOf(ctx, &msgs[i])
		}()
	}
	wg.Wait()
	// A message whose answer could not be composed stays pending, and
	// comes back when its lease runs out; the others are answered now.
	done := answers[:0]
	var first error
	for i, a := range answers {
		if errs[i] != nil {
			first = cmp.Or(first, errs[i])
			continue
		}
		done = append(done, a)
	}
	if err := s.cfg.Store.AnswerAll(ctx, done); err != nil {
		return len(msgs), err
	}
	if s.cfg.Sender != nil {
		s.cfg.Sender.Wake()
	}
	return len(msgs), first
}

// answerOf composes one pending message's answer.
func (s *Server) answerOf(ctx context.Context, m *lifeline.InboundMessage) (lifeline.InboundAnswer, error) {
	if m.From == "" {
		return lifeline.InboundAnswer{Sid: m.Sid, State: lifeline.InboundSilent}, nil
	}
	reply, _, err := s.compose(ctx, m.From, DecodeCommand(m.Command))
	if err != nil {
		return lifeline.InboundAnswer{}, err
	}
	out := &lifeline.OutboxMessage{To: m.From, Body: reply, Kind: lifeline.OutboxAnswer, DedupeKey: lifeline.AnswerKey(m.Sid), AskedAt: m.ReceivedAt}
	return lifeline.InboundAnswer{Sid: m.Sid, State: lifeline.InboundOutbox, Out: out}, nil
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

// drainLoop moves the spool's messages into the store once it is back,
// and sends holding texts to numbers whose answer waits too long for it,
// until ctx ends.
func (s *Server) drainLoop(ctx context.Context) {
	if s.spool == nil {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		if n, _ := s.spool.Stats(); n > 0 || s.storeDown() {
			if _, err := s.DrainOnce(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("sms: the store is still unavailable; messages wait in the spool", "dir", s.spool.Dir(), "err", err)
			}
			s.SendHolding(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// DrainOnce writes the spool's messages into the store, oldest first, and
// says how many it wrote. Once they all are, the spool is emptied and
// messages go to the store again. A message the store already holds (a
// retry that reached the store first, or a drain cut short) is left as the
// store has it, but for one recorded inline that the gateway answered
// empty because it could not learn that the record was committed: that one
// is reopened, to be answered through the outbox.
func (s *Server) DrainOnce(ctx context.Context) (int, error) {
	recs := s.spool.Waiting()
	if len(recs) == 0 {
		if p, ok := s.cfg.Store.(interface{ Ping(context.Context) error }); ok {
			if err := p.Ping(ctx); err != nil {
				return 0, err
			}
		}
		s.storeBack()
		return 0, s.spool.Drained(nil)
	}
	type result struct {
		sid string
		err error
	}
	res := make(chan result, len(recs))
	sem := make(chan struct{}, 256)
	for i := range recs {
		sem <- struct{}{}
		go func(r *SpoolRecord) {
			defer func() { <-sem }()
			res <- result{r.Sid, s.drainRecord(ctx, r)}
		}(&recs[i])
	}
	var done []string
	var first error
	for range recs {
		r := <-res
		if r.err != nil {
			if first == nil {
				first = r.err
			}
			continue
		}
		done = append(done, r.sid)
	}
	s.metrics.drained.Add(float64(len(done)))
	if len(done) > 0 {
		s.wakeAnswerer()
	}
	if first == nil {
		s.storeBack()
	}
	if err := s.spool.Drained(done); err != nil && first == nil {
		first = err
	}
	return len(done), first
}

// drainRecord writes one spooled message into the store.
func (s *Server) drainRecord(ctx context.Context, r *SpoolRecord) error {
	actx, cancel := context.WithTimeout(ctx, s.cfg.AcceptTimeout)
	defer cancel()
	prev, first, err := s.cfg.Store.BeginInbound(actx, r.Message())
	if err != nil {
		return err
	}
	if !first && r.Uncertain && prev.State == lifeline.InboundInline && prev.From == r.From {
		_, err := s.cfg.Store.ReopenInbound(ctx, r.Sid, r.From)
		return err
	}
	return nil
}

// storeBack notes that the store takes writes again.
func (s *Server) storeBack() {
	if at := s.down.Swap(0); at != 0 {
		s.log.Info("sms: the store is back; messages go to it again", "after", time.Since(time.Unix(0, at)).Round(time.Second))
	}
}

// SendHolding sends one holding text to each number whose oldest message
// in the spool has waited HoldAfter, unless it got one since the spool was
// last emptied, and says how many it sent; the drain loop runs it every
// second while messages wait in the spool. The mark is on disk before the text goes (a crash between
// the two sends none rather than two); the real answer follows once the
// store is back.
func (s *Server) SendHolding(ctx context.Context) int {
	if s.cfg.HoldAfter < 0 || s.cfg.Sender == nil || s.spool == nil {
		return 0
	}
	sent := 0
	now := s.cfg.Now()
	seen := map[string]bool{}
	for _, r := range s.spool.Waiting() {
		if r.From == "" || r.State != int(lifeline.InboundPending) || seen[r.From] {
			continue
		}
		seen[r.From] = true
		if now.Sub(time.UnixMilli(r.At)) < s.cfg.HoldAfter || s.spool.Held(r.From) {
			continue
		}
		if err := s.spool.Append(SpoolRecord{Kind: 'h', From: r.From}); err != nil {
			s.log.Error("sms: cannot mark a holding text", "err", err)
			return sent
		}
		if err := s.cfg.Sender.SendNow(ctx, r.From, holdingText(DecodeCommand(r.Command).Lang)); err != nil {
			if errors.Is(err, context.Canceled) {
				return sent
			}
			s.log.Warn("sms: holding text not sent", "to", lifeline.MaskPhone(r.From), "err", err)
			continue
		}
		s.metrics.holding.Inc()
		sent++
	}
	return sent
}
