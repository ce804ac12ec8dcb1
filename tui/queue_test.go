package tui

import (
	"context"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
)

func TestQueuePrintAndMarkDone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, r := range []*lifeline.Resident{f.li, f.zhao} {
		if err := f.db.RequestPrint(ctx, &lifeline.PrintRequest{ResidentID: r.ID, Source: "sms", RequestedAt: testNow.Add(-90 * 60e9)}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := f.config()
	cfg.Print = listPrinter(f, nil)
	tm := run(t, cfg)
	login(t, tm, "wang")
	tm.Send(fkey(5))
	waitFor(t, tm, "李秀英", "短信")
	fm := final(t, tm)
	if len(fm.queue.requests) != 1 {
		t.Fatalf("wang sees %d requests, want 1 (the other is in another community)", len(fm.queue.requests))
	}
	requireGolden(t, fm)

	tm = run(t, cfg)
	login(t, tm, "wang")
	tm.Send(fkey(5))
	waitFor(t, tm, "李秀英")
	tm.Send(enter)
	waitFor(t, tm, "打印队列是空的")
	q, err := f.db.PrintQueue(ctx, "幸福社区")
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 0 {
		t.Errorf("%d requests still open after printing", len(q))
	}
}
