package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
)

// roundsScreen is a community's testing rounds: one at a time (←→ for the
// others), with its progress per building, done / pooled positive /
// missing, and from there the pooled tubes (t), a new round (n) and a
// building's missing list (Enter).
type roundsScreen struct {
	e        *env
	rounds   []lifeline.Round
	at       int // the round shown
	progress []lifeline.BuildingProgress
	cursor   int // the building selected
	loaded   bool
	// loading: a read of the rounds is in flight; keys wait for it, so
	// that t or Enter acts on the round the worker asked for.
	loading bool
	// want is the round to show once loaded (one just opened, or the one
	// the worker came back from).
	want int64
	seq  int
}

type roundsLoadedMsg struct {
	seq      int
	rounds   []lifeline.Round
	at       int
	progress []lifeline.BuildingProgress
	err      error
}

func (roundsLoadedMsg) route() screenID { return screenRounds }

func newRoundsScreen(e *env) roundsScreen { return roundsScreen{e: e} }

// start shows the rounds, round id first if it is one of them.
func (s roundsScreen) start(round int64) (roundsScreen, tea.Cmd) {
	if round != 0 {
		s.want = round
	} else if s.at < len(s.rounds) {
		s.want = s.rounds[s.at].ID
	}
	return s, s.load()
}

// load reads the rounds and the progress of the one to show.
func (s *roundsScreen) load() tea.Cmd {
	s.seq++
	s.loading = true
	ctx, store, seq, want := s.e.ctx, s.e.store, s.seq, s.want
	return func() tea.Msg {
		rs, err := store.Rounds(ctx, "") // the worker's community's: the store sees to it
		if err != nil || len(rs) == 0 {
			return roundsLoadedMsg{seq: seq, err: err}
		}
		at := 0
		for i, r := range rs {
			if r.ID == want {
				at = i
			}
		}
		ps, err := store.RoundProgress(ctx, rs[at].ID)
		return roundsLoadedMsg{seq: seq, rounds: rs, at: at, progress: ps, err: err}
	}
}

func (s roundsScreen) keys() []key.Binding {
	k := s.e.keys
	b := []key.Binding{k.NewRound}
	if len(s.rounds) > 0 {
		b = append(b, k.Tubes, k.Up, k.Down, withHelp(k.Open, s.e.t("未采样名单", "missing list")), k.PrevRound, k.NextRound)
	}
	return append(b, k.Back)
}

// round is the round shown, nil if there is none.
func (s roundsScreen) round() *lifeline.Round {
	if s.at < len(s.rounds) {
		return &s.rounds[s.at]
	}
	return nil
}

func (s roundsScreen) update(msg tea.Msg) (roundsScreen, tea.Cmd) {
	k := s.e.keys
	switch msg := msg.(type) {
	case roundsLoadedMsg:
		if msg.seq != s.seq {
			return s, nil
		}
		s.loaded, s.loading = true, false
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, nil
		}
		if s.rounds, s.at, s.progress = msg.rounds, msg.at, msg.progress; s.cursor >= len(s.progress) {
			s.cursor = 0
		}
		return s, nil
	case tea.KeyMsg:
		r := s.round()
		switch {
		case key.Matches(msg, k.Back):
			return s, s.e.goTo(navMsg{to: screenFind})
		case key.Matches(msg, k.NewRound):
			return s, s.e.goTo(navMsg{to: screenRoundNew})
		case r == nil:
		case key.Matches(msg, k.Tubes):
			return s, s.e.goTo(navMsg{to: screenTube, round: r.ID})
		case key.Matches(msg, k.Open):
			if s.cursor < len(s.progress) {
				return s, s.e.goTo(navMsg{to: screenMissing, round: r.ID, building: s.progress[s.cursor].Building})
			}
		case key.Matches(msg, k.Up):
			s.cursor = max(s.cursor-1, 0)
		case key.Matches(msg, k.Down):
			s.cursor = min(s.cursor+1, max(len(s.progress)-1, 0))
		case key.Matches(msg, k.PrevRound), key.Matches(msg, k.NextRound):
			step := 1 // the list is newest first: → is the older one
			if key.Matches(msg, k.PrevRound) {
				step = -1
			}
			if at := s.at + step; at >= 0 && at < len(s.rounds) {
				s.want, s.cursor = s.rounds[at].ID, 0
				return s, s.load()
			}
		}
	}
	return s, nil
}

