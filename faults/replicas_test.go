package faults

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/internal/pgtest"
	"github.com/lifeline-health/lifeline/sms"
	"github.com/lifeline-health/lifeline/store"
)

// openReplicas opens n store handles (n connection pools, as n processes
// would have) on one fresh PostgreSQL schema.
func openReplicas(t *testing.T, n int) (string, []*store.DB) {
	t.Helper()
	dsn := pgtest.DSN(t)
	var dbs []*store.DB
	for range n {
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	return dsn, dbs
}

// TestReplicasProcessInboundOnce sends every message to two gateway
// replicas on one PostgreSQL at the same moment, as Twilio does when it
// retries a webhook that timed out and the load balancer picks the other
// replica: the message is answered by one (the other answers empty, or
// gives the same stored answer) and recorded once.
func TestReplicasProcessInboundOnce(t *testing.T) {
	dsn, dbs := openReplicas(t, 2)
	res := &lifeline.Resident{Name: "王秀英", Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: "11010519491231002X"}, Phones: []string{"+8613812345678"}}
	if err := dbs[0].CreateResident(ctx, res); err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, db := range dbs {
		gw, err := sms.NewServer(sms.Config{Store: db, Insecure: true, PublicURL: "http://gateway.test", RateBurst: 1 << 20, RateRefill: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(gw.Handler())
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
	}
	post := func(url, sid, body string) string {
		resp, err := http.PostForm(url+"/sms", neturlValues(sid, res.Phones[0], body))
		if err != nil {
			t.Error(err)
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", sid, resp.StatusCode)
		}
		return string(b)
	}
	const n = 40
	bodies := []string{"查询", "退订", "订阅", "离线码"}
	for i := range n {
		sid := fmt.Sprintf("SM%032d", i)
		var wg sync.WaitGroup
		answers := make([]string, len(urls))
		for j, u := range urls {
			wg.Add(1)
			go func() { defer wg.Done(); answers[j] = post(u, sid, bodies[i%len(bodies)]) }()
		}
		wg.Wait()
		// One of them answers (the other finds the message recorded and
		// answers empty, or gives the same stored answer again).
		var got []string
		for _, a := range answers {
			if strings.Contains(a, "<Message>") {
				got = append(got, a)
			}
		}
		if len(got) == 0 || len(got) == 2 && got[0] != got[1] {
			t.Fatalf("%s (%s): replicas answered\n%s\n%s", sid, bodies[i%len(bodies)], answers[0], answers[1])
		}
	}
	var rows, sids int
	sq, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	if err := sq.QueryRow("SELECT COUNT(*), COUNT(DISTINCT sid) FROM inbound_messages").Scan(&rows, &sids); err != nil {
		t.Fatal(err)
	}
	if rows != n || sids != n {
		t.Fatalf("inbound_messages holds %d rows for %d sids, want %d once each", rows, sids, n)
	}
	queue, err := dbs[1].PrintQueue(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(queue) != 1 {
		t.Fatalf("%d open print requests after %d paper-code texts to two replicas, want 1", len(queue), n/len(bodies))
	}
}

// TestReplicasSendOnce runs one outbox sender on each of three replicas
// against one outbox: every message is accepted by Twilio exactly once.
func TestReplicasSendOnce(t *testing.T) {
	_, dbs := openReplicas(t, 3)
	const total = 300
	for i := range total {
		m := &lifeline.OutboxMessage{To: fmt.Sprintf("+861380000%04d", i%40), Body: fmt.Sprintf("结果已出 #%d", i), Kind: "result", DedupeKey: fmt.Sprintf("k-%d", i)}
		if err := dbs[i%3].Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	tw := &fakeTwilio{sent: map[string]int{}}
	srv := httptest.NewServer(tw)
	defer srv.Close()
	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i, db := range dbs {
		client, err := sms.NewTwilioClient("AC00000000000000000000000000000000", "faultstoken0123", srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		tw := &sms.Twilio{REST: client, AccountSid: "AC00000000000000000000000000000000", From: "+8610690000"}
		s, err := sms.NewSender(sms.SenderConfig{Store: db, Messenger: tw, Worker: fmt.Sprintf("replica-%d", i),
			Batch: 5, Lease: 10 * time.Second, Poll: 5 * time.Millisecond, BackoffBase: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond, MaxAttempts: 1000})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); s.Run(cctx) }()
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		depth, err := dbs[0].OutboxDepth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if depth == 0 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			wg.Wait()
			t.Fatalf("%d messages still queued after 60 s", depth)
		}
		time.Sleep(10 * time.Millisecond) // polling the store
	}
	cancel()
	wg.Wait()
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if len(tw.sent) != total {
		t.Fatalf("Twilio accepted %d distinct messages, want %d", len(tw.sent), total)
	}
	for body, c := range tw.sent {
		if c != 1 {
			t.Errorf("%q accepted %d times", body, c)
		}
	}
}

func neturlValues(sid, from, body string) url.Values {
	return url.Values{"MessageSid": {sid}, "From": {from}, "To": {"+8610690000"}, "Body": {body}}
}

// TestReplicasShareCodes: a paper code issued through one replica and
// revoked through another is revoked for all of them, and two replicas
// cannot record the same serial twice.
func TestReplicasShareCodes(t *testing.T) {
	_, dbs := openReplicas(t, 2)
	a, b := dbs[0], dbs[1]
	res := &lifeline.Resident{Name: "王秀英", Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: "11010519491231002X"}}
	if err := a.CreateResident(ctx, res); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	serial := []byte("0123456789abcdef")
	code := lifeline.IssuedCode{Serial: serial, ResidentID: res.ID, KeyID: "00112233aabbccdd", IssuedBy: "staff:wang", IssuedAt: now, ExpiresAt: now.AddDate(0, 0, 30)}
	if err := a.RecordIssued(ctx, []lifeline.IssuedCode{code}); err != nil {
		t.Fatal(err)
	}
	if err := b.RecordIssued(ctx, []lifeline.IssuedCode{code}); err == nil {
		t.Fatal("a second replica recorded the same serial again")
	}
	if err := b.RevokeSerial(ctx, serial, "lost card", "staff:li"); err != nil {
		t.Fatal(err)
	}
	got, err := a.IssuedCode(ctx, serial)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Revoked() {
		t.Fatal("revoked through one replica, still valid through the other")
	}
	var revoked [][]byte
	if err := a.EachRevoked(ctx, func(s []byte) error { revoked = append(revoked, s); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(revoked) != 1 || string(revoked[0]) != string(serial) {
		t.Fatalf("revocation list through the other replica: %q", revoked)
	}
}
