package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
)

// roundNewScreen opens a testing round: the community (the worker's
// own), the buildings (none for all of it), the deadline and the pool
// size; Enter opens it, from any field.
type roundNewScreen struct {
	e      *env
	fields []textinput.Model // community, buildings, deadline, pool
	focus  int
	busy   bool
}

type roundOpenedMsg struct {
	round *lifeline.Round
	err   error
}

func (roundOpenedMsg) route() screenID { return screenRoundNew }

// The form's fields, in order.
const (
	rnCommunity = iota
	rnBuildings
	rnDeadline
	rnPool
)

func newRoundNewScreen(e *env) roundNewScreen {
	s := roundNewScreen{e: e}
	for _, p := range []string{e.t("社区", "community"), e.t("如 12 13 15；不填为整个社区", "e.g. 12 13 15; empty for the whole community"),
		e.t("如 18:00 或 2022-04-10 18:00", "e.g. 18:00 or 2022-04-10 18:00"), "10 / 20 / 1"} {
		in := newInput("", p, 120, 44)
		s.fields = append(s.fields, in)
	}
	return s
}

func (s roundNewScreen) start() (roundNewScreen, tea.Cmd) {
	s = newRoundNewScreen(s.e)
	s.fields[rnCommunity].SetValue(s.e.community())
	s.fields[rnPool].SetValue("10")
	s.focus = rnBuildings
	if s.e.community() == "" {
		s.focus = rnCommunity
	}
	return s, s.fields[s.focus].Focus()
}

func (s roundNewScreen) keys() []key.Binding {
	k := s.e.keys
	return []key.Binding{withHelp(k.Submit, s.e.t("开启", "open it")), k.Next, k.Back}
}

func (s roundNewScreen) update(msg tea.Msg) (roundNewScreen, tea.Cmd) {
	k := s.e.keys
	switch msg := msg.(type) {
	case roundOpenedMsg:
		s.busy = false
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, nil
		}
		r := msg.round
		s.e.setStatus(fmt.Sprintf(s.e.t("已开启第 %d 轮：%s，%d 人，截止 %s", "Round %d opened: %s, %d people, due %s"),
			r.ID, lifeline.Printable(r.Where(s.e.lang)), r.Residents, r.DueAt.In(lifeline.ChinaTime).Format("01-02 15:04")))
		return s, s.e.goTo(navMsg{to: screenRounds, round: r.ID, keepStatus: true})
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, k.Back):
			return s, s.e.goTo(navMsg{to: screenRounds})
		case key.Matches(msg, k.Next):
			s.fields[s.focus].Blur()
			step := 1
			if msg.String() == "shift+tab" {
				step = len(s.fields) - 1
			}
			s.focus = (s.focus + step) % len(s.fields)
			return s, s.fields[s.focus].Focus()
		case key.Matches(msg, k.Submit):
			return s.submit()
		}
	}
	var cmd tea.Cmd
	s.fields[s.focus], cmd = s.fields[s.focus].Update(msg)
	return s, cmd
}

// submit checks the form and opens the round.
func (s roundNewScreen) submit() (roundNewScreen, tea.Cmd) {
	r := &lifeline.Round{Community: s.fields[rnCommunity].Value(), StartsAt: s.e.now()}
	r.Buildings = strings.FieldsFunc(s.fields[rnBuildings].Value(), func(c rune) bool { return strings.ContainsRune(" ,，、;；", c) })
	var err error
	if r.DueAt, err = lifeline.ParseWhen(s.fields[rnDeadline].Value(), s.e.now()); err == nil {
		r.Pool, err = lifeline.ParsePool(s.fields[rnPool].Value())
	}
	if err == nil {
		err = r.Validate()
	}
	if err != nil {
		s.e.setError(err)
		return s, nil
	}
	s.busy = true
	s.e.setStatus(s.e.t("正在开启…", "Opening…"))
	ctx, store := s.e.ctx, s.e.store
	return s, func() tea.Msg {
		err := store.CreateRound(ctx, r)
		return roundOpenedMsg{round: r, err: err}
	}
}

func (s roundNewScreen) view(width, height int) string {
	var b strings.Builder
	labels := []string{s.e.t("社区", "Community"), s.e.t("楼栋", "Buildings"), s.e.t("截止时间", "Deadline"), s.e.t("混管人数", "Pool size")}
	b.WriteString(s.e.t("开启一轮核酸检测：名单按开启时的花名册生成。", "Open a testing round: who is to be sampled is the roster as it is now.") + "\n\n")
	for i, in := range s.fields {
		b.WriteString(cursorMark(i == s.focus) + styleLabel.Render(cell(labels[i], 10)) + " " + in.View() + "\n")
	}
	b.WriteString("\n" + styleDim.Render(s.e.t("混管人数：10 即 10合1，低风险地区可用 20，1 为单管。", "Pool size: 10 means 10 to a tube, 20 in low-risk areas, 1 for single tubes.")))
	return b.String()
}
