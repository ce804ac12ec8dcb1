package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	lifeline "github.com/lifeline-health/lifeline"
)

// openZhang logs in as wang and opens 张三丰 from the find screen.
func openZhang(t *testing.T, f *fixture, cfg Config) *teatest.TestModel {
	t.Helper()
	tm := run(t, cfg)
	login(t, tm, "wang")
	tm.Type(f.zhang.Doc.Tail(4))
	waitFor(t, tm, "张三丰")
	tm.Send(enter)
	waitFor(t, tm, "阴性 · 23 小时前")
	return tm
}

func TestResidentView(t *testing.T) {
	f := newFixture(t)
	tm := openZhang(t, f, f.config())
	fm := final(t, tm)
	v := fm.View()
	for _, want := range []string{"绿 码", "阴性 · 23 小时前", "李秀英 黄码", "110105********1237", "+86 138****5678"} {
		if !strings.Contains(v, want) {
			t.Errorf("resident screen lacks %q", want)
		}
	}
	if strings.Contains(v, f.zhang.Doc.Number) || strings.Contains(v, "13812345678") {
		t.Error("the full ID number or phone is shown before reveal")
	}
	requireGolden(t, fm)
}

func TestResidentRevealIsAudited(t *testing.T) {
	f := newFixture(t)
	tm := openZhang(t, f, f.config())
	tm.Send(runes("v"))
	waitFor(t, tm, f.zhang.Doc.Number, "+8613812345678")
	fm := final(t, tm)
	if !fm.resident.revealed {
		t.Fatal("not revealed")
	}
	log, err := f.db.AuditLog(context.Background(), f.zhang.ID, 20)
	if err != nil {
		t.Fatal(err)
	}
	var reveals int
	for _, e := range log {
		if e.Action == "reveal" {
			reveals++
			if e.Actor != "staff:wang" {
				t.Errorf("reveal logged as %q, want staff:wang", e.Actor)
			}
		}
	}
	if reveals != 1 {
		t.Errorf("%d reveal entries in the audit log, want 1", reveals)
	}
}

// A worker cannot open a resident of another community, even by id: the
// store answers as if there were none, so the screen learns nothing of
// other communities.
func TestResidentOtherCommunityNotFound(t *testing.T) {
	f := newFixture(t)
	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Send(navMsg{to: screenResident, id: f.zhao.ID})
	waitFor(t, tm, "找不到该居民")
	fm := final(t, tm)
	if fm.resident.r != nil {
		t.Fatal("a resident of another community was shown")
	}
	if strings.Contains(fm.View(), "赵六") {
		t.Error("the name of a resident of another community is on screen")
	}
}

func TestResidentStoreErrorDoesNotCrash(t *testing.T) {
	f := newFixture(t)
	m := New(f.config())
	m.e.staff = &lifeline.Staff{User: "wang", Community: "幸福社区"}
	f.db.Close()
	mm, cmd := m.Update(navMsg{to: screenResident, id: f.zhang.ID})
	mm, _ = mm.Update(cmd())
	if st, isErr := mm.(Model).Status(); !isErr || st == "" {
		t.Fatalf("status %q, want an error sentence", st)
	}
	if v := mm.View(); !strings.Contains(v, "esc") {
		t.Errorf("the screen does not say how to go back:\n%s", v)
	}
	// Keys still work.
	mm, _ = mm.Update(tea.KeyMsg{Type: tea.KeyEscape})
	if _, ok := mm.(Model); !ok {
		t.Fatal("model lost")
	}
}

func TestResidentRevokeLostCard(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	serials := [][]byte{[]byte("0123456789abcdef"), []byte("fedcba9876543210")}
	var codes []lifeline.IssuedCode
	for i, s := range serials {
		codes = append(codes, lifeline.IssuedCode{Serial: s, ResidentID: f.zhang.ID, KeyID: "0011223344556677", IssuedBy: "staff:wang",
			IssuedAt: testNow.Add(time.Duration(i-2) * 24 * time.Hour), ExpiresAt: testNow.Add(28 * 24 * time.Hour)})
	}
	if err := f.db.RecordIssued(ctx, codes); err != nil {
		t.Fatal(err)
	}
	tm := openZhang(t, f, f.config())
	tm.Send(down)
	tm.Send(runes("x"))
	waitFor(t, tm, "按 y 确认")
	tm.Send(runes("y"))
	waitFor(t, tm, "已吊销纸质码")
	fm := final(t, tm)
	sel := fm.resident.codes[fm.resident.cursor]
	got, err := f.db.IssuedCodes(ctx, f.zhang.ID)
	if err != nil {
		t.Fatal(err)
	}
	revoked := 0
	for _, c := range got {
		if c.Revoked() {
			revoked++
			if string(c.Serial) != string(sel.Serial) {
				t.Errorf("revoked %x, want the selected %x", c.Serial, sel.Serial)
			}
			if c.RevokeReason == "" {
				t.Error("no revoke reason")
			}
		}
	}
	if revoked != 1 {
		t.Fatalf("%d codes revoked, want exactly the selected one", revoked)
	}
	requireGolden(t, fm)
}

func TestResidentViewEnglish(t *testing.T) {
	f := newFixture(t)
	tm := runEnglish(t, f)
	tm.Type(f.li.Doc.Tail(4))
	waitFor(t, tm, "李秀英")
	tm.Send(enter)
	waitFor(t, tm, "Y E L L O W", "negative · 2 days ago")
	requireGolden(t, final(t, tm))
}

// The screen follows the terminal's size: wider lines, more rows, and
// never a line wider than the terminal.
func TestResidentResize(t *testing.T) {
	f := newFixture(t)
	tm := openZhang(t, f, f.config())
	tm.Send(tea.WindowSizeMsg{Width: 120, Height: 40})
	fm := final(t, tm)
	v := fm.View()
	lines := strings.Split(v, "\n")
	if len(lines) != 40 {
		t.Errorf("%d lines at 120x40, want 40", len(lines))
	}
	for i, l := range lines {
		if w := lipgloss.Width(l); w > 120 {
			t.Errorf("line %d is %d wide at 120 columns", i+1, w)
		}
	}
	if w := lipgloss.Width(lines[0]); w != 120 {
		t.Errorf("title is %d wide, want the full 120", w)
	}
	// And back to the smallest supported size.
	mm, _ := fm.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if n := len(strings.Split(mm.View(), "\n")); n != 24 {
		t.Errorf("%d lines after shrinking to 80x24", n)
	}
}
