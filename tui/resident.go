package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	lifeline "github.com/lifeline-health/lifeline"
)

// residentScreen shows one resident: status in large words and colour,
// the latest test and its age, household, relatives, paper codes and
// on-site registrations. ID number and phone stay masked until the worker
// presses the reveal key, and the reveal is written to the audit log first.
type residentScreen struct {
	e         *env
	id        int64
	loading   bool
	r         *lifeline.Resident
	household []*lifeline.Resident
	relatives []lifeline.Relative
	names     map[int64]string // relative resident id → name
	codes     []lifeline.IssuedCode
	regs      []lifeline.Registration
	revealed  bool
	cursor    int  // selected code
	confirm   bool // asking whether to revoke the selected code
}

type residentLoadedMsg struct {
	id        int64
	r         *lifeline.Resident
	household []*lifeline.Resident
	relatives []lifeline.Relative
	names     map[int64]string
	codes     []lifeline.IssuedCode
	regs      []lifeline.Registration
	err       error // the resident itself could not be loaded
	partial   error // some part could not be loaded; the rest is shown
}

type revealedMsg struct {
	id  int64
	r   *lifeline.Resident // as read with the reveal
	err error
}

type revokedMsg struct {
	serial []byte
	err    error
}

func (residentLoadedMsg) route() screenID { return screenResident }
func (revealedMsg) route() screenID       { return screenResident }
func (revokedMsg) route() screenID        { return screenResident }

func newResidentScreen(e *env, id int64) residentScreen {
	return residentScreen{e: e, id: id, loading: true}
}

func (s residentScreen) init() tea.Cmd { return s.load() }

// waiting reports whether the resident is still being read: a key pressed
// meanwhile (t, p, s, right after Enter on find) waits for them.
func (s residentScreen) waiting() bool { return s.loading && s.r == nil }

func (s residentScreen) keys() []key.Binding {
	k := s.e.keys
	if s.confirm {
		return []key.Binding{k.Yes, k.No}
	}
	// The revoke key comes right after print, so it shows at 80 columns;
	// ↑↓ (choosing the card) is in the full help.
	b := []key.Binding{k.Print}
	if len(s.codes) > 0 {
		b = append(b, k.Revoke)
	}
	b = append(b, k.Reveal, k.Sample, k.Link, k.Back, k.Landline)
	if len(s.codes) > 0 {
		b = append(b, k.Up, k.Down)
	}
	return b
}

// load reads the resident and everything shown about them in one command.
// Only the resident is required: a part that fails is reported in the
// status line and the rest is shown.
func (s residentScreen) load() tea.Cmd {
	ctx, store, id := s.e.ctx, s.e.store, s.id
	return func() tea.Msg {
		m := residentLoadedMsg{id: id, names: map[int64]string{}}
		// Audited ("view"), and only if the worker may see them: the
		// store decides both.
		r, err := store.ViewResident(ctx, id)
		if err != nil {
			m.err = err
			return m
		}
		m.r = r
		keep := func(err error) {
			if err != nil && m.partial == nil {
				m.partial = err
			}
		}
		if r.HouseholdID != 0 {
			m.household, err = store.HouseholdMembers(ctx, r.HouseholdID)
			keep(err)
		}
		m.relatives, err = store.Relatives(ctx, id)
		keep(err)
		for _, rel := range m.relatives {
			if rel.RelativeResidentID != 0 {
				if o, err := store.Resident(ctx, rel.RelativeResidentID); err == nil {
					m.names[o.ID] = o.Name
				}
			}
		}
		m.codes, err = store.IssuedCodes(ctx, id)
		keep(err)
		m.regs, err = store.ResidentRegistrations(ctx, id)
		keep(err)
		return m
	}
}

