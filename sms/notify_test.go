package sms_test

import (
	"context"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// TestScanQueuesNotices: a new result for someone a phone cares for queues
// one "result is in" SMS to that phone, once; history is not announced; a
// paper code about to expire queues one reminder.
func TestScanQueuesNotices(t *testing.T) {
	db := openStore(t)
	f := seedFamily(t, db)
	g := newGateway(t, db, nil)
	ctx := context.Background()
	scan := func() int {
		t.Helper()
		n, err := g.srv.ScanOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := scan(); n != 0 {
		t.Fatalf("the first scan announced %d old results", n)
	}
	_, err := db.RecordResult(ctx, lifeline.StatusUpdate{ResidentID: f.li.ID,
		Test: &lifeline.TestResult{SampledAt: time.Date(2022, 4, 10, 7, 30, 0, 0, shanghai), Result: lifeline.Negative, Site: "幸福社区"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := scan(); n != 1 {
		t.Fatalf("new result queued %d notices, want 1 (to the son's phone)", n)
	}
	if n := scan(); n != 0 {
		t.Fatalf("a second scan queued %d more", n)
	}
	msgs, err := db.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: "test", Max: 10, Lease: time.Minute})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("outbox: %v %v", msgs, err)
	}
	m := msgs[0]
	if m.To != phone(1) || m.Kind != "result" || m.Body != "李*英 核酸结果：4/10 07:30采样 阴性。回复查询看健康状态，回复退订停止通知。" {
		t.Fatalf("notice %+v", m)
	}
	// Expiry: a code of 张三丰's expires in two days.
	serial := make([]byte, 16)
	serial[0] = 7
	err = db.RecordIssued(ctx, []lifeline.IssuedCode{{Serial: serial, ResidentID: f.zhang.ID, KeyID: "0102030405060708",
		IssuedAt: testNow.Add(-28 * 24 * time.Hour), ExpiresAt: testNow.Add(48 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if n := scan(); n != 1 {
		t.Fatalf("expiring code queued %d notices", n)
	}
	if n := scan(); n != 0 {
		t.Fatalf("expiry reminder queued again: %d", n)
	}
	msgs, _ = db.ClaimOutbox(ctx, lifeline.OutboxClaim{Worker: "test", Max: 10, Lease: time.Minute})
	if len(msgs) != 1 || msgs[0].Kind != "expiry" || !strings.HasPrefix(msgs[0].Body, "张*丰 的纸质离线码将于4/11到期") {
		t.Fatalf("expiry notice %+v", msgs)
	}
}
