package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
)

// tubeScreen fills pooled tubes of a round. The worker scans a tube's
// barcode (a USB scanner types it and presses Enter), then adds people
// one keystroke each: scan their paper code or ID card, or type a name, an
// ID or phone tail or an address and press Enter on the one found. Each
// swab is stored the moment it is added; the screen shows n/10, closes the
// tube when it is full or on F8, and is ready for the next tube.
type tubeScreen struct {
	e       *env
	roundID int64
	round   *lifeline.Round
	tube    *lifeline.Tube  // nil: waiting for a tube's barcode
	open    []lifeline.Tube // the round's open tubes, shown between tubes
	last    *lifeline.Tube  // the tube closed last
	input   textinput.Model // the barcode, then each person
	results []lifeline.ResidentMatch
	cursor  int
	// seq counts edits of the input; running is the seq of the search in
	// flight (0: none), query the text of the results shown; addWhenReady
	// adds the one person a search in flight finds.
	seq, running int
	query        string
	addWhenReady bool
	// busy: a tube is opened, added to or closed; loading: the round is
	// read, which the first tube needs.
	busy, loading bool
}

type tubeRoundMsg struct {
	round *lifeline.Round
	open  []lifeline.Tube
	err   error
}

// tubeMsg is a tube as the store left it after an action; nil tube and
// no error is an empty tube thrown away.
type tubeMsg struct {
	tube  *lifeline.Tube
	added string // the name of the person just added, if any
	// keep leaves what was typed and the rest of its results on screen:
	// a household found by its address goes in Enter by Enter.
	keep bool
	err  error
}

type tubeTickMsg struct{ seq int }

type tubeSearchMsg struct {
	seq     int
	query   string
	matches []lifeline.ResidentMatch
	err     error
}

func (tubeRoundMsg) route() screenID  { return screenTube }
func (tubeMsg) route() screenID       { return screenTube }
func (tubeTickMsg) route() screenID   { return screenTube }
func (tubeSearchMsg) route() screenID { return screenTube }

func newTubeScreen(e *env) tubeScreen {
	in := newInput("> ", "", 1024, 50)
	return tubeScreen{e: e, input: in}
}

func (s tubeScreen) start(roundID int64) (tubeScreen, tea.Cmd) {
	if roundID != s.roundID {
		s = newTubeScreen(s.e)
		s.roundID = roundID
	}
	s.input.Reset()
	s.results, s.query = nil, ""
	s.loading = true
	ctx, store := s.e.ctx, s.e.store
	load := func() tea.Msg {
		r, err := store.Round(ctx, roundID)
		if err != nil {
			return tubeRoundMsg{err: err}
		}
		open, err := store.OpenTubes(ctx, roundID)
		return tubeRoundMsg{round: r, open: open, err: err}
	}
	return s, tea.Batch(s.input.Focus(), load)
}

// waiting reports whether the screen waits on the store: keys typed
// meanwhile, a tube's barcode and Enter among them, wait for it.
func (s tubeScreen) waiting() bool { return s.busy || s.loading }

func (s tubeScreen) keys() []key.Binding {
	k := s.e.keys
	if s.tube == nil {
		return []key.Binding{withHelp(k.Submit, s.e.t("开始这支试管", "start this tube")), k.Back}
	}
	return []key.Binding{withHelp(k.Submit, s.e.t("加入试管", "add to the tube")), k.Up, k.Down, k.CloseTube, k.Unadd, k.Back}
}

func (s tubeScreen) update(msg tea.Msg) (tubeScreen, tea.Cmd) {
	switch msg := msg.(type) {
	case tubeRoundMsg:
		s.loading = false
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, nil
		}
		s.round, s.open = msg.round, msg.open
		return s, nil
	case tubeMsg:
		return s.settled(msg)
	case tubeTickMsg:
		if msg.seq != s.seq || s.tube == nil {
			return s, nil
		}
		q := strings.TrimSpace(s.input.Value())
		if q == "" || isScan(q) {
			return s, nil
		}
		s.running = msg.seq
		return s, s.search(msg.seq, q)
	case tubeSearchMsg:
		return s.found(msg)
	case tea.KeyMsg:
		if next, cmd, done := s.key(msg); done {
			return next, cmd
		}
	}
	before := s.input.Value()
	var cmd tea.Cmd
	s.input, cmd = s.input.Update(msg)
	if s.tube != nil && s.input.Value() != before {
		s.seq++
		s.addWhenReady = false
		seq := s.seq
		return s, tea.Batch(cmd, tea.Tick(s.e.cfg.Debounce, func(time.Time) tea.Msg { return tubeTickMsg{seq: seq} }))
	}
	return s, cmd
}