func (s residentScreen) update(msg tea.Msg) (residentScreen, tea.Cmd) {
	switch msg := msg.(type) {
	case residentLoadedMsg:
		if msg.id != s.id {
			return s, nil
		}
		s.loading = false
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, nil
		}
		s.r, s.household, s.relatives, s.names, s.codes, s.regs = msg.r, msg.household, msg.relatives, msg.names, msg.codes, msg.regs
		if s.cursor >= len(s.codes) {
			s.cursor = 0
		}
		if msg.partial != nil {
			s.e.setError(msg.partial)
		}
		return s, nil
	case revealedMsg:
		if msg.id != s.id {
			return s, nil
		}
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, nil
		}
		s.r, s.revealed = msg.r, true
		s.e.setStatus(s.e.t("已显示完整证件号和电话，此操作已记录", "Full ID number and phone shown; this was recorded"))
		return s, nil
	case revokedMsg:
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, nil
		}
		s.e.setStatus(s.e.t("已吊销纸质码 ", "Revoked paper code ") + shortSerial(msg.serial))
		// Show it at once; the reload confirms what the store holds.
		for i := range s.codes {
			if string(s.codes[i].Serial) == string(msg.serial) {
				s.codes[i].RevokedAt = s.e.now()
			}
		}
		return s, s.load()
	case tea.KeyMsg:
		return s.onKey(msg)
	}
	return s, nil
}

// onKey answers a key on the resident screen.
func (s residentScreen) onKey(msg tea.KeyMsg) (residentScreen, tea.Cmd) {
	k := s.e.keys
	if s.r == nil {
		if key.Matches(msg, k.Back) {
			return s, s.e.goBack(false)
		}
		return s, nil
	}
	if s.confirm {
		switch {
		case key.Matches(msg, k.Yes):
			s.confirm = false
			return s, s.revoke(s.codes[s.cursor].Serial)
		case key.Matches(msg, k.No):
			s.confirm = false
			s.e.setStatus(s.e.t("未吊销", "Not revoked"))
		}
		return s, nil
	}
	switch {
	case key.Matches(msg, k.Back):
		return s, s.e.goBack(false)
	case key.Matches(msg, k.Reveal):
		if s.revealed {
			s.revealed = false
			return s, nil
		}
		return s, s.reveal()
	case key.Matches(msg, k.Print):
		return s, s.e.goTo(navMsg{to: screenPrint, resident: s.r})
	case key.Matches(msg, k.Sample):
		return s, s.e.goTo(navMsg{to: screenRegister, resident: s.r})
	case key.Matches(msg, k.Link):
		return s, s.e.goTo(navMsg{to: screenRelatives, resident: s.r})
	case key.Matches(msg, k.Landline):
		return s, s.e.goTo(navMsg{to: screenLandline, resident: s.r})
	case key.Matches(msg, k.Up):
		if s.cursor > 0 {
			s.cursor--
		}
	case key.Matches(msg, k.Down):
		if s.cursor < len(s.codes)-1 {
			s.cursor++
		}
	case key.Matches(msg, k.Revoke):
		if len(s.codes) == 0 {
			s.e.setStatus(s.e.t("此居民没有纸质码", "This resident has no paper code"))
			return s, nil
		}
		if s.codes[s.cursor].Revoked() {
			s.e.setStatus(s.e.t("这张纸质码已经吊销", "This paper code is already revoked"))
			return s, nil
		}
		s.confirm = true
		s.e.setStatus(s.e.t("挂失吊销纸质码 ", "Revoke paper code ") + shortSerial(s.codes[s.cursor].Serial) + s.e.t("？按 y 确认，n 取消", "? Press y to confirm, n to cancel"))
	}
	return s, nil
}

// reveal shows the numbers of the resident as the store returns them with
// the audit entry it wrote: if the log cannot be written, nothing is
// revealed.
func (s residentScreen) reveal() tea.Cmd {
	ctx, store, id := s.e.ctx, s.e.store, s.id
	return func() tea.Msg {
		r, err := store.RevealResident(ctx, id)
		return revealedMsg{id: id, r: r, err: err}
	}
}

