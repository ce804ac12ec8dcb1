package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
)

// missingScreen is who in one building is still to be sampled in a round,
// door to door, those of a positive pool marked to be retested alone,
// with the last visit to each; 1-4 marks a visit to the one selected (not
// home, sampled at home, refused, away), now. Phones stay masked until v,
// which the store writes to the audit log for each person listed.
type missingScreen struct {
	e        *env
	roundID  int64
	building string
	list     []lifeline.MissingEntry
	cursor   int
	revealed bool
	loaded   bool
	busy     bool
}

type missingLoadedMsg struct {
	roundID  int64
	building string
	list     []lifeline.MissingEntry
	revealed bool
	err      error
}

type visitMarkedMsg struct {
	visit lifeline.Visit
	name  string
	err   error
}

func (missingLoadedMsg) route() screenID { return screenMissing }
func (visitMarkedMsg) route() screenID   { return screenMissing }

func newMissingScreen(e *env) missingScreen { return missingScreen{e: e} }

func (s missingScreen) start(roundID int64, building string) (missingScreen, tea.Cmd) {
	s = missingScreen{e: s.e, roundID: roundID, building: building}
	return s, s.load(false)
}

// load reads the list; reveal reads it for showing phones, audited.
func (s missingScreen) load(reveal bool) tea.Cmd {
	ctx, store, f := s.e.ctx, s.e.store, lifeline.MissingFilter{RoundID: s.roundID, Building: s.building, Reveal: reveal}
	return func() tea.Msg {
		list, err := store.MissingList(ctx, f)
		return missingLoadedMsg{roundID: f.RoundID, building: f.Building, list: list, revealed: reveal, err: err}
	}
}

// waiting reports whether the list is read or a visit stored: keys (a
// mark typed on) wait for it.
func (s missingScreen) waiting() bool { return s.busy || !s.loaded }

func (s missingScreen) keys() []key.Binding {
	k := s.e.keys
	if len(s.list) == 0 {
		return []key.Binding{k.Back}
	}
	return []key.Binding{k.Up, k.Down, k.Visit, withHelp(k.Reveal, s.e.t("显示电话（留痕）", "reveal phones (audited)")), k.Back}
}

func (s missingScreen) update(msg tea.Msg) (missingScreen, tea.Cmd) {
	k := s.e.keys
	switch msg := msg.(type) {
	case missingLoadedMsg:
		if msg.roundID != s.roundID || msg.building != s.building {
			return s, nil
		}
		s.loaded, s.busy = true, false
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, nil
		}
		s.list, s.revealed = msg.list, msg.revealed
		s.cursor = min(s.cursor, max(len(s.list)-1, 0))
		if msg.revealed {
			s.e.setStatus(s.e.t("已显示完整电话，此操作已记录", "Full phones shown; this was recorded"))
		}
		return s, nil
	case visitMarkedMsg:
		if msg.err != nil {
			s.busy = false
			s.e.setError(msg.err)
			return s, nil
		}
		// Busy until the list is read again: a key typed ahead marks the
		// door as the list now stands.
		s.e.setStatus(fmt.Sprintf(s.e.t("已记录：%s %s %s", "Recorded: %s %s %s"), lifeline.Printable(msg.name), msg.visit.Mark.Label(s.e.lang), msg.visit.At.In(lifeline.ChinaTime).Format("15:04")))
		return s, s.load(s.revealed)
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, k.Back):
			return s, s.e.goTo(navMsg{to: screenRounds, round: s.roundID})
		case key.Matches(msg, k.Up):
			s.cursor = max(s.cursor-1, 0)
		case key.Matches(msg, k.Down):
			s.cursor = min(s.cursor+1, max(len(s.list)-1, 0))
		case key.Matches(msg, k.Reveal):
			if s.revealed {
				s.revealed = false
				return s, nil
			}
			s.busy = true
			return s, s.load(true)
		case key.Matches(msg, k.Visit) && s.cursor < len(s.list):
			mark := lifeline.VisitMarks[msg.String()[0]-'1']
			return s.mark(s.list[s.cursor].Resident, mark)
		}
	}
	return s, nil
}

// mark stores a visit to r now.
func (s missingScreen) mark(r *lifeline.Resident, mark lifeline.VisitMark) (missingScreen, tea.Cmd) {
	s.busy = true
	ctx, store := s.e.ctx, s.e.store
	v := lifeline.Visit{RoundID: s.roundID, ResidentID: r.ID, Mark: mark, At: s.e.now()}
	return s, func() tea.Msg {
		err := store.MarkVisit(ctx, &v)
		return visitMarkedMsg{visit: v, name: r.Name, err: err}
	}
}

func (s missingScreen) view(width, height int) string {
	if !s.loaded {
		return styleDim.Render(s.e.t("正在读取…", "Loading…"))
	}
	var b strings.Builder
	retest := 0
	for _, e := range s.list {
		if e.Retest {
			retest++
		}
	}
	b.WriteString(styleHeading.Render(fmt.Sprintf(s.e.t("第 %d 轮  %s 栋  未采样 %d 人", "Round %d  building %s  %d not sampled"), s.roundID, lifeline.Printable(s.building), len(s.list))))
	if retest > 0 {
		b.WriteString(styleWarn.Render(fmt.Sprintf(s.e.t("  其中混管阳性待复检 %d 人", "  of whom %d to retest alone"), retest)))
	}
	b.WriteString("\n")
	if len(s.list) == 0 {
		b.WriteString(s.e.t("这栋楼的人都已采样。", "Everyone in this building has been sampled."))
		return b.String()
	}
	b.WriteString(styleHeading.Render("  "+cell(s.e.t("单元-房号", "Unit-room"), 10)+cell(s.e.t("姓名", "Name"), 12)+cell(s.e.t("年龄", "Age"), 5)+
		cell(s.e.t("电话", "Phone"), 18)+s.e.t("情况", "Status")) + "\n")
	rows := max(height-2, 1)
	start := max(s.cursor-rows+1, 0)
	now := s.e.now()
	for i := start; i < len(s.list) && i < start+rows; i++ {
		e := s.list[i]
		r := e.Resident
		room := r.Address.Room
		if r.Address.Unit != "" {
			room = r.Address.Unit + "-" + room
		}
		_, phones := r.ShownNumbers(s.revealed)
		age := ""
		if a := lifeline.Age(r.Birth, now); a >= 0 {
			age = fmt.Sprint(a)
		}
		status := e.Status(s.e.lang)
		if v := e.LastVisit(); v != nil {
			status = v.Mark.Label(s.e.lang) + " " + v.At.In(lifeline.ChinaTime).Format("15:04")
			if e.Retest {
				status = e.Status(s.e.lang) + " · " + status
			}
		}
		line := cursorMark(i == s.cursor) + cell(lifeline.Printable(room), 10) + cell(lifeline.Printable(r.Name), 12) + cell(age, 5) +
			cell(lifeline.Printable(strings.Join(phones, " ")), 18) + status
		switch {
		case i == s.cursor:
			line = styleSelected.Render(line)
		case e.Retest:
			line = styleWarn.Render(line)
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
