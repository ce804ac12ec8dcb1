package sms

import (
	"context"
	"strconv"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/twilio/twilio-go/twiml"
)

// A call past the gateway's capacity is never met with silence or an
// error Twilio would read out as an apology: it hears that the line is
// busy, and a mobile is promised its status by SMS. The promise is kept
// through the outbox, so nothing is lost if the gateway stops:
//
//  1. The busy call queues a text at once (KindCallBack) that asks the
//     caller to call again or text 查询, due only after CallbackGrace.
//  2. As soon as there is room, AnswerCallbacks reads the caller's status
//     (the same read and words as an SMS reply) and rewrites that queued
//     text into the answer (KindCallAnswer), due at once.
//  3. If nothing rewrites it in time (the store too busy for the read, the
//     gateway stopped), the text of step 1 goes out: never silence.

// Outbox kinds of the texts a busy voice line promises.
const (
	KindCallBack   = "voice_busy"
	KindCallAnswer = "voice_answer"
)

// callBackWindow is how often one number may be promised a text: a caller
// who tries again and again in a surge gets one text, not one a try.
const callBackWindow = 10 * time.Minute

// enqueueTimeout bounds the busy line's one write: the caller hears the
// line is busy either way, and is promised a text only once it is queued.
const enqueueTimeout = 3 * time.Second

// voiceBusy answers a call past capacity without reading the store: the
// language is the gateway's copy (lang.go), and a mobile gets a text
// queued for it.
func (s *Server) voiceBusy(ctx context.Context, c call) []twiml.Element {
	l := s.langs.known(c.from)
	texted := false
	if c.from != "" && !lifeline.IsLandline(c.from) {
		now := s.cfg.Now()
		m := &lifeline.OutboxMessage{To: c.from, Kind: KindCallBack, Body: callAgainText(l), NextAttemptAt: now.Add(s.cfg.CallbackGrace),
			DedupeKey: "voice:" + c.from + ":" + strconv.FormatInt(now.UnixMilli()/callBackWindow.Milliseconds(), 10)}
		ctx, cancel := context.WithTimeout(ctx, enqueueTimeout)
		defer cancel()
		if err := s.cfg.Store.Enqueue(ctx, m); err != nil {
			s.log.Error("voice: busy, and cannot queue a text", "from", lifeline.MaskPhone(c.from), "err", err)
		} else {
			// Queued now, or by an earlier busy call of this window (and
			// perhaps sent already); not for a number that opted out.
			texted = m.State != lifeline.OutboxDropped && m.State != lifeline.OutboxFailed
			s.wakeCallbacks()
		}
	}
	s.log.Warn("voice: line busy", "from", lifeline.MaskPhone(c.from), "texted", texted)
	return s.speaker(l).hangUp(busySpeech(texted, l)...)
}

// callAgainText is the text a busy call gets when its status could not be
// read in time: how to get it after all.
func callAgainText(l lifeline.Lang) string {
	return l.Pick("您刚才来电时线路繁忙。回复查询可收到健康状态，或稍后再拨。", "The line was busy when you called. Reply STATUS for your status, or call again later.")
}

func (s *Server) wakeCallbacks() {
	select {
	case s.callbacks <- struct{}{}:
	default:
	}
}

// callbackBatch is how many promised texts AnswerCallbacks writes at a go.
const callbackBatch = 50

// AnswerCallbacks writes the status into the texts busy calls queued, as
// room allows (each read takes an admission slot, as a request does), and
// says how many it wrote. It stops at the first slot it cannot have: the
// gateway is still full, and the next wake-up or scan tries again.
func (s *Server) AnswerCallbacks(ctx context.Context) (int, error) {
	pending, err := s.cfg.Store.QueuedOfKind(ctx, KindCallBack, callbackBatch)
	if err != nil {
		return 0, err
	}
	written := 0
	for _, m := range pending {
		if !s.admit.acquire(ctx.Done()) {
			break
		}
		body, err := s.callbackText(ctx, m.To)
		s.admit.release()
		if err != nil {
			return written, err
		}
		ok, err := s.cfg.Store.RewriteQueued(ctx, m.ID, KindCallBack, KindCallAnswer, body, s.cfg.Now())
		if err != nil {
			return written, err
		}
		if ok {
			written++
		}
	}
	if written > 0 && s.cfg.Sender != nil {
		s.cfg.Sender.Wake()
	}
	if len(pending) == callbackBatch {
		s.wakeCallbacks()
	}
	return written, nil
}

// callbackText is what a status SMS to phone says now: its first page, as
// 查询 would get, or the fixed text for a number bound to no one.
func (s *Server) callbackText(ctx context.Context, phone string) (string, error) {
	l, err := s.cfg.Store.PhoneLang(ctx, phone)
	if err != nil {
		return "", err
	}
	people, err := s.cfg.Store.StatusByPhone(ctx, phone)
	if err != nil {
		return "", err
	}
	if len(people) == 0 {
		return unknownText(l), nil
	}
	return s.statusReplies(people, l)[0], nil
}

// callbackLoop runs AnswerCallbacks when a busy call queues a text, and
// every ScanEvery for those left over (refreshing the copy of who speaks
// English as it goes), until ctx ends.
func (s *Server) callbackLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.ScanEvery)
	defer t.Stop()
	for {
		// The busy line reads no store: keep its copy of who speaks
		// English fresh.
		if _, err := s.langs.english(ctx, s.cfg.Store, "", s.cfg.Now()); err != nil && ctx.Err() == nil {
			s.log.Warn("voice: cannot read which numbers speak English", "err", err)
		}
		if n, err := s.AnswerCallbacks(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Error("voice: cannot text the status to busy callers", "err", err)
		} else if n > 0 {
			s.log.Info("voice: status texted to callers the busy line turned away", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.callbacks:
		}
	}
}