// key handles the screen's own keys; done is false for a key the input
// takes.
func (s tubeScreen) key(msg tea.KeyMsg) (tubeScreen, tea.Cmd, bool) {
	k := s.e.keys
	v := strings.TrimSpace(s.input.Value())
	switch {
	case key.Matches(msg, k.Back):
		if v != "" {
			s.input.Reset()
			s.results, s.query = nil, ""
			return s, nil, true
		}
		if s.tube != nil {
			s.e.setStatus(fmt.Sprintf(s.e.t("试管 %s 未封管，已保存（%d 人）；再扫它的条码可继续加人", "Tube %s stays open and stored (%d); scan it again to add more"), lifeline.Printable(s.tube.Code), len(s.tube.Members)))
		}
		return s, s.e.goTo(navMsg{to: screenRounds, round: s.roundID, keepStatus: true}), true
	case s.tube == nil && key.Matches(msg, k.Submit):
		if v == "" || s.round == nil {
			return s, nil, true
		}
		s.busy = true
		s.input.Reset()
		ctx, store, t := s.e.ctx, s.e.store, &lifeline.Tube{RoundID: s.roundID, Code: v, Site: s.e.cfg.Site}
		return s, func() tea.Msg {
			err := store.OpenTube(ctx, t)
			return tubeMsg{tube: t, err: err}
		}, true
	case s.tube == nil:
		return s, nil, false
	case key.Matches(msg, k.Submit):
		next, cmd := s.enter(v)
		return next, cmd, true
	case key.Matches(msg, k.CloseTube):
		next, cmd := s.act(func(ctx context.Context, st lifeline.Store, id int64) (*lifeline.Tube, error) {
			return st.CloseTube(ctx, id)
		})
		return next, cmd, true
	case key.Matches(msg, k.Unadd):
		if n := len(s.tube.Members); n > 0 {
			who := s.tube.Members[n-1].ResidentID
			next, cmd := s.act(func(ctx context.Context, st lifeline.Store, id int64) (*lifeline.Tube, error) {
				return st.RemoveFromTube(ctx, id, who)
			})
			return next, cmd, true
		}
		return s, nil, true
	case key.Matches(msg, k.Up):
		s.cursor = max(s.cursor-1, 0)
		return s, nil, true
	case key.Matches(msg, k.Down):
		s.cursor = min(s.cursor+1, max(len(s.results)-1, 0))
		return s, nil, true
	}
	return s, nil, false
}

// act runs a change of the open tube in a command.
func (s tubeScreen) act(change func(context.Context, lifeline.Store, int64) (*lifeline.Tube, error)) (tubeScreen, tea.Cmd) {
	s.busy = true
	ctx, store, id := s.e.ctx, s.e.store, s.tube.ID
	return s, func() tea.Msg {
		t, err := change(ctx, store, id)
		return tubeMsg{tube: t, err: err}
	}
}

// isScan reports whether the input is what a scanner types: a paper code
// or a whole document number, not something to search as it is typed.
func isScan(v string) bool {
	if strings.HasPrefix(v, "LL1:") {
		return true
	}
	n := lifeline.NormalizeDocNumber(v)
	return len(n) >= 7 && !strings.ContainsFunc(n, func(r rune) bool { return (r < '0' || r > '9') && (r < 'A' || r > 'Z') })
}

// enter adds a person: the one a scanned paper code or document names,
// the one selected in the results of what is typed, or, with results of
// an older text on screen, the one the search for it finds.
func (s tubeScreen) enter(v string) (tubeScreen, tea.Cmd) {
	switch {
	case v == "" && len(s.results) > 0, v != "" && v == s.query && s.running == 0 && len(s.results) > 0:
		r := s.results[s.cursor].Resident
		next, cmd := s.addResident(func(context.Context) (*lifeline.Resident, error) { return r, nil })
		return next, keep(cmd)
	case v == "":
		return s, nil
	case strings.HasPrefix(v, "LL1:"):
		return s.addResident(s.byPaperCode(v))
	case isScan(v):
		number := lifeline.NormalizeDocNumber(v)
		ctx, store := s.e.ctx, s.e.store
		return s.addResident(func(context.Context) (*lifeline.Resident, error) {
			return residentByDocument(ctx, store, number)
		})
	}
	s.addWhenReady = true
	if s.running == s.seq {
		return s, nil // its search is in flight already
	}
	s.seq++
	s.running = s.seq
	return s, s.search(s.seq, v)
}

// keep marks the outcome of cmd to leave the results on screen.
func keep(cmd tea.Cmd) tea.Cmd {
	return func() tea.Msg {
		m := cmd().(tubeMsg)
		m.keep = true
		return m
	}
}

