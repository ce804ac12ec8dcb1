package tui

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
)

// registerScreen records a sample on site when the central system cannot
// produce a code. The person is found as on the find screen (name, ID or
// its last digits, phone tail, 12-3-501, or the card scanned), or, when
// they are not on the roster (a visitor, a migrant worker, a foreigner
// with a passport), registered there with name, document and phone; then
// the tube barcode is scanned. Each registration is stored at once and
// shown as waiting to send (待上传) until it is delivered upstream.
type registerScreen struct {
	e     *env
	query textinput.Model
	tube  textinput.Model
	// Search results for the query, as on the find screen.
	seq     int
	results []lifeline.ResidentMatch
	shown   string // the query the results are for
	cursor  int
	// r is the person the sample is for; from is who the screen was
	// opened for (s on a resident), whom Esc goes back to.
	r, from *lifeline.Resident
	walkIn  *walkInForm // registering someone not on the roster
	busy    bool
	session []lifeline.Registration // made at this desk, newest first
	names   map[int64]string
	backlog int
	oldest  time.Time
	pending map[int64]bool
}

type regTickMsg struct{ seq int }

type regFoundMsg struct {
	seq     int
	query   string
	matches []lifeline.ResidentMatch
	err     error
}

type regWalkInMsg struct {
	r   *lifeline.Resident
	err error
}

type regSavedMsg struct {
	reg lifeline.Registration
	err error
}

type regBacklogMsg struct {
	n       int
	oldest  time.Time
	pending map[int64]bool
	err     error
}

func (regTickMsg) route() screenID    { return screenRegister }
func (regFoundMsg) route() screenID   { return screenRegister }
func (regWalkInMsg) route() screenID  { return screenRegister }
func (regSavedMsg) route() screenID   { return screenRegister }
func (regBacklogMsg) route() screenID { return screenRegister }

func newRegisterScreen(e *env) registerScreen {
	q := newInput("> ", e.t("姓名、证件号或后4位、电话尾号、楼-单元-房号，或扫描证件", "name, ID or its last 4, phone tail, building-unit-room, or scan the ID"), 40, 56)
	t := newInput("> ", e.t("扫描试管条码", "scan the tube barcode"), 40, 30)
	return registerScreen{e: e, query: q, tube: t, names: map[int64]string{}}
}

// start readies the screen for r (s on a resident), or for a search.
func (s registerScreen) start(r *lifeline.Resident) (registerScreen, tea.Cmd) {
	s.r, s.from, s.walkIn = r, r, nil
	s.query.Reset()
	s.tube.Reset()
	s.results, s.shown = nil, ""
	var focus tea.Cmd
	if r != nil {
		s.query.Blur()
		focus = s.tube.Focus()
	} else {
		s.tube.Blur()
		focus = s.query.Focus()
	}
	return s, tea.Batch(focus, s.loadBacklog())
}

func (s registerScreen) keys() []key.Binding {
	k := s.e.keys
	switch {
	case s.walkIn != nil:
		return s.walkIn.keys(k, s.e)
	case s.r != nil:
		return []key.Binding{withHelp(k.Submit, s.e.t("保存", "save")), k.Back}
	}
	return []key.Binding{k.Up, k.Down, withHelp(k.Submit, s.e.t("选定", "choose")), k.WalkIn, k.Back}
}

func (s registerScreen) loadBacklog() tea.Cmd {
	ctx, store := s.e.ctx, s.e.store
	return func() tea.Msg {
		n, oldest, err := store.RegistrationBacklog(ctx)
		if err != nil {
			return regBacklogMsg{err: err}
		}
		pend, err := store.PendingRegistrations(ctx, 1000)
		if err != nil {
			return regBacklogMsg{err: err}
		}
		m := regBacklogMsg{n: n, oldest: oldest, pending: map[int64]bool{}}
		for _, p := range pend {
			m.pending[p.ID] = true
		}
		return m
	}
}

