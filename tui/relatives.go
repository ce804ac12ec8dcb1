package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
)

// relativesScreen links a relative to a resident: another resident by ID
// number, or a bare phone number, with the relation chosen from the list
// (lifeline.Relations). A link inside one household is approved at once;
// any other waits in the review queue.
type relativesScreen struct {
	e        *env
	r        *lifeline.Resident
	who      textinput.Model
	relation int  // index in lifeline.Relations
	choosing bool // the relation has the focus, not the number
	busy     bool
}

type linkedMsg struct {
	rel  lifeline.Relative
	name string
	err  error
}

func (linkedMsg) route() screenID { return screenRelatives }

func newRelativesScreen(e *env) relativesScreen {
	w := newInput("", e.t("亲属的证件号或手机号", "relative's ID number or phone"), 32, 30)
	return relativesScreen{e: e, who: w}
}

func (s relativesScreen) start(r *lifeline.Resident) (relativesScreen, tea.Cmd) {
	s.r = r
	s.who.Reset()
	s.relation, s.choosing = 0, false
	return s, s.who.Focus()
}

func (s relativesScreen) keys() []key.Binding {
	k := s.e.keys
	b := []key.Binding{withHelp(k.Submit, s.e.t("下一步/保存", "next/save")), k.Next}
	if s.choosing {
		b = append(b, k.Choose)
	}
	return append(b, k.Back)
}

func (s relativesScreen) update(msg tea.Msg) (relativesScreen, tea.Cmd) {
	k := s.e.keys
	switch msg := msg.(type) {
	case linkedMsg:
		s.busy = false
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, nil
		}
		if msg.rel.State.Active() {
			s.e.setStatus(fmt.Sprintf(s.e.t("已关联 %s（%s），同户自动通过", "Linked %s (%s): same household, approved"), lifeline.Printable(msg.name), lifeline.Relation(msg.rel.Relation).Label(s.e.lang)))
		} else {
			s.e.setStatus(fmt.Sprintf(s.e.t("已提交 %s（%s），等待审核（F6）", "Linked %s (%s): waiting for review (F6)"), lifeline.Printable(msg.name), lifeline.Relation(msg.rel.Relation).Label(s.e.lang)))
		}
		return s, s.e.goBack(true)
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, k.Back):
			return s, s.e.goBack(false)
		case key.Matches(msg, k.Next):
			return s, s.toggle()
		case s.choosing && key.Matches(msg, k.Choose):
			step := 1
			if msg.String() == "left" {
				step = len(lifeline.Relations) - 1
			}
			s.relation = (s.relation + step) % len(lifeline.Relations)
			return s, nil
		case key.Matches(msg, k.Submit):
			if !s.choosing {
				if lifeline.NormalizeInput(s.who.Value()) == "" {
					s.e.setStatus(s.e.t("请输入亲属的证件号或手机号", "Type the relative's ID number or phone"))
					return s, nil
				}
				return s, s.toggle()
			}
			if s.r == nil {
				return s, nil
			}
			s.busy = true
			return s, s.link()
		}
	}
	if s.choosing {
		return s, nil
	}
	var cmd tea.Cmd
	s.who, cmd = s.who.Update(msg)
	return s, cmd
}

func (s *relativesScreen) toggle() tea.Cmd {
	s.choosing = !s.choosing
	if s.choosing {
		s.who.Blur()
		return nil
	}
	return s.who.Focus()
}

