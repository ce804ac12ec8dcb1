package tui

import (
	"context"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
)

func TestRelativesLinkAndReview(t *testing.T) {
	f := newFixture(t)
	tm := openZhang(t, f, f.config())
	// Same household: approved at once.
	tm.Send(runes("l"))
	waitFor(t, tm, "关联亲属")
	tm.Send(runes(f.li.Doc.Number))
	tm.Send(enter)
	tm.Send(runes("配偶"))
	tm.Send(enter)
	// Back on the resident, loaded again with the link.
	waitFor(t, tm, "同户自动通过", "李秀英 配偶 自动通过")
	// A bare phone: waits for review.
	tm.Send(runes("l"))
	waitFor(t, tm, "证件号/电话")
	tm.Send(runes("139 1111 2222"))
	tm.Send(enter)
	tm.Send(runes("子女"))
	tm.Send(enter)
	waitFor(t, tm, "等待审核")
	rels, err := f.db.Relatives(context.Background(), f.zhang.ID)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]lifeline.ReviewState{}
	for _, r := range rels {
		states[r.Relation] = r.State
	}
	if states["配偶"] != lifeline.AutoApproved || states["子女"] != lifeline.ReviewPending {
		t.Fatalf("link states %v, want 配偶 auto-approved and 子女 pending", states)
	}
	tm.Send(fkey(6))
	waitFor(t, tm, "1 条待审核", "+86 139****2222")
	tm.Send(runes("r"))
	tm.Send(runes("电话号码无法核实"))
	fm := final(t, tm)
	requireGolden(t, fm)
}

func TestReviewRejectNeedsReason(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rel := &lifeline.Relative{ResidentID: f.wu.ID, RelativeResidentID: f.zhang.ID, Relation: "子女", CreatedBy: "staff:wang"}
	if err := f.db.LinkRelative(ctx, rel); err != nil {
		t.Fatal(err)
	}
	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Send(fkey(6))
	waitFor(t, tm, "吴建国")
	tm.Send(runes("r"))
	tm.Send(enter)
	waitFor(t, tm, "驳回需要填写原因")
	tm.Send(runes("不是亲属"))
	tm.Send(enter)
	waitFor(t, tm, "已驳回")
	rels, err := f.db.Relatives(ctx, f.wu.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rels) != 1 || rels[0].State != lifeline.Rejected || rels[0].Reason != "不是亲属" || rels[0].ReviewedBy != "staff:wang" {
		t.Fatalf("after reject: %+v", rels)
	}
}

func TestRelativesLinkView(t *testing.T) {
	f := newFixture(t)
	tm := openZhang(t, f, f.config())
	tm.Send(runes("l"))
	tm.Send(runes("13911112222"))
	tm.Send(tab)
	tm.Send(runes("子女"))
	waitFor(t, tm, "子女")
	fm := final(t, tm)
	if fm.current != screenRelatives || fm.relatives.who.Value() != "13911112222" || !fm.relatives.relation.Focused() {
		t.Fatalf("screen %d, who %q, relation focused %v", fm.current, fm.relatives.who.Value(), fm.relatives.relation.Focused())
	}
	requireGolden(t, fm)
}
