package sms_test

import (
	"sync"
	"testing"
)

// TestTurnsBoundTheTextsWorkedOn: with --max-active 1, a second signed
// text waits, untouched, while the first is worked on, and is answered
// once the first is done.
func TestTurnsBoundTheTextsWorkedOn(t *testing.T) {
	g, held := oneTurnGateway(t)
	defer held.let()
	var wg sync.WaitGroup
	replies := make([]string, 2)
	for i := range replies {
		if i == 1 {
			<-held.entered
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = g.text(phone(1), "查询")
		}()
	}
	waitMetric(t, g, "lifeline_sms_waiting_for_turn 1")
	if n := held.reads.Load(); n != 1 {
		t.Fatalf("the second text was worked on (%d clock reads) while the one turn was held", n)
	}
	held.let()
	wg.Wait()
	for i, r := range replies {
		if r == "" {
			t.Errorf("text %d got no answer", i+1)
		}
	}
}