// link finds the relative among the residents the worker may see by
// document number; if none holds it and it reads as a phone number, the
// link is to that phone.
func (s relativesScreen) link() tea.Cmd {
	ctx, store, e, r := s.e.ctx, s.e.store, s.e, s.r
	raw, relation := lifeline.NormalizeInput(s.who.Value()), string(lifeline.Relations[s.relation])
	return func() tea.Msg {
		rel := lifeline.Relative{ResidentID: r.ID, Relation: relation, CreatedBy: e.actor()}
		name := ""
		number := lifeline.NormalizeDocNumber(raw)
		// Only residents the worker may see (the store searches no
		// other): a relative elsewhere is linked by phone, so linking
		// reveals nothing about another community.
		ms, err := store.FindResidents(ctx, lifeline.ResidentFilter{Query: number, Limit: 5})
		if err != nil {
			return linkedMsg{err: err}
		}
		for _, m := range ms {
			if m.Kind == lifeline.QueryDocument && m.Resident != nil && m.Resident.Doc.Number == number {
				rel.RelativeResidentID, name = m.Resident.ID, m.Resident.Name
				break
			}
		}
		if rel.RelativeResidentID == 0 {
			phone, perr := lifeline.NormalizePhone(raw)
			if perr != nil {
				return linkedMsg{err: lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有持此证件号的居民，也不是有效的电话号码", "no resident holds this ID number, and it is not a valid phone number"))}
			}
			rel.Phone, name = phone, lifeline.MaskPhone(phone)
		}
		if rel.RelativeResidentID == r.ID {
			return linkedMsg{err: lifeline.Errorf(lifeline.EINVALID, lifeline.T("不能把居民关联为自己的亲属", "a resident cannot be their own relative"))}
		}
		if err := store.LinkRelative(ctx, &rel); err != nil { // audited with the link
			return linkedMsg{err: err}
		}
		return linkedMsg{rel: rel, name: name}
	}
}

func (s relativesScreen) view(width, height int) string {
	if s.r == nil {
		return s.e.t("请先在查找中打开一位居民，再按 l 关联亲属。", "Open a resident from find first, then press l to link a relative.")
	}
	var b strings.Builder
	b.WriteString(styleHeading.Render(s.e.t("为 ", "Relative of ")+lifeline.Printable(s.r.Name)+" "+lifeline.Printable(s.r.Address.Short())+s.e.t(" 关联亲属", "")) + "\n\n")
	b.WriteString(cursorMark(!s.choosing) + styleLabel.Render(cell(s.e.t("证件号/电话", "ID or phone"), 12)) + " " + s.who.View() + "\n\n")
	var choices []string
	for i, rel := range lifeline.Relations {
		w := rel.Label(s.e.lang)
		if i == s.relation {
			w = styleSelected.Render("‹" + w + "›")
		} else {
			w = " " + w + " "
		}
		choices = append(choices, w)
	}
	b.WriteString(cursorMark(s.choosing) + styleLabel.Render(cell(s.e.t("关系", "Relation"), 12)) + " " + strings.Join(choices, " ") + "\n")
	b.WriteString(strings.Repeat(" ", 15) + styleDim.Render(s.e.t("←→ 选择", "←→ to choose")) + "\n\n")
	b.WriteString(styleDim.Render(s.e.t("同户成员自动通过；其他关联由工作人员审核（F6）。", "Same household: approved at once; others wait for staff review (F6).")))
	return b.String()
}

// reviewScreen is the queue of relative links waiting for review: approve,
// or reject with a reason.
type reviewScreen struct {
	e         *env
	pending   []lifeline.Relative
	names     map[int64]*lifeline.Resident
	cursor    int
	rejecting bool
	reason    textinput.Model
	busy      bool
}

type reviewLoadedMsg struct {
	pending []lifeline.Relative
	names   map[int64]*lifeline.Resident
	err     error
}

type reviewedMsg struct {
	rel     lifeline.Relative
	approve bool
	err     error
}

func (reviewLoadedMsg) route() screenID { return screenReview }
func (reviewedMsg) route() screenID     { return screenReview }

func newReviewScreen(e *env) reviewScreen {
	in := newInput("", e.t("驳回原因", "reason for rejecting"), 80, 40)
	return reviewScreen{e: e, reason: in}
}

func (s reviewScreen) init() tea.Cmd {
	ctx, store := s.e.ctx, s.e.store
	return func() tea.Msg {
		p, err := store.PendingRelatives(ctx, "") // the worker's community's: the store sees to it
		if err != nil {
			return reviewLoadedMsg{err: err}
		}
		names := map[int64]*lifeline.Resident{}
		for _, rel := range p {
			for _, id := range []int64{rel.ResidentID, rel.RelativeResidentID} {
				if id == 0 || names[id] != nil {
					continue
				}
				r, err := store.Resident(ctx, id)
				if lifeline.ErrorCode(err) == lifeline.ENOTFOUND {
					continue // a relative the worker may not see: no name shown
				}
				if err != nil {
					return reviewLoadedMsg{err: err}
				}
				names[id] = r
			}
		}
		return reviewLoadedMsg{pending: p, names: names}
	}
}

func (s reviewScreen) keys() []key.Binding {
	k := s.e.keys
	if s.rejecting {
		return []key.Binding{withHelp(k.Submit, s.e.t("驳回", "reject")), withHelp(k.Back, s.e.t("取消", "cancel"))}
	}
	return []key.Binding{k.Up, k.Down, k.Approve, k.Reject, k.Back, k.PageUp, k.PageDown, k.Home, k.End}
}

func (s reviewScreen) update(msg tea.Msg) (reviewScreen, tea.Cmd) {
	k := s.e.keys
	switch msg := msg.(type) {
	case reviewLoadedMsg:
		s.busy = false
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, nil
		}
		s.pending, s.names = newestFirst(msg.pending), msg.names
		if s.cursor >= len(s.pending) {
			s.cursor = max(0, len(s.pending)-1)
		}
		return s, nil
	case reviewedMsg:
		if msg.err != nil {
			s.busy = false
			s.e.setError(msg.err)
			return s, nil
		}
		// Busy until the list is read again, so that a key typed ahead
		// acts on the next link, not on this one.
		// Who, so the worker knows which it was; the link leaves the list
		// and the cursor, where it is, is on the next one.
		who := s.linkLine(msg.rel)
		if msg.approve {
			s.e.setStatus(s.e.t("已通过：", "Approved: ") + who)
		} else {
			s.e.setStatus(s.e.t("已驳回：", "Rejected: ") + who)
		}
		return s, s.init()
	case tea.KeyMsg:
		if s.rejecting {
			switch {
			case key.Matches(msg, k.Back):
				s.rejecting = false
				s.reason.Blur()
				return s, nil
			case key.Matches(msg, k.Submit):
				reason := strings.TrimSpace(s.reason.Value())
				if reason == "" {
					s.e.setStatus(s.e.t("驳回需要填写原因", "A rejection needs a reason"))
					return s, nil
				}
				s.rejecting, s.busy = false, true
				s.reason.Blur()
				return s, s.review(s.pending[s.cursor], false, reason)
			}
			var cmd tea.Cmd
			s.reason, cmd = s.reason.Update(msg)
			return s, cmd
		}
		if c, moved := s.e.moveCursor(msg, s.cursor, len(s.pending), s.e.listRows(5)); moved {
			s.cursor = c
			return s, nil
		}
		switch {
		case key.Matches(msg, k.Back):
			return s, s.e.goBack(false)
		case key.Matches(msg, k.Approve):
			if s.cursor < len(s.pending) {
				s.busy = true
				return s, s.review(s.pending[s.cursor], true, "")
			}
		case key.Matches(msg, k.Reject):
			if s.cursor < len(s.pending) {
				s.rejecting = true
				s.reason.Reset()
				return s, s.reason.Focus()
			}
		}
	}
	return s, nil
}

