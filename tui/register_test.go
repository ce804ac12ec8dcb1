package tui

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
)

// On-site registration finds the person as the find screen does: here by
// the last 4 of the ID, then the tube is scanned.
func TestRegisterOnSite(t *testing.T) {
	f := newFixture(t)
	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Send(fkey(3))
	waitFor(t, tm, "ctrl+n")
	tm.Type(f.zhang.Doc.Tail(4))
	waitFor(t, tm, "张三丰", "110105********1237")
	tm.Send(enter)
	waitFor(t, tm, "已选定")
	tm.Send(runes("T20260410-0001"))
	tm.Send(enter)
	waitFor(t, tm, "已保存", "待上传 1 条")
	fm := final(t, tm)
	pending, err := f.db.PendingRegistrations(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].ResidentID != f.zhang.ID || pending[0].Tube != "T20260410-0001" || pending[0].Staff != "staff:wang" {
		t.Fatalf("stored %+v, want one registration of zhang with the tube", pending)
	}
	if !fm.register.query.Focused() || fm.register.query.Value() != "" || fm.register.r != nil {
		t.Error("after saving, the search should be empty and focused for the next person")
	}
	requireGolden(t, fm)
}

// From a resident (s), the tube is next; the form shows the ID masked, and
// Esc goes back to the resident.
func TestRegisterFromResidentMasksTheID(t *testing.T) {
	f := newFixture(t)
	tm := openZhang(t, f, f.config())
	tm.Send(runes("s"))
	waitFor(t, tm, "采样人", "110105********1237")
	fm := final(t, tm)
	if v := fm.View(); strings.Contains(v, f.zhang.Doc.Number) || !fm.register.tube.Focused() {
		t.Fatalf("register from a resident:\n%s", v)
	}
	mm, _ := fm.Update(esc)
	if mm.(Model).current != screenResident {
		t.Fatalf("esc went to screen %d, want the resident", mm.(Model).current)
	}
}

// A full ID with a wrong check digit says so, instead of "not found".
func TestRegisterCheckDigit(t *testing.T) {
	f := newFixture(t)
	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Send(fkey(3))
	bad := f.zhang.Doc.Number[:17] + map[bool]string{true: "1", false: "2"}[f.zhang.Doc.Number[17] != '1']
	tm.Type(bad)
	tm.Send(enter)
	waitFor(t, tm, "身份证号码校验位错误，请核对")
	fm := final(t, tm)
	if fm.register.r != nil {
		t.Fatal("a mistyped number chose someone")
	}
}

// A foreigner with a passport, not on the roster: registered with name,
// document and phone, marked as registered on site, then sampled.
func TestRegisterWalkIn(t *testing.T) {
	f := newFixture(t)
	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Send(fkey(3))
	tm.Send(runes("ＣＯ１Ｘ００Ｔ４７")) // as a Chinese input method types it
	waitFor(t, tm, "没有找到")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlN})
	// The number searched for is taken, masked like every number shown.
	waitFor(t, tm, "登记不在名册上的人员", "‹ 护照 ›", "C****0T47")
	tm.Send(runes("Anna Müller"))
	tm.Send(enter) // to the document type: a passport, from the number
	tm.Send(enter) // to the number, filled from the search
	tm.Send(enter)
	tm.Type("deu")
	tm.Send(enter)
	tm.Type("139 0000 0099")
	tm.Send(enter)
	tm.Send(enter) // no address: registered
	waitFor(t, tm, "已登记为现场人员", "现场登记，不在名册上")
	tm.Type("T-WALKIN-1")
	tm.Send(enter)
	waitFor(t, tm, "已保存")
	fm := final(t, tm)
	r, err := f.db.ResidentByDocument(context.Background(), lifeline.Document{Type: lifeline.DocPassport, Number: "CO1X00T47"})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OnSite || r.Name != "Anna Müller" || r.Doc.Nationality != "DEU" || len(r.Phones) != 1 || r.Address.Community != "幸福社区" {
		t.Fatalf("walk-in stored as %+v", r)
	}
	regs, err := f.db.ResidentRegistrations(context.Background(), r.ID)
	if err != nil || len(regs) != 1 || regs[0].Tube != "T-WALKIN-1" {
		t.Fatalf("registrations %+v %v", regs, err)
	}
	if strings.Contains(fm.View(), "CO1X00T47") {
		t.Error("the full passport number is on the screen")
	}
}

func TestRegisterUnknownOrForeignDocument(t *testing.T) {
	f := newFixture(t)
	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Send(fkey(3))
	tm.Type(f.zhao.Doc.Number) // another community
	tm.Send(enter)
	waitFor(t, tm, "没有找到")
	fm := final(t, tm)
	if fm.register.r != nil {
		t.Fatal("a resident of another community was selected")
	}
}
