package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

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
	tm.Send(tea.KeyMsg{Type: tea.KeyRight}) // 子女 → 配偶
	tm.Send(enter)
	// Back on the resident, loaded again with the link.
	waitFor(t, tm, "同户自动通过", "李秀英 配偶 自动通过")
	// A bare phone: waits for review.
	tm.Send(runes("l"))
	waitFor(t, tm, "证件号/电话")
	tm.Send(runes("139 1111 2222"))
	tm.Send(enter)
	tm.Send(enter) // the first relation: 子女
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
	tm.Send(tea.KeyMsg{Type: tea.KeyLeft}) // from the first, round to the last: 其他
	tm.Send(tea.KeyMsg{Type: tea.KeyLeft})
	waitFor(t, tm, "‹兄弟姐妹›")
	fm := final(t, tm)
	if fm.current != screenRelatives || fm.relatives.who.Value() != "13911112222" || !fm.relatives.choosing || lifeline.Relations[fm.relatives.relation] != lifeline.RelationSibling {
		t.Fatalf("screen %d, who %q, choosing %v, relation %d", fm.current, fm.relatives.who.Value(), fm.relatives.choosing, fm.relatives.relation)
	}
	requireGolden(t, fm)
}

// A link to a relative in another community (made by an admin) is
// reviewed by the worker of the cared-for resident's community, who sees
// the link and not the other community's resident; the review is written
// to the audit log once, by the store.
func TestReviewRelativeElsewhere(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rel := &lifeline.Relative{ResidentID: f.wu.ID, RelativeResidentID: f.zhao.ID, Relation: "子女", CreatedBy: "staff:admin"}
	if err := f.db.LinkRelative(ctx, rel); err != nil {
		t.Fatal(err)
	}
	m := New(f.config())
	m.e.staff = &lifeline.Staff{User: "wang", Community: "幸福社区", Role: lifeline.RoleStaff}
	m.e.ctx = lifeline.WithActor(ctx, lifeline.Actor{User: "staff:wang", Community: "幸福社区"})
	mm, cmd := m.Update(navMsg{to: screenReview})
	mm, _ = mm.Update(cmd())
	v := mm.View()
	if !strings.Contains(v, "1 条待审核") || !strings.Contains(v, "吴建国") || strings.Contains(v, "赵六") {
		t.Fatalf("the review screen shows:\n%s\nwant the link of 吴建国, and not the name of a resident of another community", v)
	}
	mm, cmd = mm.Update(runes("a"))
	mm, _ = mm.Update(cmd())
	if st, isErr := mm.(Model).Status(); isErr || st != "已通过：吴建国 的子女 ?" {
		t.Fatalf("status %q after approving", st)
	}
	log, err := f.db.AuditLog(ctx, f.wu.ID, 20)
	if err != nil {
		t.Fatal(err)
	}
	var reviews []string
	for _, e := range log {
		if e.Action == "review" {
			reviews = append(reviews, e.Actor+" "+e.Detail)
		}
	}
	if len(reviews) != 1 || reviews[0] != "staff:wang approved" {
		t.Fatalf("review entries %q, want one by staff:wang", reviews)
	}
}

// The review list grows: newest first with the count, a page at a time
// (PgDn, End, Home); approving says who was approved and selects the next.
func TestReviewPagesAndMovesOn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := 0; i < 30; i++ {
		f.db.Now = func() time.Time { return testNow.Add(time.Duration(i) * time.Minute) }
		// Linked by another worker: whoever links a relative cannot approve it.
		rel := &lifeline.Relative{ResidentID: f.wu.ID, Phone: fmt.Sprintf("139000011%02d", i), Relation: "子女", CreatedBy: "staff:li"}
		if err := f.db.LinkRelative(ctx, rel); err != nil {
			t.Fatal(err)
		}
	}
	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Send(fkey(6))
	waitFor(t, tm, "30 条待审核（最新的在上", "+86 139****1129")
	tm.Send(tea.KeyMsg{Type: tea.KeyPgDown})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnd})
	waitFor(t, tm, "▶ 吴建国")
	tm.Send(tea.KeyMsg{Type: tea.KeyHome})
	tm.Send(runes("a"))
	waitFor(t, tm, "已通过：吴建国 的子女 +86 139****1129", "29 条待审核")
	fm := final(t, tm)
	if fm.review.cursor != 0 || fm.review.pending[0].Phone != "+8613900001128" {
		t.Fatalf("after approving the newest, cursor %d on %s, want the next newest", fm.review.cursor, fm.review.pending[0].Phone)
	}
}