func (s reviewScreen) review(rel lifeline.Relative, approve bool, reason string) tea.Cmd {
	ctx, store, e := s.e.ctx, s.e.store, s.e
	return func() tea.Msg {
		err := store.ReviewRelative(ctx, rel.ID, approve, reason, e.actor()) // audited with the review
		return reviewedMsg{rel: rel, approve: approve, err: err}
	}
}

func (s reviewScreen) name(id int64) string {
	if r := s.names[id]; r != nil {
		return lifeline.Printable(r.Name)
	}
	return "?"
}

// relative is who a link names: a resident, or a masked phone.
func (s reviewScreen) relative(rel lifeline.Relative) string {
	if rel.RelativeResidentID != 0 {
		return s.name(rel.RelativeResidentID)
	}
	return lifeline.MaskPhone(rel.Phone)
}

// linkLine says a link in words: 张三丰 的 子女 +86 139****2222.
func (s reviewScreen) linkLine(rel lifeline.Relative) string {
	return s.name(rel.ResidentID) + s.e.t(" 的", "'s ") + lifeline.Relation(rel.Relation).Label(s.e.lang) + " " + s.relative(rel)
}

func (s reviewScreen) view(width, height int) string {
	if len(s.pending) == 0 {
		return s.e.t("没有待审核的亲属关联。", "No relative links wait for review.")
	}
	var b strings.Builder
	b.WriteString(fmt.Sprintf(s.e.t("%d 条待审核（最新的在上；PgUp/PgDn 翻页）", "%d waiting (newest first; PgUp/PgDn to page)"), len(s.pending)) + "\n")
	b.WriteString(styleHeading.Render("  "+cell(s.e.t("居民", "Resident"), 14)+" "+cell(s.e.t("亲属", "Relative"), 18)+" "+cell(s.e.t("关系", "Relation"), 8)+" "+s.e.t("申请", "Asked")) + "\n")
	rows := max(height-5, 1)
	start := window(s.cursor, rows)
	for i := start; i < len(s.pending) && i < start+rows; i++ {
		rel := s.pending[i]
		line := cursorMark(i == s.cursor) + cell(s.name(rel.ResidentID), 14) + " " + cell(s.relative(rel), 18) + " " + cell(lifeline.Relation(rel.Relation).Label(s.e.lang), 8) + " " +
			rel.CreatedAt.In(lifeline.ChinaTime).Format("01-02 15:04") + " " + lifeline.Printable(rel.CreatedBy)
		if i == s.cursor {
			line = styleSelected.Render(line)
		}
		b.WriteString(line + "\n")
	}
	if s.rejecting {
		b.WriteString("\n" + styleLabel.Render(s.e.t("驳回原因：", "Reason: ")) + s.reason.View())
	}
	return strings.TrimRight(b.String(), "\n")
}