func (s registerScreen) update(msg tea.Msg) (registerScreen, tea.Cmd) {
	switch msg := msg.(type) {
	case regBacklogMsg:
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, nil
		}
		s.backlog, s.oldest, s.pending = msg.n, msg.oldest, msg.pending
		for i := range s.session {
			if !s.pending[s.session[i].ID] && s.session[i].DeliveredAt.IsZero() && len(s.pending) < 1000 {
				s.session[i].DeliveredAt = s.e.now()
			}
		}
		return s, nil
	case regTickMsg:
		if msg.seq != s.seq {
			return s, nil
		}
		return s, s.search(msg.seq)
	case regFoundMsg:
		if msg.seq != s.seq {
			return s, nil
		}
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, nil
		}
		s.e.setError(nil)
		s.results, s.shown, s.cursor = msg.matches, msg.query, 0
		return s, nil
	case regWalkInMsg:
		s.busy = false
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, nil
		}
		s.walkIn = nil
		s.e.setStatus(s.e.t("已登记为现场人员（不在名册上）：", "Registered on site, not on the roster: ") + lifeline.Printable(msg.r.Name) + s.e.t("；请扫描试管条码", "; scan the tube barcode"))
		return s.choose(msg.r)
	case regSavedMsg:
		s.busy = false
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, nil
		}
		s.session = append([]lifeline.Registration{msg.reg}, s.session...)
		if s.r != nil {
			s.names[msg.reg.ResidentID] = s.r.Name
		}
		s.e.setStatus(fmt.Sprintf(s.e.t("已保存：%s 试管 %s，待上传", "Saved: %s tube %s, waiting to send"), lifeline.Printable(s.names[msg.reg.ResidentID]), msg.reg.Tube))
		s, _ = s.start(nil)
		return s, tea.Batch(s.query.Focus(), s.loadBacklog())
	case tea.KeyMsg:
		if s.walkIn != nil {
			return s.updateWalkIn(msg)
		}
		return s.updateKey(msg)
	}
	return s.updateInput(msg)
}

// updateKey handles a key while searching or scanning the tube.
func (s registerScreen) updateKey(msg tea.KeyMsg) (registerScreen, tea.Cmd) {
	k := s.e.keys
	switch {
	case key.Matches(msg, k.Back):
		if s.r != nil && s.from == nil {
			s.r = nil // back to the search, as it was
			s.tube.Blur()
			return s, s.query.Focus()
		}
		return s, s.e.goBack(false)
	case key.Matches(msg, k.WalkIn) && s.r == nil:
		s.walkIn = newWalkInForm(s.e, lifeline.NormalizeInput(s.query.Value()))
		return s, s.walkIn.focus()
	case s.r == nil && key.Matches(msg, k.Up):
		s.cursor = max(s.cursor-1, 0)
		return s, nil
	case s.r == nil && key.Matches(msg, k.Down):
		s.cursor = min(s.cursor+1, max(len(s.results)-1, 0))
		return s, nil
	case key.Matches(msg, k.Submit) && s.r == nil:
		return s.pick()
	case key.Matches(msg, k.Submit):
		tube := lifeline.NormalizeInput(s.tube.Value())
		if tube == "" {
			s.e.setStatus(s.e.t("请扫描试管条码", "Scan the tube barcode"))
			return s, nil
		}
		s.busy = true
		return s, s.save(s.r, tube)
	}
	return s.updateInput(msg)
}

// updateInput passes anything else to the focused field; an edit of the
// query searches again after the debounce.
func (s registerScreen) updateInput(msg tea.Msg) (registerScreen, tea.Cmd) {
	var cmd tea.Cmd
	if s.walkIn != nil {
		cmd = s.walkIn.update(msg)
		return s, cmd
	}
	if s.r != nil {
		s.tube, cmd = s.tube.Update(msg)
		return s, cmd
	}
	before := s.query.Value()
	s.query, cmd = s.query.Update(msg)
	if s.query.Value() == before {
		return s, cmd
	}
	s.seq++
	if lifeline.NormalizeInput(s.query.Value()) == "" {
		s.results, s.shown = nil, ""
		return s, cmd
	}
	seq := s.seq
	return s, tea.Batch(cmd, tea.Tick(s.e.cfg.Debounce, func(time.Time) tea.Msg { return regTickMsg{seq: seq} }))
}