// byPaperCode finds whom a scanned paper code was issued to: it must pass
// the desk's checker, so a forged or revoked card names no one.
func (s tubeScreen) byPaperCode(payload string) func(context.Context) (*lifeline.Resident, error) {
	check, store := s.e.cfg.Check, s.e.store
	return func(ctx context.Context) (*lifeline.Resident, error) {
		if check == nil {
			return nil, lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T("此终端未配置验码，请扫证件或输入姓名", "this desk cannot check paper codes; scan the ID card or type the name"))
		}
		res := check(ctx, payload)
		if !res.Valid || len(res.Serial) == 0 {
			return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("纸质码无效（"+res.Reason+"），请扫证件或输入姓名", "the paper code is not valid ("+res.Reason+"); scan the ID card or type the name"))
		}
		ic, err := store.IssuedCode(ctx, res.Serial)
		if err != nil {
			return nil, err
		}
		return store.ViewResident(ctx, ic.ResidentID)
	}
}

// residentByDocument finds the one resident holding a whole document
// number, of any type, whom the worker may see.
func residentByDocument(ctx context.Context, store lifeline.Store, number string) (*lifeline.Resident, error) {
	ms, err := store.FindResidents(ctx, lifeline.ResidentFilter{Query: number, Limit: 5})
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.Kind == lifeline.QueryDocument && m.Resident != nil && m.Resident.Doc.Number == number {
			return m.Resident, nil
		}
	}
	return nil, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有持此证件号的居民："+lifeline.MaskDocNumber(number), "no resident holds the document "+lifeline.MaskDocNumber(number)))
}

// addResident finds a person and adds their swab to the tube, in one
// command.
func (s tubeScreen) addResident(find func(context.Context) (*lifeline.Resident, error)) (tubeScreen, tea.Cmd) {
	s.busy = true
	ctx, store, id := s.e.ctx, s.e.store, s.tube.ID
	return s, func() tea.Msg {
		r, err := find(ctx)
		if err != nil {
			return tubeMsg{err: err}
		}
		t, err := store.AddToTube(ctx, id, r.ID)
		return tubeMsg{tube: t, added: r.Name, err: err}
	}
}

func (s tubeScreen) search(seq int, q string) tea.Cmd {
	ctx, store := s.e.ctx, s.e.store
	return func() tea.Msg {
		ms, err := store.FindResidents(ctx, lifeline.ResidentFilter{Query: q, Limit: 20})
		return tubeSearchMsg{seq: seq, query: q, matches: ms, err: err}
	}
}

// found shows a search's results; an Enter waiting for them adds the one
// person found.
func (s tubeScreen) found(msg tubeSearchMsg) (tubeScreen, tea.Cmd) {
	if msg.seq != s.seq {
		return s, nil
	}
	s.running = 0
	if msg.err != nil {
		s.addWhenReady = false
		s.e.setError(msg.err)
		return s, nil
	}
	s.results, s.query, s.cursor = msg.matches, msg.query, 0
	if !s.addWhenReady {
		return s, nil
	}
	s.addWhenReady = false
	switch len(s.results) {
	case 0:
		s.e.setStatus(s.e.t("没有找到“", "Nothing found for \"") + lifeline.Printable(msg.query) + s.e.t("”", "\""))
		return s, nil
	case 1:
		r := s.results[0].Resident
		return s.addResident(func(context.Context) (*lifeline.Resident, error) { return r, nil })
	}
	s.e.setStatus(fmt.Sprintf(s.e.t("找到 %d 人，请用 ↑↓ 选择后按回车", "%d found: choose with ↑↓ and press Enter"), len(s.results)))
	return s, nil
}

// settled shows the tube as an action left it.
func (s tubeScreen) settled(msg tubeMsg) (tubeScreen, tea.Cmd) {
	s.busy = false
	if msg.err != nil {
		s.e.setError(msg.err)
		if isScan(strings.TrimSpace(s.input.Value())) {
			s.input.Reset() // the next scan starts afresh
		}
		return s, nil
	}
	t := msg.tube
	if msg.keep && t != nil && t.Open() {
		// The others found stay, the one added gone from among them.
		in := map[int64]bool{}
		for _, m := range t.Members {
			in[m.ResidentID] = true
		}
		rest := s.results[:0:0]
		for _, m := range s.results {
			if !in[m.Resident.ID] {
				rest = append(rest, m)
			}
		}
		s.results, s.cursor = rest, min(s.cursor, max(len(rest)-1, 0))
	}
	if len(s.results) == 0 || !msg.keep || t == nil || !t.Open() {
		s.input.Reset()
		s.results, s.query, s.cursor = nil, "", 0
	}
	switch {
	case t == nil:
		s.e.setStatus(s.e.t("空试管已作废，条码可重新使用", "The empty tube was thrown away; its barcode can be used again"))
		s.tube = nil
	case !t.Open():
		s.e.setStatus(fmt.Sprintf(s.e.t("试管 %s 已封管（%d/%d），待上传。请扫描下一支试管", "Tube %s closed (%d/%d), waiting to send. Scan the next tube"), lifeline.Printable(t.Code), len(t.Members), t.Size))
		s.tube, s.last = nil, t
	case msg.added != "":
		s.e.setStatus(fmt.Sprintf(s.e.t("已加入：%s（%d/%d）", "Added: %s (%d/%d)"), lifeline.Printable(msg.added), len(t.Members), t.Size))
		s.tube = t
	default:
		s.e.setStatus(fmt.Sprintf(s.e.t("试管 %s：%d/%d，请扫描纸质码或证件，或输入姓名", "Tube %s: %d/%d; scan a paper code or ID card, or type a name"), lifeline.Printable(t.Code), len(t.Members), t.Size))
		s.tube = t
	}
	if s.tube == nil {
		return s, s.refreshOpen()
	}
	return s, nil
}

