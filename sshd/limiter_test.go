package sshd

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	l := newLimiter(3, time.Minute, 5*time.Minute)
	now := time.Date(2022, 4, 9, 9, 0, 0, 0, time.UTC)
	if l.fail("a", now) || l.fail("a", now) {
		t.Fatal("blocked before the third failure")
	}
	if !l.fail("a", now) {
		t.Fatal("the third failure in a row does not block")
	}
	if until, b := l.blocked("a", now.Add(time.Minute)); !b || !until.Equal(now.Add(5*time.Minute)) {
		t.Fatalf("blocked %v until %v", b, until)
	}
	if _, b := l.blocked("a", now.Add(5*time.Minute)); b {
		t.Fatal("still blocked after the block")
	}
	// Not in a row: a success between, or failures further apart than the
	// window.
	l.fail("b", now)
	l.fail("b", now)
	l.succeed("b", now)
	if l.fail("b", now) {
		t.Fatal("a success did not start the count again")
	}
	l.fail("c", now)
	l.fail("c", now)
	if l.fail("c", now.Add(2*time.Minute)) {
		t.Fatal("failures outside the window blocked")
	}
}
