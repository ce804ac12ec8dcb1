package sms

import (
	"context"
	"fmt"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// resultCursor names the store cursor of the result scan: the last test
// result id already turned into notices.
const resultCursor = "sms.results"

// Notice kinds in the outbox.
const (
	KindResultNotice = "result"
	KindExpiryNotice = "expiry"
)

// EnqueueNotice queues the SMS for one notice and reports whether it was
// new: its key makes queueing the same notice twice harmless.
func EnqueueNotice(ctx context.Context, st lifeline.MessageService, n lifeline.Notice, loc *time.Location) (bool, error) {
	m := &lifeline.OutboxMessage{To: n.Phone, DedupeKey: n.Key}
	if n.ExpiresAt.IsZero() {
		m.Kind, m.Body = KindResultNotice, resultNoticeText(n, loc)
	} else {
		m.Kind, m.Body = KindExpiryNotice, expiryNoticeText(n, loc)
	}
	if err := st.Enqueue(ctx, m); err != nil {
		return false, err
	}
	return !m.CreatedAt.IsZero(), nil
}

// ScanOnce queues notices for test results stored since the last scan and
// for paper codes expiring within ExpiryWarning, and returns how many it
// queued. The first scan on a store only remembers where results stand:
// people are told about new results, not about history.
func (s *Server) ScanOnce(ctx context.Context) (int, error) {
	st := s.cfg.Store
	queued := 0
	cur, ok, err := st.Cursor(ctx, resultCursor)
	if err != nil {
		return 0, err
	}
	if !ok {
		_, newest, err := st.ResultNotices(ctx, -1, 0)
		if err != nil {
			return 0, err
		}
		if err := st.SetCursor(ctx, resultCursor, newest); err != nil {
			return 0, err
		}
		cur = newest
	}
	for {
		notices, last, err := st.ResultNotices(ctx, cur, 500)
		if err != nil {
			return queued, err
		}
		for _, n := range notices {
			added, err := EnqueueNotice(ctx, st, n, s.cfg.Location)
			if err != nil {
				return queued, err
			}
			if added {
				queued++
			}
		}
		// The cursor moves only after the notices are queued: a crash in
		// between queues them again, and their keys make that harmless.
		if last == cur {
			break
		}
		if err := st.SetCursor(ctx, resultCursor, last); err != nil {
			return queued, err
		}
		cur = last
	}
	now := s.cfg.Now()
	notices, err := st.ExpiryNotices(ctx, now, now.Add(s.cfg.ExpiryWarning))
	if err != nil {
		return queued, fmt.Errorf("expiring codes: %w", err)
	}
	for _, n := range notices {
		added, err := EnqueueNotice(ctx, st, n, s.cfg.Location)
		if err != nil {
			return queued, err
		}
		if added {
			queued++
		}
	}
	if queued > 0 && s.cfg.Sender != nil {
		s.cfg.Sender.Wake()
	}
	return queued, nil
}

// PruneOnce forgets the MessageSids older than KeepInbound and says how
// many; the background work does it once an hour.
func (s *Server) PruneOnce(ctx context.Context) (int64, error) {
	n, err := s.cfg.Store.PruneInbound(ctx, s.cfg.Now().Add(-s.cfg.KeepInbound))
	if err == nil && n > 0 {
		s.log.Info("sms: old inbound messages forgotten", "count", n)
	}
	return n, err
}

// scanLoop runs ScanOnce every ScanEvery, and PruneOnce once an hour,
// until ctx ends.
func (s *Server) scanLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.ScanEvery)
	defer t.Stop()
	var pruned time.Time
	for {
		if n, err := s.ScanOnce(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Error("sms: notification scan", "err", err)
		} else if n > 0 {
			s.log.Info("sms: notifications queued", "count", n)
		}
		if now := s.cfg.Now(); now.Sub(pruned) >= time.Hour {
			if _, err := s.PruneOnce(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				s.log.Error("sms: forgetting old inbound messages", "err", err)
			} else {
				pruned = now
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