// pick chooses the person under the cursor; a mistyped ID number is
// pointed out, and a query the results are not yet for is searched now.
func (s registerScreen) pick() (registerScreen, tea.Cmd) {
	q := lifeline.NormalizeInput(s.query.Value())
	switch {
	case q == "":
		s.e.setStatus(s.e.t("请输入姓名、证件号、电话尾号或门牌号，或扫描证件", "Type a name, ID, phone tail or address, or scan the ID"))
		return s, nil
	case lifeline.MistypedMainlandID(q) != nil:
		s.e.setError(lifeline.MistypedMainlandID(q))
		return s, nil
	case q != s.shown:
		s.seq++
		return s, s.search(s.seq)
	case len(s.results) == 0:
		s.e.setStatus(s.e.t("没有找到“", "Nothing found for \"") + lifeline.Printable(q) + s.e.t("”；不在名册上的人员按 ctrl+n 登记", "\"; press ctrl+n for someone not on the roster"))
		return s, nil
	}
	return s.choose(s.results[s.cursor].Resident)
}

// choose takes r as the person the sample is for and moves to the tube.
func (s registerScreen) choose(r *lifeline.Resident) (registerScreen, tea.Cmd) {
	s.r = r
	if s.e.status == "" || !strings.Contains(s.e.status, lifeline.Printable(r.Name)) {
		s.e.setStatus(s.e.t("已选定：", "Chosen: ") + lifeline.Printable(r.Name) + s.e.t("，请扫描试管条码", "; scan the tube barcode"))
	}
	s.query.Blur()
	return s, s.tube.Focus()
}

// search runs the query as the find screen does, in the worker's
// community; a mistyped ID number is not searched but pointed out.
func (s registerScreen) search(seq int) tea.Cmd {
	q := lifeline.NormalizeInput(s.query.Value())
	if err := lifeline.MistypedMainlandID(q); err != nil {
		return func() tea.Msg { return regFoundMsg{seq: seq, query: q, err: err} }
	}
	ctx, store := s.e.ctx, s.e.store
	return func() tea.Msg {
		ms, err := store.FindResidents(ctx, lifeline.ResidentFilter{Query: q, Limit: 20})
		return regFoundMsg{seq: seq, query: q, matches: ms, err: err}
	}
}

// save stores the registration with a fresh idempotency key, so that a
// retried delivery upstream is never a second sample. The store writes its
// audit entry with it.
func (s registerScreen) save(r *lifeline.Resident, tube string) tea.Cmd {
	ctx, store, e := s.e.ctx, s.e.store, s.e
	return func() tea.Msg {
		key := make([]byte, 16)
		if _, err := rand.Read(key); err != nil {
			return regSavedMsg{err: err}
		}
		now := e.now()
		reg := lifeline.Registration{ResidentID: r.ID, Tube: tube, Site: e.cfg.Site, SampledAt: now, Staff: e.actor(), IdempotencyKey: hex.EncodeToString(key), CreatedAt: now}
		if err := store.CreateRegistration(ctx, &reg); err != nil {
			return regSavedMsg{err: err}
		}
		return regSavedMsg{reg: reg}
	}
}

// updateWalkIn handles a key on the form of a person not on the roster.
func (s registerScreen) updateWalkIn(msg tea.KeyMsg) (registerScreen, tea.Cmd) {
	k := s.e.keys
	switch {
	case key.Matches(msg, k.Back):
		s.walkIn = nil
		return s, s.query.Focus()
	case key.Matches(msg, k.Submit) && s.walkIn.last():
		r, err := s.walkIn.resident(s.e.community())
		if err != nil {
			s.e.setError(err)
			return s, nil
		}
		s.busy = true
		ctx, store := s.e.ctx, s.e.store
		return s, func() tea.Msg {
			err := store.RegisterWalkIn(ctx, r)
			return regWalkInMsg{r: r, err: err}
		}
	}
	return s, s.walkIn.update(msg)
}

