package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
)

// One key map feeds matching and help: ? (or F1) opens the full list of
// the current screen's keys and the screen switches; where a field takes
// free text, ? is typed and only F1 opens help.
func TestHelpKeys(t *testing.T) {
	f := newFixture(t)
	m := New(f.config())
	mm, _ := m.Update(runes("?"))
	if mm.(Model).showHelp || mm.(Model).login.user.Value() != "?" {
		t.Fatal("on the login, ? must be typed into the user field")
	}
	mm, _ = mm.Update(tea.KeyMsg{Type: tea.KeyF1})
	if !mm.(Model).showHelp {
		t.Fatal("F1 did not open the help")
	}
	mm, _ = mm.Update(esc)
	if mm.(Model).showHelp {
		t.Fatal("esc did not close the help")
	}

	m = New(f.config())
	m.e.staff = &lifeline.Staff{User: "wang", Community: "幸福社区"}
	mm, _ = m.navigate(navMsg{to: screenFind})
	mm, _ = mm.Update(runes("?"))
	v := mm.View()
	if !mm.(Model).showHelp {
		t.Fatal("? did not open the help on the find screen")
	}
	for _, b := range append(m.e.keys.navKeys(), m.e.keys.Open, m.e.keys.Quit) {
		if !strings.Contains(v, b.Help().Key) || !strings.Contains(v, b.Help().Desc) {
			t.Errorf("full help lacks %s %s", b.Help().Key, b.Help().Desc)
		}
	}
	if mm.(Model).find.input.Value() != "" {
		t.Error("? was typed into the search box")
	}
	// Screen switches work from anywhere once logged in.
	mm, _ = mm.Update(esc)
	mm, _ = mm.Update(fkey(4))
	if mm.(Model).current != screenCheck {
		t.Errorf("F4 went to screen %d, want check", mm.(Model).current)
	}
	mm, _ = mm.Update(tea.KeyMsg{Type: tea.KeyCtrlF})
	if mm.(Model).current != screenFind {
		t.Errorf("ctrl+f went to screen %d, want find", mm.(Model).current)
	}
}

// Before login no screen switch works.
func TestNoScreenBeforeLogin(t *testing.T) {
	f := newFixture(t)
	mm, _ := New(f.config()).Update(fkey(2))
	if mm.(Model).current != screenLogin {
		t.Fatal("F2 left the login before logging in")
	}
}