// refreshOpen reads the round's open tubes again.
func (s tubeScreen) refreshOpen() tea.Cmd {
	ctx, store, id := s.e.ctx, s.e.store, s.roundID
	return func() tea.Msg {
		r, err := store.Round(ctx, id)
		if err != nil {
			return tubeRoundMsg{err: err}
		}
		open, err := store.OpenTubes(ctx, id)
		return tubeRoundMsg{round: r, open: open, err: err}
	}
}

func (s tubeScreen) view(width, height int) string {
	var b strings.Builder
	if s.round != nil {
		b.WriteString(styleHeading.Render(fmt.Sprintf(s.e.t("第 %d 轮  %s  %s", "Round %d  %s  %s"), s.round.ID, lifeline.Printable(s.round.Where(s.e.lang)), lifeline.PoolLabel(s.round.Pool, s.e.lang))) + "\n")
	}
	if s.tube == nil {
		b.WriteString(styleLabel.Render(s.e.t("扫描试管条码：", "Scan a tube: ")) + s.input.View() + "\n\n")
		if s.last != nil {
			b.WriteString(fmt.Sprintf(s.e.t("上一支：%s  %d/%d  已封管\n", "Last: %s  %d/%d  closed\n"), lifeline.Printable(s.last.Code), len(s.last.Members), s.last.Size))
		}
		if len(s.open) > 0 {
			b.WriteString(styleWarn.Render(s.e.t("未封管的试管（扫其条码可继续加人）：", "Open tubes (scan one to add more):")) + "\n")
			for i, t := range s.open {
				if i >= height-6 {
					break
				}
				b.WriteString(fmt.Sprintf("  %s  %d/%d  %s\n", cell(lifeline.Printable(t.Code), 20), len(t.Members), t.Size, t.OpenedAt.In(lifeline.ChinaTime).Format("15:04")))
			}
		}
		return strings.TrimRight(b.String(), "\n")
	}
	t := s.tube
	fill := strings.Repeat("■", len(t.Members)) + strings.Repeat("□", max(t.Size-len(t.Members), 0))
	b.WriteString(styleLabel.Render(s.e.t("试管 ", "Tube ")+lifeline.Printable(t.Code)) + fmt.Sprintf("  %d/%d  ", len(t.Members), t.Size) + fill + "\n")
	b.WriteString(styleLabel.Render(s.e.t("加人：", "Add: ")) + s.input.View() + "\n")
	rows := max((height-4)/2, 1)
	if len(s.results) > 0 {
		for i, m := range s.results {
			if i >= rows {
				break
			}
			r := m.Resident
			line := cursorMark(i == s.cursor) + cell(lifeline.Printable(r.Name), 12) + " " + cell(r.Doc.Masked(), 20) + " " + cell(lifeline.Printable(r.Address.Short()), 12) + " " + m.Kind.Label(s.e.lang)
			if i == s.cursor {
				line = styleSelected.Render(line)
			}
			b.WriteString(line + "\n")
		}
	} else {
		b.WriteString(styleDim.Render(s.e.t("扫描纸质码或证件，或输入姓名、证件尾号、门牌后回车", "Scan a paper code or ID card, or type a name, ID tail or address and press Enter")) + "\n")
	}
	b.WriteString(styleHeading.Render(s.e.t("管内", "In the tube")) + "\n")
	from := max(len(t.Members)-(height-4-min(len(s.results), rows)-2), 0)
	for i := from; i < len(t.Members); i++ {
		m := t.Members[i]
		b.WriteString(fmt.Sprintf("  %2d  %s %s\n", i+1, cell(lifeline.Printable(m.Name), 12), m.SampledAt.In(lifeline.ChinaTime).Format("15:04:05")))
	}
	return strings.TrimRight(b.String(), "\n")
}
