package sshd

import (
	"sync"
	"time"
)

// limiter counts failed logins per key (an address, a user name) and
// blocks a key that fails max times in a row within window, for block.
// It is in memory: a restart forgets it, while the store's locks per name
// and address (lifeline.LoginState) stay.
type limiter struct {
	max           int
	window, block time.Duration

	mu sync.Mutex
	m  map[string]*failures
}

type failures struct {
	n            int
	first        time.Time
	blockedUntil time.Time
}

// maxLimited bounds how many keys are remembered: past it, those whose
// window and block are over are forgotten first, then new keys are not
// counted (the store's locks still are).
const maxLimited = 100_000

func newLimiter(max int, window, block time.Duration) *limiter {
	return &limiter{max: max, window: window, block: block, m: map[string]*failures{}}
}

// blocked returns until when key is blocked, if it is at now.
func (l *limiter) blocked(key string, now time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[key]
	if f == nil || !now.Before(f.blockedUntil) {
		return time.Time{}, false
	}
	return f.blockedUntil, true
}

// fail counts a failure of key at now and reports whether it blocks key.
func (l *limiter) fail(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[key]
	if f == nil {
		if len(l.m) >= maxLimited && !l.forget(now) {
			return false
		}
		f = &failures{}
		l.m[key] = f
	}
	if now.Before(f.blockedUntil) {
		return false
	}
	if f.n == 0 || now.Sub(f.first) > l.window {
		f.n, f.first = 0, now
	}
	f.n++
	if f.n >= l.max {
		f.n, f.blockedUntil = 0, now.Add(l.block)
		return true
	}
	return false
}

// succeed forgets key's failures at now, they were not in a row, unless
// it is blocked.
func (l *limiter) succeed(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := l.m[key]; f != nil && !now.Before(f.blockedUntil) {
		delete(l.m, key)
	}
}

// forget drops the keys whose window and block are over, and reports
// whether there is room now. l.mu is held.
func (l *limiter) forget(now time.Time) bool {
	for k, f := range l.m {
		if now.Sub(f.first) > l.window && !now.Before(f.blockedUntil) {
			delete(l.m, k)
		}
	}
	return len(l.m) < maxLimited
}
