package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
)

// landlineScreen binds a household's landline to everyone living there,
// so that a call from the home phone to the voice line hears each of them
// (and a text from it, were it a mobile); an empty number unbinds it.
type landlineScreen struct {
	e      *env
	r      *lifeline.Resident
	number textinput.Model
	busy   bool
}

type landlineSetMsg struct {
	phone   string // "" when unbound
	members int
	err     error
}

func (landlineSetMsg) route() screenID { return screenLandline }

func newLandlineScreen(e *env) landlineScreen {
	n := newInput("", e.t("带区号，如 029-88881234", "with the area code, e.g. 029-88881234"), 24, 30)
	return landlineScreen{e: e, number: n}
}

func (s landlineScreen) start(r *lifeline.Resident) (landlineScreen, tea.Cmd) {
	s.r, s.busy = r, false
	s.number.Reset()
	return s, s.number.Focus()
}

// current is the landline the resident has, "" if none.
func (s landlineScreen) current() string {
	if s.r == nil {
		return ""
	}
	for _, p := range s.r.Phones {
		if lifeline.IsLandline(p) {
			return p
		}
	}
	return ""
}

func (s landlineScreen) keys() []key.Binding {
	k := s.e.keys
	return []key.Binding{withHelp(k.Submit, s.e.t("保存（留空则解除）", "save (empty unbinds)")), k.Back}
}

func (s landlineScreen) update(msg tea.Msg) (landlineScreen, tea.Cmd) {
	k := s.e.keys
	switch msg := msg.(type) {
	case landlineSetMsg:
		s.busy = false
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, nil
		}
		if msg.phone == "" {
			s.e.setStatus(fmt.Sprintf(s.e.t("已为全户 %d 人解除固定电话", "Landline unbound for the household's %d"), msg.members))
		} else {
			s.e.setStatus(fmt.Sprintf(s.e.t("已为全户 %[1]d 人绑定固定电话 %[2]s，可拨打语音热线查询", "Landline %[2]s bound for the household's %[1]d: they can call the voice line"),
				msg.members, lifeline.MaskPhone(msg.phone)))
		}
		return s, s.e.goTo(navMsg{to: screenResident, id: s.r.ID, keepStatus: true})
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, k.Back):
			if s.r != nil {
				return s, s.e.goTo(navMsg{to: screenResident, id: s.r.ID})
			}
			return s, s.e.goTo(navMsg{to: screenFind, resident: nil})
		case key.Matches(msg, k.Submit):
			if s.r == nil {
				return s, nil
			}
			if strings.TrimSpace(s.number.Value()) == "" && s.current() == "" {
				s.e.setStatus(s.e.t("请输入带区号的固定电话", "Type the landline with its area code"))
				return s, nil
			}
			s.busy = true
			return s, s.save()
		}
	}
	var cmd tea.Cmd
	s.number, cmd = s.number.Update(msg)
	return s, cmd
}

// save binds the number typed (or unbinds, when empty); the store checks
// it is a landline and that the worker may see the household, and audits.
func (s landlineScreen) save() tea.Cmd {
	ctx, store, id := s.e.ctx, s.e.store, s.r.ID
	raw := strings.TrimSpace(s.number.Value())
	return func() tea.Msg {
		phone := ""
		if raw != "" {
			p, err := lifeline.NormalizePhone(raw)
			if err != nil {
				return landlineSetMsg{err: err}
			}
			phone = p
		}
		n, err := store.SetLandline(ctx, id, phone)
		return landlineSetMsg{phone: phone, members: n, err: err}
	}
}

func (s landlineScreen) view(width, height int) string {
	if s.r == nil {
		return s.e.t("请先在查找中打开一位居民，再按 t 绑定固定电话。", "Open a resident from find first, then press t to bind a landline.")
	}
	var b strings.Builder
	b.WriteString(styleHeading.Render(s.e.t("为 ", "Landline for the household of ")+lifeline.Printable(s.r.Name)+" "+lifeline.Printable(s.r.Address.Short())+s.e.t(" 全户绑定固定电话", "")) + "\n\n")
	cur := s.e.t("无", "none")
	if c := s.current(); c != "" {
		cur = lifeline.MaskPhone(c)
	}
	b.WriteString(styleLabel.Render(cell(s.e.t("当前", "Now"), 12)) + "   " + cur + "\n\n")
	b.WriteString(cursorMark(true) + styleLabel.Render(cell(s.e.t("固定电话", "Landline"), 12)) + " " + s.number.View() + "\n\n")
	b.WriteString(styleDim.Render(s.e.t("同户每人都绑定此号码：用它拨打语音热线，可听到全户的状态。\n留空保存即解除绑定。",
		"Everyone in the household gets this number: a call from it to the\nvoice line hears each of them. Save it empty to unbind.")))
	return b.String()
}
