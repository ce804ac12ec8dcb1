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
// produce a code: the resident by ID number (typed, or scanned from the
// card), then the tube barcode scanned. Each registration is stored at once
// and shown as waiting to send (待上传) until it is delivered upstream.
type registerScreen struct {
	e       *env
	doc     textinput.Model
	tube    textinput.Model
	r       *lifeline.Resident
	busy    bool
	session []lifeline.Registration // made at this desk, newest first
	names   map[int64]string
	backlog int
	oldest  time.Time
	pending map[int64]bool
}

type regFoundMsg struct {
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

func (regFoundMsg) route() screenID   { return screenRegister }
func (regSavedMsg) route() screenID   { return screenRegister }
func (regBacklogMsg) route() screenID { return screenRegister }

func newRegisterScreen(e *env) registerScreen {
	d := textinput.New()
	d.Prompt = ""
	d.Placeholder = e.t("输入或扫描证件号", "type or scan the ID number")
	d.CharLimit = 32
	d.Width = 30
	t := textinput.New()
	t.Prompt = ""
	t.Placeholder = e.t("扫描试管条码", "scan the tube barcode")
	t.CharLimit = 40
	t.Width = 30
	return registerScreen{e: e, doc: d, tube: t, names: map[int64]string{}}
}

func (s registerScreen) start(r *lifeline.Resident) (registerScreen, tea.Cmd) {
	s.r = r
	s.doc.Reset()
	s.tube.Reset()
	var focus tea.Cmd
	if r != nil {
		s.doc.SetValue(r.Doc.Number)
		s.doc.Blur()
		focus = s.tube.Focus()
	} else {
		s.tube.Blur()
		focus = s.doc.Focus()
	}
	return s, tea.Batch(focus, s.loadBacklog())
}

func (s registerScreen) keys() []key.Binding {
	k := s.e.keys
	return []key.Binding{withHelp(k.Submit, s.e.t("下一步/保存", "next/save")), k.Next, k.Back}
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
	k := s.e.keys
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
	case regFoundMsg:
		s.busy = false
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, s.doc.Focus()
		}
		s.r = msg.r
		s.e.setStatus(s.e.t("已找到：", "Found: ") + msg.r.Name + s.e.t("，请扫描试管条码", "; scan the tube barcode"))
		s.doc.Blur()
		return s, s.tube.Focus()
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
		s.e.setStatus(fmt.Sprintf(s.e.t("已保存：%s 试管 %s，待上传", "Saved: %s tube %s, waiting to send"), s.names[msg.reg.ResidentID], msg.reg.Tube))
		s.r = nil
		s.doc.Reset()
		s.tube.Reset()
		s.tube.Blur()
		return s, tea.Batch(s.doc.Focus(), s.loadBacklog())
	case tea.KeyMsg:
		if s.busy {
			return s, nil
		}
		switch {
		case key.Matches(msg, k.Back):
			return s, s.e.goTo(navMsg{to: screenFind, resident: nil})
		case key.Matches(msg, k.Next):
			if s.doc.Focused() {
				s.doc.Blur()
				return s, s.tube.Focus()
			}
			s.tube.Blur()
			return s, s.doc.Focus()
		case key.Matches(msg, k.Submit):
			if s.doc.Focused() {
				n := lifeline.NormalizeDocNumber(s.doc.Value())
				if n == "" {
					s.e.setStatus(s.e.t("请输入或扫描证件号", "Type or scan the ID number"))
					return s, nil
				}
				s.busy = true
				return s, s.lookup(n)
			}
			tube := strings.TrimSpace(s.tube.Value())
			switch {
			case s.r == nil:
				s.e.setStatus(s.e.t("请先输入证件号并按回车", "Type the ID number and press Enter first"))
				s.tube.Blur()
				return s, s.doc.Focus()
			case tube == "":
				s.e.setStatus(s.e.t("请扫描试管条码", "Scan the tube barcode"))
				return s, nil
			}
			s.busy = true
			return s, s.save(s.r, tube)
		}
	}
	var cmd tea.Cmd
	if s.doc.Focused() {
		before := s.doc.Value()
		s.doc, cmd = s.doc.Update(msg)
		if s.doc.Value() != before {
			s.r = nil // a different number: look it up again
		}
	} else {
		s.tube, cmd = s.tube.Update(msg)
	}
	return s, cmd
}

// lookup finds the one resident holding a document number, within the
// staff member's community.
func (s registerScreen) lookup(number string) tea.Cmd {
	return findByDocument(s.e, number, func(r *lifeline.Resident, err error) tea.Msg { return regFoundMsg{r: r, err: err} })
}

// findByDocument finds the resident holding a full document number of any
// type, within the staff member's community (the store searches no other).
func findByDocument(e *env, number string, msg func(*lifeline.Resident, error) tea.Msg) tea.Cmd {
	ctx, store, f := e.ctx, e.store, lifeline.ResidentFilter{Query: number, Limit: 5}
	return func() tea.Msg {
		ms, err := store.FindResidents(ctx, f)
		if err != nil {
			return msg(nil, err)
		}
		for _, m := range ms {
			if m.Kind == lifeline.QueryDocument && m.Resident != nil && m.Resident.Doc.Number == number {
				return msg(m.Resident, nil)
			}
		}
		return msg(nil, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有持此证件号的居民："+lifeline.MaskDocNumber(number), "no resident holds the document "+lifeline.MaskDocNumber(number))))
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

func (s registerScreen) view(width, height int) string {
	var b strings.Builder
	field := func(label string, in textinput.Model) string {
		return cursorMark(in.Focused()) + styleLabel.Render(cell(label, 10)) + " " + in.View()
	}
	b.WriteString(field(s.e.t("证件号", "ID number"), s.doc) + "\n")
	who := ""
	if s.r != nil {
		who = "  " + lifeline.Printable(s.r.Name) + "  " + s.r.Doc.Masked() + "  " + lifeline.Printable(s.r.Address.Short())
	}
	b.WriteString(strings.Repeat(" ", 13) + styleOK.Render(who) + "\n")
	b.WriteString(field(s.e.t("试管条码", "Tube"), s.tube) + "\n\n")
	if s.backlog > 0 {
		b.WriteString(styleWarn.Render(fmt.Sprintf(s.e.t("待上传 %d 条（最早一条：%s）；已保存在本机，不会丢失。", "%d waiting to send (oldest: %s); stored here and never lost."), s.backlog, lifeline.Ago(s.oldest, s.e.now(), s.e.lang))) + "\n")
	} else {
		b.WriteString(styleDim.Render(s.e.t("没有待上传的登记。", "Nothing waiting to send.")) + "\n")
	}
	if len(s.session) > 0 {
		b.WriteString("\n" + styleHeading.Render(s.e.t("本次登记", "Registered at this desk")) + "\n")
		for i, g := range s.session {
			if i >= height-7 {
				break
			}
			state := s.e.t("待上传", "waiting to send")
			if !g.DeliveredAt.IsZero() {
				state = s.e.t("已上传", "sent")
			}
			b.WriteString("  " + g.CreatedAt.In(lifeline.ChinaTime).Format("15:04:05") + "  " + cell(s.names[g.ResidentID], 12) + " " + cell(g.Tube, 20) + " " + state + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
