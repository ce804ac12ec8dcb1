package sms_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
	"github.com/lifeline-health/lifeline/store"
)

// awayStore is a real store that can be made unreachable for writes of
// inbound messages and pings, as a PostgreSQL that went away looks to the
// gateway (the fault tests stop a real one: faults/intake_test.go).
type awayStore struct {
	*store.DB
	away atomic.Bool
}

func (s *awayStore) BeginInbound(ctx context.Context, m *lifeline.InboundMessage) (*lifeline.InboundMessage, bool, error) {
	if s.away.Load() {
		return nil, false, lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T("数据库暂时无法访问", "the database is unreachable"))
	}
	return s.DB.BeginInbound(ctx, m)
}

func (s *awayStore) Ping(ctx context.Context) error {
	if s.away.Load() {
		return lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T("数据库暂时无法访问", "the database is unreachable"))
	}
	return s.DB.Ping(ctx)
}

// TestSpoolWhileTheStoreIsAway: while the store cannot record messages
// they are accepted into the spool (200, empty), a retry is not spooled
// twice, /healthz says so, a number waiting too long gets one holding
// text; when the store is back the spool drains into it and every message
// is answered through the outbox, once.
func TestSpoolWhileTheStoreIsAway(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	dir := filepath.Join(t.TempDir(), "spool")
	sp, err := sms.OpenSpool(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	api := newTwilioStandIn(t)
	clock := &testClock{t: testNow}
	sender, err := sms.NewSender(sms.SenderConfig{Store: db, Messenger: standInTwilio(t, api.ts.URL), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	away := &awayStore{DB: db}
	g := newGateway(t, db, func(c *sms.Config) {
		c.Store, c.Spool, c.Sender, c.Now = away, sp, sender, clock.Now
		c.HoldAfter = time.Minute
	})
	g.clock = clock
	away.away.Store(true)
	sids := []string{"SMaway00000000000000000000000001", "SMaway00000000000000000000000002", "SMaway00000000000000000000000003"}
	for i, sid := range sids {
		if got := g.textSid(sid, phone(1+i%2), "查询"); got != "" {
			t.Fatalf("%s while the store is away: %q", sid, got)
		}
	}
	if got := g.textSid(sids[0], phone(1), "查询"); got != "" { // a retry
		t.Fatalf("retry while away: %q", got)
	}
	if n, _ := sp.Stats(); n != 3 {
		t.Fatalf("the spool holds %d messages; want 3", n)
	}
	if code, _, body := get(t, g.ts.URL+"/healthz"); code != 200 || !strings.Contains(body, "store unavailable: accepting into the spool (3 messages") {
		t.Fatalf("healthz while away: %d %q", code, body)
	}
	ctx := context.Background()
	if n := g.srv.SendHolding(ctx); n != 0 {
		t.Fatalf("%d holding texts before anyone waited a minute", n)
	}
	clock.Add(2 * time.Minute)
	if n := g.srv.SendHolding(ctx); n != 2 {
		t.Fatalf("%d holding texts; want one for each of the 2 numbers", n)
	}
	if n := g.srv.SendHolding(ctx); n != 0 {
		t.Fatalf("%d more holding texts; want none", n)
	}
	// A restart reads the spool back, and the marks of the texts sent.
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	sp2, err := sms.OpenSpool(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := sp2.Stats(); n != 3 || !sp2.Held(phone(1)) || !sp2.Held(phone(2)) {
		t.Fatalf("after a restart: %d messages, held %v %v", n, sp2.Held(phone(1)), sp2.Held(phone(2)))
	}
	g = newGateway(t, db, func(c *sms.Config) { c.Store, c.Spool, c.Sender, c.Now = away, sp2, sender, clock.Now })
	if _, err := g.srv.DrainOnce(ctx); err == nil {
		t.Fatal("drained into a store that is away")
	}
	away.away.Store(false)
	if n, err := g.srv.DrainOnce(ctx); err != nil || n != 3 {
		t.Fatalf("DrainOnce = %d, %v; want 3", n, err)
	}
	if n, size := sp2.Stats(); n != 0 || size != 0 {
		t.Fatalf("after the drain the spool holds %d messages, %d bytes", n, size)
	}
	if fi, err := os.Stat(filepath.Join(dir, "spool.log")); err != nil || fi.Size() != 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the spool file after the drain: %v %v", fi, err)
	}
	if n, err := g.srv.AnswerOnce(ctx); err != nil || n != 3 {
		t.Fatalf("AnswerOnce = %d, %v", n, err)
	}
	for _, sid := range sids {
		if a := outboxAnswer(t, db, sid); a.Body == "" {
			t.Fatalf("%s answered %q", sid, a.Body)
		}
	}
	_, _, created := api.counts()
	if len(created) != 2 || !strings.Contains(created[0].Body, "短信已收到") {
		t.Fatalf("the provider got %+v; want the 2 holding texts", created)
	}
	// New messages go to the store again, and are answered inline.
	if got := g.text(phone(1), "查询"); !strings.Contains(got, "绿码") {
		t.Fatalf("after the drain: %q", got)
	}
}

// TestSpoolBoundsAndTornTail: a spool past its bound refuses the message
// (503, the one 5xx), and a record torn by a crash is cut off on opening,
// the whole ones before it kept.
func TestSpoolBoundsAndTornTail(t *testing.T) {
	dir := t.TempDir()
	sp, err := sms.OpenSpool(dir, 300)
	if err != nil {
		t.Fatal(err)
	}
	rec := func(sid string) sms.SpoolRecord {
		return sms.SpoolRecord{Kind: 'm', Sid: sid, From: phone(1), Command: "status/1/zh", At: testNow.UnixMilli()}
	}
	n := 0
	for ; n < 100; n++ {
		if err := sp.Append(rec(strings.Repeat("S", 10) + string(rune('a'+n)))); err != nil {
			if err != sms.ErrSpoolFull {
				t.Fatal(err)
			}
			break
		}
	}
	if n == 0 || n == 100 {
		t.Fatalf("%d records fit in 300 bytes", n)
	}
	sp.Close()
	f, err := os.OpenFile(filepath.Join(dir, "spool.log"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{40, 0, 0, 0, 1, 2, 3, 4, '{', '"'}) // a record cut short
	f.Close()
	again, err := sms.OpenSpool(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := again.Stats(); got != n {
		t.Fatalf("after a torn tail %d records; want %d", got, n)
	}
	if err := again.Append(rec("SMafter")); err != nil {
		t.Fatal(err)
	}
	again.Close()
	third, err := sms.OpenSpool(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := third.Stats(); got != n+1 {
		t.Fatalf("a record appended after the cut: %d records; want %d", got, n+1)
	}

	// A gateway whose store is away and whose spool is full answers 503.
	db := openStore(t)
	away := &awayStore{DB: db}
	away.away.Store(true)
	full, err := sms.OpenSpool(t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	g := newGateway(t, db, func(c *sms.Config) { c.Store, c.Spool = away, full })
	if code, _, _ := g.post("/sms", inbound("SMfull", phone(1), "查询"), true); code != 503 {
		t.Fatalf("spool full: %d", code)
	}
	if code, _, body := get(t, g.ts.URL+"/healthz"); code != 503 || !strings.Contains(body, "spool is full") {
		t.Fatalf("healthz with the spool full: %d %q", code, body)
	}
}

// slowRecordStore is a real store whose recording of a message waits at a gate
// (or until its context ends), and says when one has arrived.
type slowRecordStore struct {
	*store.DB
	arrived chan struct{}
	gate    chan struct{}
}

func (s *slowRecordStore) BeginInbound(ctx context.Context, m *lifeline.InboundMessage) (*lifeline.InboundMessage, bool, error) {
	s.arrived <- struct{}{}
	select {
	case <-s.gate:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	return s.DB.BeginInbound(ctx, m)
}

// TestCallerHangsUpWhileRecorded: a caller that hangs up while its signed
// message is being recorded is no store failure: the message is recorded
// all the same, nothing goes to the spool, and the next message is
// answered inline as usual. The inline answer it was recorded with
// reached nobody: the message is reopened and answered through the
// outbox, once.
func TestCallerHangsUpWhileRecorded(t *testing.T) {
	db := openStore(t)
	seedFamily(t, db)
	sp, err := sms.OpenSpool(filepath.Join(t.TempDir(), "spool"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	held := &slowRecordStore{DB: db, arrived: make(chan struct{}, 1), gate: make(chan struct{})}
	g := newGateway(t, db, func(c *sms.Config) { c.Store, c.Spool = held, sp })
	// The handler, wrapped to tell when the server has seen the caller go
	// and when it has finished.
	seen, finished := make(chan struct{}), make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		go func() {
			<-r.Context().Done()
			close(seen)
		}()
		g.srv.Handler().ServeHTTP(w, r)
		close(finished)
	}))
	defer ts.Close()
	const sid = "SMhangup000000000000000000000001"
	hangUp := g.sendHangingUp(ts.URL, sid, phone(1), "查询")
	<-held.arrived
	hangUp()
	<-seen
	close(held.gate)
	<-finished
	if n, _ := sp.Stats(); n != 0 {
		t.Fatalf("the spool holds %d messages after a caller hung up; want none", n)
	}
	if code, _, body := get(t, g.ts.URL+"/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Fatalf("healthz after a caller hung up: %d %q", code, body)
	}
	if _, first, err := db.BeginInbound(context.Background(), &lifeline.InboundMessage{Sid: sid, From: phone(1), ReceivedAt: testNow}); err != nil || first {
		t.Fatalf("the message of the caller who hung up: first %v, err %v; want recorded before", first, err)
	}
	held.arrived = make(chan struct{}, 2) // the next message's record and the retry's
	if got := g.text(phone(1), "查询"); got == "" {
		t.Fatal("the next message got no inline answer")
	}
	answeredOnceThroughTheOutbox(t, g, g, sid)
}