// revoke revokes a card; the store writes the audit entry with it.
func (s residentScreen) revoke(serial []byte) tea.Cmd {
	ctx, store, e := s.e.ctx, s.e.store, s.e
	return func() tea.Msg {
		err := store.RevokeSerial(ctx, serial, "lost card", e.actor())
		return revokedMsg{serial: serial, err: err}
	}
}

// shortSerial is a serial as printed on the card and read aloud.
func shortSerial(b []byte) string { return lifeline.FormatSerial(b) }

func (s residentScreen) view(width, height int) string {
	if s.r == nil {
		if s.loading {
			return s.e.t("正在读取…", "Loading…")
		}
		return s.e.t("无法显示此居民。按 esc 返回查找。", "This resident cannot be shown. Press esc to go back to find.")
	}
	top := strings.Join([]string{s.whoView(), s.statusView(), s.householdLine(), s.relativesLine(), s.registrationsLine()}, "\n") + "\n"
	return strings.TrimRight(top+s.codesView(height-strings.Count(top, "\n")), "\n")
}

// whoView is who the resident is and how to reach them: two lines, the
// document and phones masked until revealed.
func (s residentScreen) whoView() string {
	r, l := s.r, s.e.lang
	who := styleHeading.Render(lifeline.Printable(r.Name))
	if r.Sex != lifeline.SexNone {
		who += "  " + map[lifeline.Sex]string{lifeline.Male: s.e.t("男", "male"), lifeline.Female: s.e.t("女", "female")}[r.Sex]
	}
	if !r.Birth.IsZero() {
		who += fmt.Sprintf(s.e.t("  %d 岁", "  age %d"), age(r.Birth, s.e.now()))
	}
	doc := r.Doc.Masked()
	phones := make([]string, len(r.Phones))
	for i, p := range r.Phones {
		phones[i] = lifeline.MaskPhone(p)
		if s.revealed {
			phones[i] = p
		}
	}
	if s.revealed {
		doc = r.Doc.Number
	}
	who += "  " + r.Doc.Type.Label(l) + " " + doc
	if r.NeedsManual {
		who += "  " + styleWarn.Render(s.e.t("[需人工处理]", "[needs manual handling]"))
	}
	where := lifeline.Printable(r.Address.Community + " " + r.Address.Short())
	if r.OnSite {
		where = styleWarn.Render(s.e.t("现场登记，不在名册上", "registered on site, not on the roster")) + " " + lifeline.Printable(r.Address.Community)
	}
	phone := s.e.t("无", "none")
	if len(phones) > 0 {
		phone = strings.Join(phones, ", ")
	}
	return who + "\n" + styleLabel.Render(s.e.t("电话 ", "Phone ")) + phone + "   " +
		styleLabel.Render(s.e.t("住址 ", "Address ")) + where
}

// statusView is the status, large, beside the latest test.
func (s residentScreen) statusView() string {
	r, l, now := s.r, s.e.lang, s.e.now()
	big := banner(r.Status.Color.Label(l), colorStyle(r.Status.Color), 20)
	var test []string
	if t := r.Status.Latest; t != nil {
		result := t.Result.Label(l)
		if t.Result == lifeline.PooledPositive {
			result = styleWarn.Render(result) // to be found and retested alone
		}
		test = append(test, styleLabel.Render(s.e.t("最新检测：", "Latest test: "))+result+" · "+lifeline.Ago(t.SampledAt, now, l))
		test = append(test, styleDim.Render(t.SampledAt.In(lifeline.ChinaTime).Format("2006-01-02 15:04")+" "+s.e.t("采样", "sampled")+" "+lifeline.Printable(t.Site)))
	} else {
		test = append(test, styleLabel.Render(s.e.t("最新检测：", "Latest test: "))+s.e.t("无记录", "none on record"))
	}
	if !r.Status.UpdatedAt.IsZero() {
		test = append(test, styleDim.Render(s.e.t("状态更新于 ", "Status updated ")+lifeline.Ago(r.Status.UpdatedAt, now, l)))
	}
	if r.Status.Reason != "" {
		test = append(test, s.e.t("原因：", "Reason: ")+lifeline.Printable(r.Status.Reason))
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, big, "  ", strings.Join(test, "\n"))
}

