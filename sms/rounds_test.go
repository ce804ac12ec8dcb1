package sms_test

import (
	"context"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
)

// TestPooledPositiveInReplies: a member of a positive pool who texts 查询
// reads that they are to be retested alone, in one segment; the "retest
// alone" SMS the store queued with the result is not queued again by the
// gateway's scan for new results.
func TestPooledPositiveInReplies(t *testing.T) {
	db := openStore(t)
	ctx := context.Background()
	zhang := addResident(t, db, 1, "张三丰", []string{phone(1)}, "301", testNow.Add(-time.Hour))
	g := newGateway(t, db, nil)
	if _, err := g.srv.ScanOnce(ctx); err != nil { // the first scan only remembers where results stand
		t.Fatal(err)
	}
	db.Now = func() time.Time { return testNow.Add(-30 * time.Minute) }
	round := &lifeline.Round{Community: "幸福", Pool: 10, StartsAt: testNow.Add(-2 * time.Hour), DueAt: testNow.Add(6 * time.Hour)}
	if err := db.CreateRound(ctx, round); err != nil {
		t.Fatal(err)
	}
	tube := &lifeline.Tube{RoundID: round.ID, Code: "P-1"}
	if err := db.OpenTube(ctx, tube); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddToTube(ctx, tube.ID, zhang.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CloseTube(ctx, tube.ID); err != nil {
		t.Fatal(err)
	}
	ch, err := db.RecordTubeResult(ctx, lifeline.TubeResult{Code: "P-1", Result: lifeline.Positive})
	if err != nil || ch.Queued != 1 {
		t.Fatalf("tube result: %+v, %v", ch, err)
	}
	for lang, want := range map[string]string{"查询": "混管阳性，需单管复检", "status": "pooled positive, retest alone"} {
		got := g.text(phone(1), lang)
		if !strings.Contains(got, want) || !sms.FitsOne(got) {
			t.Errorf("%s: %q, want it to say %q in one segment", lang, got, want)
		}
	}
	n, err := g.srv.ScanOnce(ctx)
	if err != nil || n != 0 {
		t.Fatalf("the scan queued %d more (%v), want none: the retest SMS is queued already", n, err)
	}
	if depth, _ := db.OutboxDepth(ctx); depth != 1 {
		t.Fatalf("outbox holds %d, want the one retest SMS", depth)
	}
}
