package tui

import (
	"context"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	lifeline "github.com/lifeline-health/lifeline"
)

// staffCtx acts as wang of 幸福社区 on the fixture's store.
func staffCtx() context.Context {
	return lifeline.WithActor(context.Background(), lifeline.Actor{User: "staff:wang", Community: "幸福社区"})
}

// openRound opens a round of 幸福社区 (zhang and li in 12-3-501, wu in
// 12-1-101) due at 18:00 China time on the test day.
func (f *fixture) openRound(t *testing.T) *lifeline.Round {
	t.Helper()
	r := &lifeline.Round{Community: "幸福社区", Pool: 10, StartsAt: testNow.Add(-time.Hour), DueAt: testNow.Add(3 * time.Hour)}
	if err := f.db.CreateRound(staffCtx(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

// pool puts residents in a closed tube of the round.
func (f *fixture) pool(t *testing.T, r *lifeline.Round, code string, who ...*lifeline.Resident) {
	t.Helper()
	ctx := staffCtx()
	tube := &lifeline.Tube{RoundID: r.ID, Code: code}
	if err := f.db.OpenTube(ctx, tube); err != nil {
		t.Fatal(err)
	}
	for _, p := range who {
		if _, err := f.db.AddToTube(ctx, tube.ID, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.db.CloseTube(ctx, tube.ID); err != nil {
		t.Fatal(err)
	}
}

// atRounds logs wang in and opens the rounds screen at round 1.
func atRounds(t *testing.T, f *fixture) *teatest.TestModel {
	t.Helper()
	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Send(f7)
	waitFor(t, tm, "第 1 轮")
	return tm
}

var (
	f7     = tea.KeyMsg{Type: tea.KeyF7}
	f8     = tea.KeyMsg{Type: tea.KeyF8}
	ctrlX  = tea.KeyMsg{Type: tea.KeyCtrlX}
	rightK = tea.KeyMsg{Type: tea.KeyRight}
)

// TestRoundsProgress: F7 shows the round with its progress per building:
// done, pooled positive, missing.
func TestRoundsProgress(t *testing.T) {
	f := newFixture(t)
	r := f.openRound(t)
	f.pool(t, r, "P-1", f.zhang, f.li)
	if _, err := f.db.RecordTubeResult(staffCtx(), lifeline.TubeResult{Code: "P-1", Result: lifeline.Positive}); err != nil {
		t.Fatal(err)
	}
	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Send(f7)
	waitFor(t, tm, "第 1 轮", "混管阳性 2")
	requireGolden(t, final(t, tm))
}

// TestRoundNewFromTheScreen: n opens the form; the worker's community is
// filled in, and Enter opens the round of the buildings typed.
func TestRoundNewFromTheScreen(t *testing.T) {
	f := newFixture(t)
	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Send(f7)
	waitFor(t, tm, "还没有检测轮次")
	tm.Send(runes("n"))
	waitFor(t, tm, "开启一轮核酸检测")
	tm.Type("12")
	tm.Send(tab)
	tm.Type("18:00")
	tm.Send(tab)
	tm.Send(tea.KeyMsg{Type: tea.KeyBackspace})
	tm.Send(tea.KeyMsg{Type: tea.KeyBackspace})
	tm.Type("20")
	tm.Send(enter)
	waitFor(t, tm, "已开启第 1 轮", "20合1")
	fm := final(t, tm)
	rs, err := f.db.Rounds(staffCtx(), "")
	if err != nil || len(rs) != 1 || rs[0].Pool != 20 || rs[0].Residents != 3 || len(rs[0].Buildings) != 1 || rs[0].DueAt.In(lifeline.ChinaTime).Format("15:04") != "18:00" {
		t.Fatalf("rounds %+v, %v", rs, err)
	}
	requireGolden(t, fm)
}

// TestTubeFillAndClose: a tube's barcode, then a household found by its
// address goes in Enter by Enter, each stored at once; ctrl+x takes the
// last one out again, F8 closes the tube, which then waits to be sent.
func TestTubeFillAndClose(t *testing.T) {
	f := newFixture(t)
	r := f.openRound(t)
	tm := atRounds(t, f)
	tm.Send(runes("t"))
	waitFor(t, tm, "扫描试管条码")
	tm.Send(runes("P-0001"))
	tm.Send(enter)
	waitFor(t, tm, "0/10")
	tm.Send(runes("12-3-501"))
	waitFor(t, tm, f.zhang.Name, f.li.Name)
	tm.Send(enter)
	waitFor(t, tm, "1/10")
	tm.Send(enter)
	waitFor(t, tm, "2/10")
	tm.Send(runes(f.wu.Doc.Number))
	tm.Send(enter)
	waitFor(t, tm, "已加入："+f.wu.Name)
	tm.Send(ctrlX)
	waitFor(t, tm, "2/10  ■■□")
	tm.Send(f8)
	waitFor(t, tm, "已封管（2/10）")
	fm := final(t, tm)
	pending, err := f.db.PendingTubes(staffCtx(), 10)
	if err != nil || len(pending) != 1 || len(pending[0].Members) != 2 || pending[0].RoundID != r.ID || pending[0].Site != "幸福社区服务站" {
		t.Fatalf("pending tubes %+v, %v", pending, err)
	}
	requireGolden(t, fm)
}

// TestTubeFromABurst: t and a tube's barcode read by the terminal at
// once, as one message, are the tubes key and then the barcode: the tube
// opens, where the burst used to be no key at all and its Enter opened the
// building's missing list.
func TestTubeFromABurst(t *testing.T) {
	f := newFixture(t)
	f.openRound(t)
	tm := atRounds(t, f)
	tm.Send(runes("tP-0009"))
	tm.Send(enter)
	waitFor(t, tm, "P-0009", "0/10")
	if fm := final(t, tm); fm.current != screenTube || fm.tube.tube == nil || fm.tube.tube.Code != "P-0009" {
		t.Fatalf("after t and a barcode in one burst: screen %d, tube %+v", fm.current, fm.tube.tube)
	}
}

// TestTubeRefusals: a person already in an open tube of the round is
// refused with a sentence, and the scan leaves the field empty for the
// next one.
func TestTubeRefusals(t *testing.T) {
	f := newFixture(t)
	r := f.openRound(t)
	other := &lifeline.Tube{RoundID: r.ID, Code: "P-OPEN"}
	if err := f.db.OpenTube(staffCtx(), other); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.AddToTube(staffCtx(), other.ID, f.zhang.ID); err != nil {
		t.Fatal(err)
	}
	tm := atRounds(t, f)
	tm.Send(runes("t"))
	waitFor(t, tm, "P-OPEN", "1/10")
	tm.Send(runes("P-0002"))
	tm.Send(enter)
	waitFor(t, tm, "0/10")
	tm.Send(runes(f.zhang.Doc.Number))
	tm.Send(enter)
	waitFor(t, tm, "此人本轮已采样")
	fm := final(t, tm)
	if fm.tube.input.Value() != "" || len(fm.tube.tube.Members) != 0 {
		t.Fatalf("after a refused scan: input %q, %d in the tube", fm.tube.input.Value(), len(fm.tube.tube.Members))
	}
}

// TestMissingListMarksVisits: Enter on a building lists who is missing
// there, door to door, a positive pool's members marked; 1 marks a visit,
// stored with its time and shown.
func TestMissingListMarksVisits(t *testing.T) {
	f := newFixture(t)
	r := f.openRound(t)
	f.pool(t, r, "P-1", f.zhang, f.li)
	if _, err := f.db.RecordTubeResult(staffCtx(), lifeline.TubeResult{Code: "P-1", Result: lifeline.Positive}); err != nil {
		t.Fatal(err)
	}
	tm := atRounds(t, f)
	tm.Send(enter)
	waitFor(t, tm, "未采样 3 人", "其中混管阳性待复检 2 人")
	tm.Send(down)
	tm.Send(down)
	tm.Send(runes("1"))
	// The sentence comes with the store's answer, the row's mark with the
	// list read again after it.
	waitFor(t, tm, "已记录："+f.li.Name+" 上门未遇 15:00", "复检 · 上门未遇")
	fm := final(t, tm)
	list, err := f.db.MissingList(staffCtx(), lifeline.MissingFilter{RoundID: r.ID, Building: "12"})
	if err != nil || len(list) != 3 {
		t.Fatalf("missing %+v, %v", list, err)
	}
	for _, e := range list {
		if (len(e.Visits) == 1) != (e.Resident.ID == f.li.ID) {
			t.Fatalf("visits of %s: %+v", e.Resident.Name, e.Visits)
		}
	}
	requireGolden(t, fm)
}

// TestResidentShowsPooledPositive: the resident screen shows a positive
// pool's member as such, not as positive.
func TestResidentShowsPooledPositive(t *testing.T) {
	f := newFixture(t)
	r := f.openRound(t)
	f.pool(t, r, "P-1", f.zhang, f.li)
	if _, err := f.db.RecordTubeResult(staffCtx(), lifeline.TubeResult{Code: "P-1", Result: lifeline.Positive}); err != nil {
		t.Fatal(err)
	}
	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Type(f.zhang.Doc.Number[14:])
	waitFor(t, tm, f.zhang.Name)
	tm.Send(enter)
	waitFor(t, tm, "最新检测：混管阳性，需单管复检")
	final(t, tm)
}