// listLine is a labelled line of items, or none when there are none.
func (s residentScreen) listLine(label lifeline.Text, items []string, none lifeline.Text) string {
	line := styleLabel.Render(label.In(s.e.lang))
	if len(items) == 0 {
		return line + none.In(s.e.lang)
	}
	return line + strings.Join(items, s.e.t("；", "; "))
}

// householdLine is everyone else in the household with their status.
func (s residentScreen) householdLine() string {
	var hh []string
	for _, o := range s.household {
		if o.ID != s.r.ID {
			hh = append(hh, lifeline.Printable(o.Name)+" "+o.Status.Color.Label(s.e.lang))
		}
	}
	return s.listLine(lifeline.T("同户：", "Household: "), hh, lifeline.T("无其他成员", "no one else"))
}

// relativesLine is the relatives linked to the resident and their state.
func (s residentScreen) relativesLine() string {
	var rels []string
	for _, rel := range s.relatives {
		who := lifeline.MaskPhone(rel.Phone)
		if rel.RelativeResidentID != 0 {
			who = lifeline.Printable(s.names[rel.RelativeResidentID])
		}
		rels = append(rels, who+" "+lifeline.Printable(lifeline.Relation(rel.Relation).Label(s.e.lang))+" "+rel.State.Label(s.e.lang))
	}
	return s.listLine(lifeline.T("亲属：", "Relatives: "), rels, lifeline.T("无", "none"))
}

// registrationsLine counts the on-site samples and those not yet sent.
func (s residentScreen) registrationsLine() string {
	line := styleLabel.Render(s.e.t("现场登记：", "On-site samples: "))
	if len(s.regs) == 0 {
		return line + s.e.t("无", "none")
	}
	waiting := 0
	for _, g := range s.regs {
		if g.DeliveredAt.IsZero() {
			waiting++
		}
	}
	return line + fmt.Sprintf(s.e.t("%d 条，%d 条待上传", "%d, %d waiting to send"), len(s.regs), waiting)
}

// codesView is the paper codes issued, one a line, scrolled to keep the
// cursor within the height left.
func (s residentScreen) codesView(height int) string {
	head := styleLabel.Render(s.e.t("纸质码：", "Paper codes: "))
	if len(s.codes) == 0 {
		return head + s.e.t("未发放", "none issued") + "\n"
	}
	var b strings.Builder
	b.WriteString(head + fmt.Sprintf(s.e.t("%d 张", "%d"), len(s.codes)) + styleDim.Render(s.e.t("（卡上印前两组编号）", " (cards show the first two groups)")) + "\n")
	rows := max(height-2, 1)
	start := 0
	if s.cursor >= rows {
		start = s.cursor - rows + 1
	}
	now := s.e.now()
	for i := start; i < len(s.codes) && i < start+rows; i++ {
		c := s.codes[i]
		state := s.e.t("有效", "valid")
		switch {
		case c.Revoked():
			state = s.e.t("已吊销", "revoked")
		case !c.ExpiresAt.IsZero() && now.After(c.ExpiresAt):
			state = s.e.t("已过期", "expired")
		}
		line := cursorMark(i == s.cursor) + cell(shortSerial(c.Serial), 33) + cell(s.e.t("签发 ", "issued ")+c.IssuedAt.In(lifeline.ChinaTime).Format("01-02"), 13) +
			cell(s.e.t("至 ", "until ")+c.ExpiresAt.In(lifeline.ChinaTime).Format("2006-01-02"), 18) + state
		if i == s.cursor {
			line = styleSelected.Render(line)
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// age is the age in whole years at now.
func age(birth, now time.Time) int {
	y := now.Year() - birth.Year()
	if now.YearDay() < birth.YearDay() {
		y--
	}
	return y
}