func (s registerScreen) view(width, height int) string {
	if s.walkIn != nil {
		return s.walkIn.view(width)
	}
	var b strings.Builder
	b.WriteString(styleLabel.Render(cell(s.e.t("查找", "Find"), 9)) + s.query.View() + "\n")
	used := 1
	if s.r == nil {
		rows := s.resultsView(width, min(8, height-6))
		b.WriteString(rows)
		used += strings.Count(rows, "\n")
	} else {
		b.WriteString(styleLabel.Render(cell(s.e.t("采样人", "Person"), 9)) + styleOK.Render(whoLine(s.r, s.e.lang)) + "\n")
		used++
	}
	b.WriteString(styleLabel.Render(cell(s.e.t("试管条码", "Tube"), 9)) + s.tube.View() + "\n\n")
	used += 2
	if s.backlog > 0 {
		b.WriteString(styleWarn.Render(fmt.Sprintf(s.e.t("待上传 %d 条（最早一条：%s）；已保存在本机，不会丢失。", "%d waiting to send (oldest: %s); stored here and never lost."), s.backlog, lifeline.Ago(s.oldest, s.e.now(), s.e.lang))) + "\n")
	} else {
		b.WriteString(styleDim.Render(s.e.t("没有待上传的登记。", "Nothing waiting to send.")) + "\n")
	}
	used++
	if len(s.session) > 0 && height-used > 2 {
		b.WriteString("\n" + styleHeading.Render(s.e.t("本次登记", "Registered at this desk")) + "\n")
		for i, g := range s.session {
			if i >= height-used-2 {
				break
			}
			state := s.e.t("待上传", "waiting to send")
			if !g.DeliveredAt.IsZero() {
				state = s.e.t("已上传", "sent")
			}
			b.WriteString("  " + g.CreatedAt.In(lifeline.ChinaTime).Format("15:04:05") + "  " + cell(lifeline.Printable(s.names[g.ResidentID]), 12) + " " + cell(lifeline.Printable(g.Tube), 20) + " " + state + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// resultsView is the search's results under the query, or what to do.
func (s registerScreen) resultsView(width, rows int) string {
	q := lifeline.NormalizeInput(s.query.Value())
	switch {
	case q == "":
		return styleDim.Render(s.e.t("  找到后回车选定；不在名册上的人员（访客、外来务工、持护照者）按 ctrl+n。", "  Enter chooses; ctrl+n for someone not on the roster (visitor, migrant worker, passport).")) + "\n"
	case s.shown != q:
		return styleDim.Render(s.e.t("  正在查找…", "  Searching…")) + "\n"
	case len(s.results) == 0:
		return s.e.t("  没有找到；不在名册上的人员按 ctrl+n 登记。", "  Nothing found; ctrl+n registers someone not on the roster.") + "\n"
	}
	var b strings.Builder
	start := max(0, s.cursor-rows+1)
	for i := start; i < len(s.results) && i < start+rows; i++ {
		line := cursorMark(i == s.cursor) + whoLine(s.results[i].Resident, s.e.lang)
		if i == s.cursor {
			line = styleSelected.Render(cell(line, min(width, 78)))
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// whoLine is a person as the register screen shows them: name, masked
// document, address, or that they were registered on site.
func whoLine(r *lifeline.Resident, l lifeline.Lang) string {
	where := lifeline.Printable(r.Address.Short())
	if r.OnSite {
		where = l.Pick("现场登记，不在名册上", "registered on site, not on the roster")
	}
	return cell(lifeline.Printable(r.Name), 12) + " " + cell(r.Doc.Type.Label(l)+" "+r.Doc.Masked(), 28) + " " + where
}
