package store

import (
	"slices"
	"sync"
	"time"
)

// batcher runs concurrent calls of one kind together: the SMS gateway's
// group commit of MessageSids (BeginInbound) and group read of statuses
// (StatusByPhone). A call that finds no batch running runs one at once,
// for itself and every call waiting; calls that arrive while it runs wait
// for the next, which starts as soon as it ends, run by a goroutine the
// first caller leaves behind (so that caller's answer is not held up by
// other people's). An idle store pays nothing extra; a busy one pays one
// statement or transaction per batch, not per call.
type batcher[W any] struct {
	// run runs a batch and marks each of its calls done.
	run func([]W)
	// max bounds a batch (0: no bound).
	max int
	// linger, when set, is how long a batch first waits for more calls if
	// the last batch held several and fewer than lingerUnder wait now.
	linger      time.Duration
	lingerUnder int

	mu      sync.Mutex
	pending []W
	running bool
	last    int // calls in the last batch
}

// add queues w and, when no batch is running, runs batches until no call
// waits. The caller then waits for w to be done.
func (b *batcher[W]) add(w W) {
	b.mu.Lock()
	b.pending = append(b.pending, w)
	lead := !b.running
	b.running = true
	b.mu.Unlock()
	if lead && b.next() {
		go func() {
			for b.next() {
			}
		}()
	}
}

// next runs one batch of what waits and reports whether more calls wait;
// when none do, the run ends.
func (b *batcher[W]) next() bool {
	b.mu.Lock()
	wait := b.linger > 0 && b.last > 1 && len(b.pending) < b.lingerUnder
	b.mu.Unlock()
	if wait {
		time.Sleep(b.linger)
	}
	b.mu.Lock()
	batch := b.pending
	if b.max > 0 && len(batch) > b.max {
		batch = batch[:b.max:b.max]
		b.pending = slices.Clone(b.pending[b.max:])
	} else {
		b.pending = nil
	}
	if len(batch) == 0 {
		b.running = false
		b.mu.Unlock()
		return false
	}
	b.last = len(batch)
	b.mu.Unlock()
	b.run(batch)
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) == 0 {
		b.running = false
		return false
	}
	return true
}
