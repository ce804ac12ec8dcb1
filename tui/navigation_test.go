package tui

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
)

// press sends keys to the model directly, running what they load.
func press(t *testing.T, m tea.Model, msgs ...tea.Msg) tea.Model {
	t.Helper()
	for _, msg := range msgs {
		var cmd tea.Cmd
		m, cmd = m.Update(msg)
		for _, next := range drain(cmd) {
			m, _ = m.Update(next)
		}
	}
	return m
}

// drain runs a command and the batches in it, once, without timers.
func drain(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, drain(c)...)
		}
		return out
	}
	switch msg.(type) {
	case nil, findTickMsg, regTickMsg:
		return nil
	}
	if fmt.Sprintf("%T", msg) == "cursor.BlinkMsg" || fmt.Sprintf("%T", msg) == "cursor.initialBlinkMsg" {
		return nil
	}
	return []tea.Msg{msg}
}

// loggedIn is the staff screen with wang logged in, on the find screen.
func loggedIn(t *testing.T, f *fixture) tea.Model {
	t.Helper()
	m := New(f.config())
	m.e.staff = &lifeline.Staff{User: "wang", Community: "幸福社区"}
	m.e.ctx = lifeline.WithActor(context.Background(), lifeline.Actor{User: "staff:wang", Community: "幸福社区"})
	mm, _ := m.navigate(navMsg{to: screenFind})
	return mm
}

// Esc goes back one screen, to where the worker came from, whichever way
// they came; what is typed after it goes to the screen shown, and into
// the search box only when find is that screen.
func TestEscGoesBackWhereTheWorkerCameFrom(t *testing.T) {
	f := newFixture(t)
	m := loggedIn(t, f)
	m = press(t, m, navMsg{to: screenResident, id: f.zhang.ID})
	for _, c := range []struct {
		keys []tea.Msg
		want screenID
	}{
		{[]tea.Msg{runes("p")}, screenPrint},
		{[]tea.Msg{fkey(5)}, screenQueue}, // from the print screen to the queue
		{[]tea.Msg{esc}, screenPrint},     // back to printing, not to find
		{[]tea.Msg{esc}, screenResident},
		{[]tea.Msg{runes("l"), esc}, screenResident},
		{[]tea.Msg{runes("s"), esc}, screenResident},
		{[]tea.Msg{fkey(4), esc}, screenResident}, // check, from the resident
		{[]tea.Msg{esc}, screenFind},
	} {
		m = press(t, m, c.keys...)
		if got := m.(Model).current; got != c.want {
			t.Fatalf("after %v: screen %d, want %d", c.keys, got, c.want)
		}
	}
	// Keys typed right after Esc land on the screen shown.
	m = press(t, m, navMsg{to: screenResident, id: f.zhang.ID}, runes("p"), esc, runes("2"))
	if mm := m.(Model); mm.current != screenResident || mm.find.input.Value() != "" {
		t.Fatalf("after p, esc, 2: screen %d, search box %q", mm.current, mm.find.input.Value())
	}
	m = press(t, m, esc, runes("5"))
	if mm := m.(Model); mm.current != screenFind || mm.find.input.Value() != "5" {
		t.Fatalf("on find, 5 goes in the search box: screen %d, %q", mm.current, mm.find.input.Value())
	}
	// On find, Esc clears what is typed; with nothing typed and nowhere
	// further back, it stays.
	m = press(t, m, esc, esc)
	if mm := m.(Model); mm.current != screenFind || mm.find.input.Value() != "" {
		t.Fatalf("esc on find: screen %d, %q", mm.current, mm.find.input.Value())
	}
}

var han = regexp.MustCompile(`\p{Han}|；|，|：`)

