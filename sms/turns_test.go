package sms_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lifeline-health/lifeline/sms"
)

// TestTurnsBoundTheTextsWorkedOn: with --max-active 1, a second signed
// text waits, untouched, while the first is worked on, and is answered
// once the first is done.
func TestTurnsBoundTheTextsWorkedOn(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	var inside atomic.Int32
	entered, release := make(chan struct{}), make(chan struct{})
	g := newGateway(t, db, func(c *sms.Config) {
		c.MaxActive = 1
		clock := c.Now
		// The handler reads the clock first thing in its turn: the first
		// text holds its turn there until released.
		c.Now = func() time.Time {
			if inside.Add(1) == 1 {
				close(entered)
				<-release
			}
			return clock()
		}
	})
	var once sync.Once
	let := func() { once.Do(func() { close(release) }) }
	defer let() // a failure below must not leave the first text held
	var wg sync.WaitGroup
	replies := make([]string, 2)
	for i := range replies {
		if i == 1 {
			<-entered
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = g.text(phone(1), "查询")
		}()
	}
	time.Sleep(300 * time.Millisecond)
	if n := inside.Load(); n != 1 {
		t.Fatalf("the second text was worked on (%d clock reads) while the one turn was held", n)
	}
	let()
	wg.Wait()
	for i, r := range replies {
		if r == "" {
			t.Errorf("text %d got no answer", i+1)
		}
	}
}
