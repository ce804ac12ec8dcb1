package sms_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
	"github.com/lifeline-health/lifeline/store"
)

// goneStore finishes its first status lookup only once the text's caller
// has hung up: the answer is composed, and nobody is left to take it
// inline. Later lookups (the answerer's) go straight through.
type goneStore struct {
	*store.DB
	first   sync.Once
	entered chan struct{}
}

func (s *goneStore) StatusByPhone(ctx context.Context, p string) ([]*lifeline.Resident, error) {
	s.first.Do(func() {
		close(s.entered)
		<-ctx.Done()
	})
	return s.DB.StatusByPhone(context.WithoutCancel(ctx), p)
}

// TestCallerGoneIsAnsweredThroughTheOutbox: a text whose caller hangs up
// (its provider gave up waiting) while its answer is composed is not
// recorded as answered inline, which would leave the person unanswered
// unless the provider retries: its answer goes through the outbox, once,
// and a retry gets an empty response.
func TestCallerGoneIsAnsweredThroughTheOutbox(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	gone := &goneStore{DB: db, entered: make(chan struct{})}
	g := newGateway(t, db, func(c *sms.Config) {
		c.Store = gone
		c.InlineBudget = time.Minute
	})
	const sid = "SMgone00000000000000000000000001"
	hangUp := g.sendHangingUp(g.ts.URL, sid, phone(1), "查询")
	<-gone.entered
	if err := hangUp(); err == nil {
		t.Fatal("the caller who hung up got a response")
	}
	g.ts.Close() // returns once the handler is done with the text

	// The provider's retry, at this replica or another.
	answeredOnceThroughTheOutbox(t, g, newGateway(t, db, nil), sid)
}

// TestCallerGoneBeforeItsTurnIsAnsweredThroughTheOutbox: a signed text
// whose caller gives up while it waits for a turn is not dropped (Twilio
// sends it again only if its retry policy names the timeout): it is
// recorded pending at once, without waiting on for a turn, and answered
// through the outbox, once.
func TestCallerGoneBeforeItsTurnIsAnsweredThroughTheOutbox(t *testing.T) {
	g, held := oneTurnGateway(t)
	defer held.let()
	first := make(chan string, 1)
	go func() { first <- g.textSid("SMturn00000000000000000000000001", phone(1), "查询") }()
	<-held.entered

	const sid = "SMturn00000000000000000000000002"
	hangUp := g.sendHangingUp(g.ts.URL, sid, phone(1), "查询")
	waitMetric(t, g, "lifeline_sms_waiting_for_turn 1")
	if err := hangUp(); err == nil {
		t.Fatal("the caller who hung up got a response")
	}
	// Recorded while the first text still holds the one turn.
	waitMetric(t, g, `lifeline_sms_requests_total{command="status",outcome="caller_gone"} 1`)
	held.let()
	if got := <-first; !strings.Contains(got, "绿码") {
		t.Fatalf("the text that held the turn got %q", got)
	}

	answeredOnceThroughTheOutbox(t, g, g, sid)
}

// waitMetric waits until the gateway's /metrics shows line, and fails the
// test if it does not within 10 s.
func waitMetric(t *testing.T, g *gateway, line string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _, m := get(t, g.ts.URL+"/metrics")
		if strings.Contains(m, line+"\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed %q:\n%s", line, m)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// answeredOnceThroughTheOutbox checks that g's answerer answers the one
// pending message, phone(1)'s status query sid, through the outbox, and
// that the provider's retry of it, to retry, gets no answer inline and
// queues none.
func answeredOnceThroughTheOutbox(t *testing.T, g, retry *gateway, sid string) {
	t.Helper()
	if n, err := g.srv.AnswerOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("AnswerOnce = %d, %v; want the message whose caller hung up", n, err)
	}
	if answer := outboxAnswer(t, g.db, sid); answer.To != phone(1) || !strings.Contains(answer.Body, "张*丰 绿码") {
		t.Fatalf("the answer sent through the outbox: %+v", answer)
	}
	if got := retry.textSid(sid, phone(1), "查询"); got != "" {
		t.Fatalf("the retry of a message answered through the outbox got %q inline", got)
	}
	if n, _ := g.db.OutboxDepth(context.Background()); n != 1 {
		t.Fatalf("outbox depth %d; want the one answer", n)
	}
}
