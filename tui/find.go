package tui

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	lifeline "github.com/lifeline-health/lifeline"
)

// findScreen is one search box whose results follow the typing: name, ID
// number or its last digits, phone or its last 4, or 12-3-501.
type findScreen struct {
	e       *env
	input   textinput.Model
	seq     int // bumped on every edit; results of older searches are dropped
	query   string
	results []lifeline.ResidentMatch
	capped  bool // more matched than findLimit: only the first are shown
	cursor  int
	// running is the seq of the search in flight (0: none). Its results
	// are dropped if a keystroke has bumped seq since.
	running int
	// openWhenReady is set by an Enter pressed before the results of what
	// is typed have arrived: the first of them opens when they do, rather
	// than a row of an older, shorter query (or nothing).
	openWhenReady bool
}

// findTickMsg fires a debounce interval after a keystroke; it searches only
// if no keystroke came after it.
type findTickMsg struct{ seq int }

// findResultMsg carries the results of the search started for seq.
// findLimit is how many results the find screen shows.
const findLimit = 50

type findResultMsg struct {
	seq     int
	query   string
	matches []lifeline.ResidentMatch
	err     error
}

func (findTickMsg) route() screenID   { return screenFind }
func (findResultMsg) route() screenID { return screenFind }

func newFindScreen(e *env) findScreen {
	in := newInput("> ", e.t("姓名、证件号后4位、手机尾号或 楼-单元-房号", "name, last 4 of ID or phone, or building-unit-room"), 40, 60)
	return findScreen{e: e, input: in}
}

func (s *findScreen) focus() tea.Cmd { return s.input.Focus() }

func (s findScreen) keys() []key.Binding {
	k := s.e.keys
	return []key.Binding{k.Up, k.Down, k.Open}
}

func (s findScreen) update(msg tea.Msg) (findScreen, tea.Cmd) {
	k := s.e.keys
	switch msg := msg.(type) {
	case findTickMsg:
		if msg.seq != s.seq {
			return s, nil
		}
		q := strings.TrimSpace(s.input.Value())
		if q == "" {
			s.results, s.query, s.running = nil, "", 0
			return s, nil
		}
		s.running = msg.seq
		return s, s.search(msg.seq, q)
	case findResultMsg:
		if msg.seq != s.seq {
			return s, nil // a newer keystroke already replaced this search
		}
		s.running = 0
		if msg.err != nil {
			s.openWhenReady = false
			s.e.setError(msg.err)
			return s, nil
		}
		s.e.setError(nil)
		s.results, s.query, s.cursor = msg.matches, msg.query, 0
		s.capped = len(s.results) > findLimit
		s.results = s.results[:min(len(s.results), findLimit)]
		if s.openWhenReady {
			s.openWhenReady = false
			return s, s.open()
		}
		return s, nil
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, k.Up):
			if s.cursor > 0 {
				s.cursor--
			}
			return s, nil
		case key.Matches(msg, k.Down):
			if s.cursor < len(s.results)-1 {
				s.cursor++
			}
			return s, nil
		case key.Matches(msg, k.Open):
			q := strings.TrimSpace(s.input.Value())
			if q == "" || (q == s.query && s.running == 0) {
				return s, s.open()
			}
			// The list on screen is for an older query, or none: search
			// now, without waiting out the debounce, and open on arrival.
			s.openWhenReady = true
			if s.running == s.seq {
				return s, nil // the search for q is already running
			}
			s.seq++
			s.running = s.seq
			return s, s.search(s.seq, q)
		case key.Matches(msg, k.Back):
			if s.input.Value() == "" {
				return s, s.e.goBack(false)
			}
			s.input.Reset()
			s.seq++
			s.results, s.query, s.openWhenReady, s.running = nil, "", false, 0
			return s, nil
		}
	}
	before := s.input.Value()
	var cmd tea.Cmd
	s.input, cmd = s.input.Update(msg)
	if s.input.Value() != before {
		s.seq++
		s.openWhenReady = false
		seq := s.seq
		tick := tea.Tick(s.e.cfg.Debounce, func(time.Time) tea.Msg { return findTickMsg{seq: seq} })
		return s, tea.Batch(cmd, tick)
	}
	return s, cmd
}

