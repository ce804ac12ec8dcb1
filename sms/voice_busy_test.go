package sms_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
	"github.com/lifeline-health/lifeline/store"
)

// heldStore holds the one status read armed by hold until it is released;
// every other read goes through.
type heldStore struct {
	*store.DB
	armed   chan chan struct{} // a read takes the release channel to wait on
	entered chan struct{}
}

func (s *heldStore) StatusByPhone(ctx context.Context, p string) ([]*lifeline.Resident, error) {
	select {
	case release := <-s.armed:
		s.entered <- struct{}{}
		<-release
	default:
	}
	return s.DB.StatusByPhone(ctx, p)
}

// busyGateway is a gateway with one slot; hold takes it with a call whose
// status read waits until release is called.
func busyGateway(t *testing.T, db *store.DB) (g *gateway, hold func() (release func())) {
	t.Helper()
	held := &heldStore{DB: db, armed: make(chan chan struct{}, 1), entered: make(chan struct{}, 1)}
	g = newGateway(t, db, func(c *sms.Config) {
		c.Store = held
		c.MaxInFlight, c.MaxQueue, c.QueueWait = 1, 1, 20*time.Millisecond
	})
	db.Now = g.clock.Now // the outbox's due times are the gateway's
	hold = func() func() {
		gate := make(chan struct{})
		held.armed <- gate
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			form := url.Values{"CallSid": {"CAheld"}, "From": {phone(1)}}
			if code, _, x := g.post("/voice", form, true); code != 200 || !strings.Contains(x, "<Gather") {
				t.Errorf("the held call: %d %s", code, x)
			}
		}()
		<-held.entered
		var once sync.Once
		release := func() { once.Do(func() { close(gate); wg.Wait() }) }
		t.Cleanup(release)
		return release
	}
	return g, hold
}

// TestVoiceBusyTextsTheStatus: past capacity a call still gets an answer,
// in speech: the line is busy, and a mobile will get its status by SMS,
// queued in the outbox at once and written as soon as there is room, the
// same words as 查询 would get; a landline is asked to call again; a
// caller trying again and again is promised one text.
func TestVoiceBusyTextsTheStatus(t *testing.T) {
	eachStore(t, func(t *testing.T, db *store.DB) {
		seedFamily(t, db)
		g, hold := busyGateway(t, db)
		release := hold()
		ctx := context.Background()

		a := g.call("/voice", phone(1))
		a.checkSpeech(t, sms.DefaultVoice, sms.DefaultVoiceLanguage)
		if a.names() != "Say Say Say Hangup" {
			t.Fatalf("a busy call: %s", a.names())
		}
		a.said(t, "现在来电的人很多。", "我们稍后会用短信把健康状态发到这部手机。", "感谢来电，再见。")
		g.call("/voice", phone(1)) // again, at once
		home := g.call("/voice", "029-8888 1234")
		home.said(t, "现在来电的人很多，请过几分钟再拨。")

		queued, err := db.QueuedOfKind(ctx, sms.KindCallBack, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(queued) != 1 || queued[0].To != phone(1) || !queued[0].NextAttemptAt.Equal(testNow.Add(15*time.Minute)) {
			t.Fatalf("queued for busy calls: %+v, want one text to phone 1, due in 15 minutes", queued)
		}
		if due, err := db.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: "test", Max: 10, Lease: time.Minute}); err != nil || len(due) != 0 {
			t.Fatalf("claimed while waiting for the status: %+v, %v", due, err)
		}

		release()
		if n, err := g.srv.AnswerCallbacks(ctx); err != nil || n != 1 {
			t.Fatalf("AnswerCallbacks = %d, %v", n, err)
		}
		due, err := db.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: "test", Max: 10, Lease: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != 1 || due[0].Kind != sms.KindCallAnswer || due[0].Body != g.text(phone(1), "查询") {
			t.Fatalf("the text a busy call gets: %+v, want what 查询 gets", due)
		}
		if n, err := g.srv.AnswerCallbacks(ctx); err != nil || n != 0 {
			t.Fatalf("AnswerCallbacks again = %d, %v", n, err)
		}
		_, _, metrics := get(t, g.ts.URL+"/metrics")
		if !strings.Contains(metrics, `lifeline_voice_requests_total{step="busy"} 3`) {
			t.Fatalf("busy calls not counted")
		}
	})
}

// TestVoiceBusyNeverSilent: when the status cannot be written in time
// (the gateway stopped, the store too busy), the text queued by the busy
// call goes out after the grace, saying how to get the status.
func TestVoiceBusyNeverSilent(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	g, hold := busyGateway(t, db)
	g.text(phone(3), "STATUS") // an English texter: a stranger, but the language is known
	hold()
	g.call("/voice", phone(3)).said(t, "The line is very busy right now.", "We will text your status to this phone shortly.")
	ctx := context.Background()
	g.clock.Add(16 * time.Minute)
	due, err := db.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: "test", Max: 10, Lease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].To != phone(3) || due[0].Body != "The line was busy when you called. Reply STATUS for your status, or call again later." {
		t.Fatalf("after the grace: %+v", due)
	}
	// A number that opted out of texts is asked to call again.
	if err := db.SetOptOut(ctx, phone(4), true); err != nil {
		t.Fatal(err)
	}
	g.call("/voice", phone(4)).said(t, "现在来电的人很多，请过几分钟再拨。")
	// Claimed and being sent: no longer rewritten.
	if n, err := g.srv.AnswerCallbacks(ctx); err != nil || n != 0 {
		t.Fatalf("AnswerCallbacks on a message being sent = %d, %v", n, err)
	}
}