// In English, nothing of the screen's own words is Chinese: relations,
// separators, counts, colours (stored names and addresses stay as they
// are).
func TestEnglishHasNoChinese(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, rel := range []lifeline.Relative{
		{ResidentID: f.zhang.ID, RelativeResidentID: f.li.ID, Relation: "父母"},
		{ResidentID: f.zhang.ID, Phone: "13911112222", Relation: "子女"},
	} {
		if err := f.db.LinkRelative(ctx, &rel); err != nil {
			t.Fatal(err)
		}
	}
	tm := runEnglish(t, f)
	tm.Type(f.zhang.Doc.Tail(4))
	waitFor(t, tm, "1 result")
	tm.Send(enter)
	waitFor(t, tm, "parent auto-approved; ")
	fm := final(t, tm)
	v := fm.View()
	for _, known := range []string{f.zhang.Name, f.li.Name, "幸福社区", "12号楼采样点"} {
		v = strings.ReplaceAll(v, known, "")
	}
	if m := han.FindAllString(v, -1); len(m) > 0 {
		t.Fatalf("Chinese on the English screen: %q\n%s", m, v)
	}
}

// release runs a command held back to play a slow store, and hands the
// model what it returns, with what that loads in turn.
func release(t *testing.T, m tea.Model, held tea.Cmd) tea.Model {
	t.Helper()
	return press(t, m, drain(held)...)
}

// Keys pressed while a screen reads the store wait for it: t pressed
// right after Enter on find opens the landline form of the resident once
// they are read, and a tube's barcode with its Enter, scanned before the
// round is read, opens the tube.
func TestKeysTypedAheadWaitForTheScreen(t *testing.T) {
	f := newFixture(t)
	m, held := loggedIn(t, f).Update(navMsg{to: screenResident, id: f.zhang.ID})
	m = press(t, m, runes("t"))
	if mm := m.(Model); mm.current != screenResident {
		t.Fatalf("t acted before the resident was read: screen %d", mm.current)
	}
	m = release(t, m, held)
	if mm := m.(Model); mm.current != screenLandline || mm.landline.r == nil || mm.landline.r.ID != f.zhang.ID {
		t.Fatalf("t pressed while the resident was read: screen %d, want the landline form of 张三丰", mm.current)
	}

	r := f.openRound(t)
	m, held = m.Update(navMsg{to: screenTube, round: r.ID})
	m = press(t, m, runes("P-0001"), enter)
	m = release(t, m, held)
	mm := m.(Model)
	if mm.tube.tube == nil || mm.tube.tube.Code != "P-0001" {
		t.Fatalf("a barcode scanned before the round was read: tube %+v, status %q", mm.tube.tube, mm.e.status)
	}
	open, err := f.db.OpenTubes(staffCtx(), r.ID)
	if err != nil || len(open) != 1 || open[0].Code != "P-0001" {
		t.Fatalf("open tubes in the store: %+v, %v", open, err)
	}
}

// A key that leaves the screen acts at once though the screen is busy,
// and what was typed ahead for the screen left goes with it; past a few
// scans' worth, keys are not kept and the status line says so.
func TestTypedAheadIsDroppedOnLeavingAndBounded(t *testing.T) {
	f := newFixture(t)
	m, held := loggedIn(t, f).Update(navMsg{to: screenResident, id: f.zhang.ID})
	m = press(t, m, runes("t"), fkey(5))
	if mm := m.(Model); mm.current != screenQueue {
		t.Fatalf("F5 while the resident was read: screen %d, want the print queue at once", mm.current)
	}
	m = release(t, m, held)
	if mm := m.(Model); mm.current != screenQueue || len(mm.typedAhead) != 0 {
		t.Fatalf("after leaving: screen %d, %d keys still held", mm.current, len(mm.typedAhead))
	}

	m, held = press(t, m, esc).Update(navMsg{to: screenResident, id: f.zhang.ID})
	for range maxTypedAhead + 1 {
		m = press(t, m, runes("x"))
	}
	if msg, isErr := m.(Model).Status(); !isErr || !strings.Contains(msg, "按键未记录") {
		t.Fatalf("keys past the bound: status %q (error %v)", msg, isErr)
	}
	m = release(t, m, held)
	if mm := m.(Model); mm.current != screenResident || len(mm.typedAhead) != 0 {
		t.Fatalf("after the resident was read: screen %d, %d keys still held", mm.current, len(mm.typedAhead))
	}
}