// open goes to the resident under the cursor, if there is one.
func (s findScreen) open() tea.Cmd {
	if s.cursor < len(s.results) && s.results[s.cursor].Resident != nil {
		return s.e.goTo(navMsg{to: screenResident, id: s.results[s.cursor].Resident.ID})
	}
	return nil
}

func (s findScreen) search(seq int, q string) tea.Cmd {
	ctx, store := s.e.ctx, s.e.store
	// One more than shown says whether there are more; within the
	// worker's community: the store sees to it.
	f := lifeline.ResidentFilter{Query: q, Limit: findLimit + 1}
	return func() tea.Msg {
		m, err := store.FindResidents(ctx, f)
		return findResultMsg{seq: seq, query: q, matches: m, err: err}
	}
}

func (s findScreen) view(width, height int) string {
	var b strings.Builder
	b.WriteString(styleLabel.Render(s.e.t("查找：", "Find: ")) + s.input.View() + "\n")
	switch {
	case s.query == "" && s.input.Value() == "":
		b.WriteString("\n" + styleDim.Render(s.e.t("输入即查找；↑↓ 选择，回车打开。", "Results follow your typing; ↑↓ to choose, Enter to open.")) + "\n")
		return b.String()
	case s.running != 0 && len(s.results) == 0:
		b.WriteString(styleDim.Render(s.e.t("正在查找…", "Searching…")) + "\n")
		return b.String()
	case len(s.results) == 0:
		b.WriteString(s.e.t("没有找到“", "Nothing found for \"") + lifeline.Printable(s.query) + s.e.t("”。", "\".") + "\n")
		if err := lifeline.MistypedMainlandID(s.query); err != nil {
			b.WriteString(styleWarn.Render(lifeline.ErrorMessage(err, s.e.lang)) + "\n")
		}
		return b.String()
	}
	b.WriteString(styleDim.Render(lifeline.ResultCount(len(s.results), s.capped, s.e.lang)) + "\n")
	// Columns: mark 2, name 12, document 20, address 14, status as wide
	// as the longest colour word (NO STATUS in English), why the rest.
	nameW, docW, addrW, colW := 12, 20, 14, max(8, lipgloss.Width(lifeline.Color("").Label(s.e.lang)))
	whyW := width - 2 - nameW - docW - addrW - colW - 4
	if whyW < 4 {
		whyW = 4
	}
	head := "  " + cell(s.e.t("姓名", "Name"), nameW) + " " + cell(s.e.t("证件号", "Document"), docW) + " " +
		cell(s.e.t("住址", "Address"), addrW) + " " + cell(s.e.t("状态", "Status"), colW) + " " + cell(s.e.t("匹配", "Matched"), whyW)
	b.WriteString(styleHeading.Render(head) + "\n")
	rows := height - 3
	if rows < 1 {
		rows = 1
	}
	start := 0
	if s.cursor >= rows {
		start = s.cursor - rows + 1
	}
	for i := start; i < len(s.results) && i < start+rows; i++ {
		r := s.results[i].Resident
		if r == nil {
			continue
		}
		line := cursorMark(i == s.cursor) + cell(r.Name, nameW) + " " + cell(r.Doc.Masked(), docW) + " " +
			cell(r.Address.Short(), addrW) + " " + colorStyle(r.Status.Color).Render(cell(r.Status.Color.Label(s.e.lang), colW)) + " " +
			cell(s.results[i].Kind.Label(s.e.lang), whyW)
		if i == s.cursor {
			line = styleSelected.Render(cursorMark(true)) + line[len(cursorMark(true)):]
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
