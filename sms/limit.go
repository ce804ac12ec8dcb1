package sms

import (
	"container/list"
	"sync"
	"sync/atomic"
	"time"
)

// rateLimiter is a token bucket per phone number: burst replies at once,
// then one more every refill. It remembers at most max numbers; past that
// it forgets the one heard from longest ago, which is the one least likely
// to be in a loop.
//
// A number over its limit is told so once (how long to wait), then hears
// nothing until a window of burst × refill has passed since it was told:
// a person learns why there is no answer, and a carrier's auto-reply that
// answers every message still cannot loop with us faster than the refill.
type rateLimiter struct {
	mu     sync.Mutex
	burst  float64
	refill time.Duration
	window time.Duration // between two notices to one number
	max    int
	byKey  map[string]*list.Element
	lru    *list.List // front: most recently seen
}

type bucket struct {
	key      string
	tokens   float64
	at       time.Time
	noticeAt time.Time // when the number was last told to wait; zero if never
}

func newRateLimiter(burst int, refill time.Duration, max int) *rateLimiter {
	return &rateLimiter{burst: float64(burst), refill: refill, window: time.Duration(burst) * refill, max: max,
		byKey: map[string]*list.Element{}, lru: list.New()}
}

// limitVerdict is what the limiter says of one message.
type limitVerdict struct {
	// ok: answer it.
	ok bool
	// notice: not ok, and this is the one message of the window that is
	// told to wait, for wait (until the next token).
	notice bool
	wait   time.Duration
}

// take takes a token for key at now, or says whether to tell the number
// to wait.
func (l *rateLimiter) take(key string, now time.Time) limitVerdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.byKey[key]; ok {
		b := e.Value.(*bucket)
		l.lru.MoveToFront(e)
		if l.refill > 0 {
			b.tokens += float64(now.Sub(b.at)) / float64(l.refill)
		}
		if b.tokens > l.burst {
			b.tokens = l.burst
		}
		b.at = now
		if b.tokens >= 1 {
			b.tokens--
			return limitVerdict{ok: true}
		}
		if !b.noticeAt.IsZero() && now.Sub(b.noticeAt) < l.window {
			return limitVerdict{}
		}
		b.noticeAt = now
		return limitVerdict{notice: true, wait: time.Duration((1 - b.tokens) * float64(l.refill))}
	}
	for l.lru.Len() >= l.max && l.lru.Len() > 0 {
		old := l.lru.Back()
		l.lru.Remove(old)
		delete(l.byKey, old.Value.(*bucket).key)
	}
	l.byKey[key] = l.lru.PushFront(&bucket{key: key, tokens: l.burst - 1, at: now})
	return limitVerdict{ok: true}
}

// unsay takes back what take said of a message for key that was not
// answered as it said: the token it took, or the notice it gave (so the
// next message over the limit is told instead).
func (l *rateLimiter) unsay(key string, v limitVerdict) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.byKey[key]
	if !ok {
		return
	}
	b := e.Value.(*bucket)
	switch {
	case v.ok:
		b.tokens = min(b.tokens+1, l.burst)
	case v.notice:
		// A notice is given only when none was within the window: none
		// was, as far as the next message is concerned.
		b.noticeAt = time.Time{}
	}
}

// len returns how many numbers are remembered.
func (l *rateLimiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// admission bounds the messages answered inline: at most inflight are
// composed at once, and at most queue more wait (each for at most wait)
// for a slot. A message that gets none is not refused: it is accepted and
// answered through the outbox. So under a surge the work in the process
// stays bounded and the answers given inline stay fast.
type admission struct {
	slots   chan struct{}
	waiting atomic.Int64
	queue   int64
	wait    time.Duration
	// full is when a message last found no slot (Unix ns), for /healthz.
	full atomic.Int64
}

func newAdmission(inflight, queue int, wait time.Duration) *admission {
	return &admission{slots: make(chan struct{}, inflight), queue: int64(queue), wait: wait}
}

// acquire takes a slot, or reports false when there is none to be had.
func (a *admission) acquire(done <-chan struct{}) bool {
	select {
	case a.slots <- struct{}{}:
		return true
	default:
	}
	if a.waiting.Add(1) > a.queue || a.wait <= 0 {
		a.waiting.Add(-1)
		a.full.Store(time.Now().UnixNano())
		return false
	}
	defer a.waiting.Add(-1)
	t := time.NewTimer(a.wait)
	defer t.Stop()
	select {
	case a.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-done:
	}
	a.full.Store(time.Now().UnixNano())
	return false
}

func (a *admission) release() { <-a.slots }

// load is how many slots are taken and how many messages wait for one.
func (a *admission) load() (inUse, waiting int) {
	return len(a.slots), int(a.waiting.Load())
}

// saturated reports whether a message found no slot within the last
// second.
func (a *admission) saturated() bool {
	at := a.full.Load()
	return at != 0 && time.Since(time.Unix(0, at)) < time.Second
}