func (s roundsScreen) view(width, height int) string {
	r := s.round()
	switch {
	case !s.loaded:
		return styleDim.Render(s.e.t("正在读取…", "Loading…"))
	case r == nil:
		return s.e.t("还没有检测轮次。按 n 开启一轮：选楼栋、截止时间和混管人数。", "No testing rounds yet. Press n to open one: buildings, deadline and pool size.")
	}
	l := s.e.lang
	var b strings.Builder
	b.WriteString(styleHeading.Render(fmt.Sprintf(s.e.t("第 %d 轮  %s  %s", "Round %d  %s  %s"), r.ID, lifeline.Printable(r.Where(l)), lifeline.PoolLabel(r.Pool, l))))
	b.WriteString(styleDim.Render(fmt.Sprintf(s.e.t("  （%d/%d，←→ 切换）", "  (%d/%d, ←→ for others)"), s.at+1, len(s.rounds))) + "\n")
	due := r.DueAt.In(lifeline.ChinaTime).Format("01-02 15:04")
	var sum lifeline.BuildingProgress
	for _, p := range s.progress {
		sum.Total, sum.Done, sum.PooledPositive, sum.Missing = sum.Total+p.Total, sum.Done+p.Done, sum.PooledPositive+p.PooledPositive, sum.Missing+p.Missing
	}
	line := fmt.Sprintf(s.e.t("截止 %s  共 %d 人：已采 %d · 混管阳性 %d · 未采 %d", "due %s  %d people: done %d · pooled positive %d · missing %d"), due, sum.Total, sum.Done, sum.PooledPositive, sum.Missing)
	if s.e.now().After(r.DueAt) {
		line += styleWarn.Render(s.e.t("  已过截止时间", "  past the deadline"))
	}
	b.WriteString(line + "\n\n")
	head := "  " + cell(s.e.t("楼栋", "Building"), 10) + cell(s.e.t("应采", "People"), 8) + cell(s.e.t("已采", "Done"), 8) +
		cell(s.e.t("混管阳性", "Pooled +"), 10) + cell(s.e.t("未采", "Missing"), 8) + s.e.t("进度", "Progress")
	b.WriteString(styleHeading.Render(head) + "\n")
	rows := max(height-5, 1)
	start := max(s.cursor-rows+1, 0)
	for i := start; i < len(s.progress) && i < start+rows; i++ {
		p := s.progress[i]
		bar := progressBar(p, max(width-2-10-8-8-10-8-6, 5))
		row := cursorMark(i == s.cursor) + cell(lifeline.Printable(p.Building), 10) + cell(fmt.Sprint(p.Total), 8) + cell(fmt.Sprint(p.Done), 8) +
			cell(fmt.Sprint(p.PooledPositive), 10) + cell(fmt.Sprint(p.Missing), 8) + bar
		if i == s.cursor {
			row = styleSelected.Render(row)
		}
		b.WriteString(row + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// progressBar draws a building's progress in w columns: # done, ! pooled
// positive, . missing, and the share done, in words as well as marks.
func progressBar(p lifeline.BuildingProgress, w int) string {
	if p.Total == 0 {
		return ""
	}
	done := p.Done * w / p.Total
	pos := (p.PooledPositive*w + p.Total - 1) / p.Total
	if done+pos > w {
		pos = w - done
	}
	return strings.Repeat("#", done) + strings.Repeat("!", pos) + strings.Repeat(".", w-done-pos) + fmt.Sprintf(" %d%%", p.Done*100/p.Total)
}
