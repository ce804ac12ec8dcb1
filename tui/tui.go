// Package tui is the staff screen: a terminal UI for community workers,
// built with bubbletea. One file per screen (login, find, resident, print,
// queue, register, relatives, check, and for testing rounds rounds,
// round_new, tube, missing); one key map (keys.go) that feeds both
// key matching and the help line; all styles in styles.go. Every store call
// runs inside a tea.Cmd, and a failed call shows one sentence in the status
// line instead of taking the screen down.
package tui

import (
	"context"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/cups"
)

// Config is what the staff screen runs on.
type Config struct {
	Store lifeline.Store
	Lang  lifeline.Lang
	// Now is the clock; tests fix it. Nil means time.Now.
	Now func() time.Time
	// Print makes paper codes; nil means printing is not available here.
	Print Printer
	// Printer is where this desk's printed files go, the CUPS printer
	// beside it (lifeline tui --printer); nil means PDF files only. A
	// worker may choose another for their account (P on the print
	// screen), kept in PrintSettings.
	Printer *cups.Printer
	// PrintSettings is the file of the desk's print settings
	// (cups.SettingsFile): each account's printer and each printer's
	// offset; "" keeps none.
	PrintSettings string
	// PrintsTo says where Print puts what it prints, on the print screen:
	// for an SSH session, on the server, not on the worker's laptop.
	PrintsTo string
	// Check verifies a scanned paper code; nil means checking is not
	// available here.
	Check Checker
	// Site names this desk on on-site registrations.
	Site string
	// Notice is shown under the title on every screen, e.g. that the demo
	// SMS gateway runs without signature checks.
	Notice string
	// Debounce is how long the find screen waits after a keystroke before
	// searching; zero means 120 ms.
	Debounce time.Duration
	// Place says where this screen runs, in the audit log and for the
	// locks of wrong passwords: "" means "console " and the Site.
	Place string
	// Context is what every store call and print job of the screen runs
	// under (an SSH session's ends with its connection); nil means
	// context.Background().
	Context context.Context
	// Staff, when set, is already logged in (an SSH key or password): the
	// login screen is skipped, and logging out ends the program.
	Staff *lifeline.Staff
	// IdleTimeout logs the worker out after this long without a key (an
	// SSH session ends); zero never does.
	IdleTimeout time.Duration
}

// env is what every screen shares: configuration, language, keys, the
// logged-in staff member and the status line.
type env struct {
	cfg   Config
	store lifeline.Store
	lang  lifeline.Lang
	keys  keyMap
	staff *lifeline.Staff
	// ctx carries the staff member as the actor, for the audit log.
	ctx context.Context

	status    string
	statusErr bool
	pending   *navMsg // set by goTo
	width     int
	height    int

	// lastKey is when the worker last pressed a key (IdleTimeout).
	lastKey time.Time
	// ticks numbers the session checks of each login, so that a check
	// of an earlier login is dropped (see session.go).
	ticks int
	// ended says why the program ended itself (Ended).
	ended string
}

func (e *env) t(zh, en string) string { return e.lang.Pick(zh, en) }

func (e *env) now() time.Time {
	if e.cfg.Now != nil {
		return e.cfg.Now()
	}
	return time.Now()
}

// setStatus shows a sentence in the status line.
func (e *env) setStatus(s string) { e.status, e.statusErr = s, false }

// setProblem shows a sentence in the status line as a problem to see to.
func (e *env) setProblem(s string) { e.status, e.statusErr = s, true }

// setError shows err as one sentence in the status line; nil clears it.
func (e *env) setError(err error) {
	if err == nil {
		e.status, e.statusErr = "", false
		return
	}
	e.status, e.statusErr = lifeline.ErrorMessage(err, e.lang), true
}

// actor is the staff member's name in the audit log and on records.
func (e *env) actor() string {
	if e.staff == nil {
		return ""
	}
	return "staff:" + e.staff.User
}

// printSettings are the desk's print settings; unreadable ones are none
// (the print screen says so when it writes them).
func (e *env) printSettings() cups.Settings {
	if e.cfg.PrintSettings == "" {
		return cups.Settings{}
	}
	s, _ := cups.LoadSettings(e.cfg.PrintSettings)
	return s
}

// printerFor is the printer the logged-in worker's prints go to: the one
// their account chose, else the desk's (Config.Printer, then the settings'
// default); nil for PDF files only.
func (e *env) printerFor() *cups.Printer {
	s := e.printSettings()
	name, chosen := "", false
	if e.staff != nil {
		name, chosen = s.Accounts[e.staff.User]
	}
	switch {
	case chosen && name == "":
		return nil
	case chosen:
		return &cups.Printer{Name: name}
	case e.cfg.Printer != nil:
		return e.cfg.Printer
	case s.Default != "":
		return &cups.Printer{Name: s.Default}
	}
	return nil
}

// keepPrinter keeps name ("" for PDF files only) as the logged-in
// worker's printer in the desk's settings.
func (e *env) keepPrinter(name string) error {
	if e.cfg.PrintSettings == "" || e.staff == nil {
		return nil
	}
	s, err := cups.LoadSettings(e.cfg.PrintSettings)
	if err != nil {
		return err
	}
	return s.WithAccount(e.staff.User, name).Save(e.cfg.PrintSettings)
}

// community is the community the staff member may see, carried by their
// actor for the store, which decides what they read; "" for admins.
func (e *env) community() string {
	if e.staff == nil || e.staff.Role == lifeline.RoleAdmin {
		return ""
	}
	return e.staff.Community
}

// navMsg moves to another screen.
type navMsg struct {
	to       screenID
	resident *lifeline.Resident // for screens that act on one resident
	id       int64              // resident id to open
	// keepStatus keeps the status line's sentence across the move (the
	// outcome of what the last screen did).
	keepStatus bool
	// back returns to the screen the worker came from (Esc) instead of
	// going to a new one; to is then ignored.
	back bool
	// round and building are the testing round, and a building of it,
	// for the screens of rounds.
	round    int64
	building string
}

// goTo asks for another screen. The root model switches at once, after
// the screen's update returns, so keys typed right after (a scanner's burst)
// reach the new screen and not the old one.
func (e *env) goTo(n navMsg) tea.Cmd {
	e.pending = &n
	return nil
}

// goBack returns to the screen the worker came from, as Esc does on every
// screen; keepStatus keeps the outcome of what this screen did in view.
func (e *env) goBack(keepStatus bool) tea.Cmd {
	return e.goTo(navMsg{back: true, keepStatus: keepStatus})
}

// maxHistory bounds how many screens Esc walks back through.
const maxHistory = 32

// routed is a message that belongs to one screen whichever is showing, so
// a batch keeps reporting progress after the worker looks elsewhere.
type routed interface{ route() screenID }

// Model is the whole staff screen.
type Model struct {
	e        *env
	help     help.Model
	showHelp bool
	current  screenID
	// history holds how to show again each screen the worker came
	// through, most recent last: Esc goes back one.
	history []navMsg
	// typedAhead holds, in order, the keys pressed while the screen was
	// busy with the store (loading, saving): a scanner's burst or a worker
	// typing on does not wait for the screen, and a slow store must not
	// lose what they typed. They reach the screen once it is ready.
	typedAhead []tea.KeyMsg

	login     loginScreen
	find      findScreen
	resident  residentScreen
	print     printScreen
	queue     queueScreen
	register  registerScreen
	relatives relativesScreen
	review    reviewScreen
	check     checkScreen
	landline  landlineScreen
	rounds    roundsScreen
	roundNew  roundNewScreen
	tube      tubeScreen
	missing   missingScreen
}

// New returns the staff screen on a store, at the login.
func New(cfg Config) Model {
	if cfg.Debounce == 0 {
		cfg.Debounce = 120 * time.Millisecond
	}
	if cfg.Lang == "" {
		cfg.Lang = lifeline.Zh
	}
	if cfg.Context == nil {
		cfg.Context = context.Background()
	}
	if cfg.Place == "" {
		cfg.Place = "console " + cfg.Site
	}
	e := &env{cfg: cfg, store: cfg.Store, lang: cfg.Lang, keys: newKeyMap(cfg.Lang), ctx: cfg.Context, width: 80, height: 24}
	h := help.New()
	h.ShortSeparator = " · "
	m := Model{e: e, help: h, current: screenLogin}
	m.newScreens()
	if cfg.Staff != nil {
		m.e.staff = cfg.Staff
		m.e.ctx = lifeline.WithActor(cfg.Context, cfg.Staff.Actor(cfg.Place))
		m.e.setStatus(m.e.t("已登录：", "Logged in: ") + cfg.Staff.User)
		m.current = screenFind
		m.find.focus()
	}
	return m
}

// newScreens sets every screen to its start, empty.
func (m *Model) newScreens() {
	e := m.e
	m.login = newLoginScreen(e)
	m.find = newFindScreen(e)
	m.resident = residentScreen{}
	m.print = newPrintScreen(e)
	m.queue = newQueueScreen(e)
	m.register = newRegisterScreen(e)
	m.relatives = newRelativesScreen(e)
	m.review = newReviewScreen(e)
	m.check = newCheckScreen(e)
	m.landline = newLandlineScreen(e)
	m.rounds = newRoundsScreen(e)
	m.roundNew = newRoundNewScreen(e)
	m.tube = newTubeScreen(e)
	m.missing = newMissingScreen(e)
}

// Init starts the cursor blinking in the user field, or on the find
// screen of a worker already logged in.
func (m Model) Init() tea.Cmd {
	if m.e.staff != nil {
		return tea.Batch(textinput.Blink, m.startSession())
	}
	return m.login.init()
}

// Staff returns who is logged in, nil before login.
func (m Model) Staff() *lifeline.Staff { return m.e.staff }

// Status returns the status line's sentence and whether it is an error.
func (m Model) Status() (string, bool) { return m.e.status, m.e.statusErr }

// maxTypedAhead bounds the keys held for a busy screen: a few scans'
// worth. A store that answers nothing is not a reason to hold more.
const maxTypedAhead = 256

// Update handles a message. A key pressed while the screen is busy waits
// for it (typedAhead), unless it quits or leaves the screen; a key the
// screen can take goes to it as before.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok && k.Type == tea.KeyRunes && len(k.Runes) > 1 && !k.Paste {
		return m.eachRune(k)
	}
	if k, ok := msg.(tea.KeyMsg); ok {
		m.e.lastKey = m.e.now()
		if m.leaves(k) {
			m.typedAhead = nil
		} else if m.busy() || len(m.typedAhead) > 0 {
			if len(m.typedAhead) == maxTypedAhead {
				m.e.setProblem(m.e.t("上一步仍在处理，之后的按键未记录，请稍后再输入", "Still working on the last step: keys after this were not kept, type them again shortly"))
				return m, nil
			}
			m.typedAhead = append(m.typedAhead, k)
			return m, nil
		}
	}
	mm, cmd := m.update(msg)
	return mm.(Model).catchUp(cmd)
}

// eachRune hands the screen a burst of characters read at once (a
// scanner's, or keys typed faster than the screen draws) one key at a
// time: the terminal reads them as one message, but on a screen whose
// letters are commands, "t" followed by a tube's barcode is the tubes key
// and then the barcode, not one word that is no key at all.
func (m Model) eachRune(burst tea.KeyMsg) (tea.Model, tea.Cmd) {
	var next tea.Model = m
	cmds := make([]tea.Cmd, 0, len(burst.Runes))
	for _, r := range burst.Runes {
		var cmd tea.Cmd
		next, cmd = next.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: burst.Alt})
		cmds = append(cmds, cmd)
	}
	return next, tea.Batch(cmds...)
}

// catchUp hands the screen the keys typed ahead while it was busy, in
// order, until it is busy again or has them all.
func (m Model) catchUp(cmd tea.Cmd) (tea.Model, tea.Cmd) {
	cmds := []tea.Cmd{cmd}
	for len(m.typedAhead) > 0 && !m.busy() {
		k := m.typedAhead[0]
		m.typedAhead = m.typedAhead[1:]
		mm, next := m.update(k)
		m = mm.(Model)
		cmds = append(cmds, next)
	}
	return m, tea.Batch(cmds...)
}

// busy reports whether the current screen waits on the store and takes no
// keys meanwhile.
func (m Model) busy() bool {
	busy := screens[m.current].busy
	return busy != nil && busy(&m)
}

// leaves reports whether a key ends or leaves the screen at once, busy or
// not: quit, log out, or a key that opens another screen. What was typed
// ahead for the screen left is dropped with it.
func (m Model) leaves(msg tea.KeyMsg) bool {
	k := m.e.keys
	if key.Matches(msg, k.Quit) {
		return true
	}
	if m.e.staff == nil {
		return false
	}
	if key.Matches(msg, k.Logout) {
		return true
	}
	for _, sc := range screens {
		if sc.navKey != nil && key.Matches(msg, sc.navKey(k)) {
			return true
		}
	}
	return false
}

// update handles a message: global keys first, then the current screen.
func (m Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	k := m.e.keys
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.e.width, m.e.height = msg.Width, msg.Height
		m.help.Width = msg.Width
		return m, nil
	case tea.KeyMsg:
		if key.Matches(msg, k.Quit) {
			m.print.stop()
			return m, tea.Quit
		}
		if m.showHelp {
			if key.Matches(msg, k.Help) || key.Matches(msg, k.Back) {
				m.showHelp = false
				return m, nil
			}
		} else if key.Matches(msg, k.Help) && (msg.String() == "f1" || !m.typing()) {
			m.showHelp = true
			return m, nil
		}
		if m.e.staff != nil && key.Matches(msg, k.Logout) {
			return m.logout(lifeline.Text{})
		}
		if m.e.staff != nil {
			for to, sc := range screens {
				if sc.navKey != nil && key.Matches(msg, sc.navKey(k)) {
					return m.navigate(navMsg{to: screenID(to)})
				}
			}
		}
	case navMsg:
		return m.navigate(msg)
	case loggedInMsg:
		m.login, _ = m.login.update(msg)
		if msg.err == nil {
			m.e.staff = msg.staff
			m.e.ctx = lifeline.WithActor(m.e.cfg.Context, msg.staff.Actor(m.e.cfg.Place))
			m.e.setStatus(m.e.t("已登录：", "Logged in: ") + msg.staff.User)
			mm, cmd := m.navigate(navMsg{to: screenFind, keepStatus: true})
			return mm, tea.Batch(cmd, mm.(Model).startSession())
		}
		return m, nil
	case sessionTickMsg:
		return m.checkSession(msg)
	case accountMsg:
		return m.checkAccount(msg)
	}
	if r, ok := msg.(routed); ok {
		return m.updateScreen(r.route(), msg)
	}
	return m.updateScreen(m.current, msg)
}

func (m Model) updateScreen(s screenID, msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := screens[s].model.update(&m, msg)
	if n := m.e.pending; n != nil {
		m.e.pending = nil
		if s != m.current {
			// A late result of a screen the worker has left does not pull
			// them back to it.
			return m, cmd
		}
		mm, next := m.navigate(*n)
		return mm, tea.Batch(cmd, next)
	}
	return m, cmd
}

// logout ends the session: a running batch stops as on quit, and every
// screen starts afresh, so the next worker at the desk sees nothing of the
// last one's searches or residents. why, if not "", says why it was not
// the worker's choice. A screen whose worker logged in with the
// connection (Config.Staff) ends instead.
func (m Model) logout(why lifeline.Text) (tea.Model, tea.Cmd) {
	m.print.stop()
	if m.e.cfg.Staff != nil {
		m.e.ended = why.In(m.e.lang)
		return m, tea.Quit
	}
	run := m.print.run
	who := m.e.staff.User
	e := m.e
	e.staff = nil
	e.ticks++
	e.ctx = e.cfg.Context
	m.showHelp = false
	m.current = screenLogin
	m.history, m.typedAhead = nil, nil
	m.newScreens()
	// The stopped job still sends its last message, numbered with its run:
	// the new print screen counts on past it, so that message is dropped
	// now and cannot pass for the next worker's first job.
	m.print.run = run + 1
	e.setStatus(e.t("已退出登录：", "Logged out: ") + who)
	if why != (lifeline.Text{}) {
		e.status, e.statusErr = e.t("已退出登录（"+who+"）：", "Logged out ("+who+"): ")+why.In(e.lang), true
	}
	return m, m.login.init()
}

// navigate shows another screen and starts whatever it loads.
func (m Model) navigate(n navMsg) (tea.Model, tea.Cmd) {
	if m.e.staff == nil {
		return m, nil
	}
	m.showHelp = false
	if n.back {
		if len(m.history) == 0 {
			if m.current == screenFind {
				return m, nil // nowhere further back
			}
			n.to = screenFind
		} else {
			back := m.history[len(m.history)-1]
			m.history = m.history[:len(m.history)-1]
			n.to, n.id, n.resident = back.to, back.id, back.resident
		}
	} else if n.to != m.current && m.current != screenLogin {
		m.history = append(m.history, m.here())
		if len(m.history) > maxHistory {
			m.history = m.history[1:]
		}
	}
	if !n.keepStatus {
		m.e.setStatus("")
	}
	m.current = n.to
	var cmd tea.Cmd
	if enter := screens[n.to].enter; enter != nil {
		cmd = enter(&m, n)
	}
	return m, cmd
}

// here is how to show the current screen again, as it is now: the same
// resident on the screens that act on one.
func (m Model) here() navMsg {
	n := navMsg{to: m.current}
	switch m.current {
	case screenResident:
		n.id = m.resident.id
	case screenPrint:
		n.resident = m.print.r
	case screenRelatives:
		n.resident = m.relatives.r
	case screenRegister:
		n.resident = m.register.from
	}
	return n
}

// typing reports whether the focused field takes free text, where ? is a
// character and not the help key.
func (m Model) typing() bool {
	typing := screens[m.current].typing
	return typing != nil && typing(&m)
}

// keys returns the current screen's bindings for the help line.
func (m Model) keys() helpKeys {
	k := m.e.keys
	h := helpKeys{global: []key.Binding{k.Help}, extra: []key.Binding{k.Quit}}
	if m.e.staff != nil {
		h.nav = k.navKeys()
	}
	h.screen = screens[m.current].model.keys(&m)
	return h
}

// shortHelp is the help line: the keys that fit in width, each whole, and
// " …" when some do not and it has room. bubbles/help adds the key after a
// line too full for its " …", which a cut would leave half shown ("esc
// 返…"), and leaves " …" out where it would just fit.
func (m Model) shortHelp(keys []key.Binding, width int) string {
	line := m.help.ShortHelpView(keys)
	if lipgloss.Width(line) <= width {
		return line
	}
	for n := len(keys) - 1; n > 0; n-- {
		if line = m.help.ShortHelpView(keys[:n]); lipgloss.Width(line) <= width {
			break
		}
	}
	if tail := " " + m.help.Ellipsis; lipgloss.Width(line+tail) <= width {
		line += m.help.Styles.Ellipsis.Render(tail)
	}
	return line
}

// View draws the screen: a title line, the notice if any, the current
// screen, the status line and the help line, cut to the terminal's size.
func (m Model) View() string {
	w, h := m.e.width, m.e.height
	if w <= 0 {
		w = 80
	}
	if h <= 0 {
		h = 24
	}
	left := " " + m.e.t("生命线", "Lifeline") + " · " + screens[m.current].title.In(m.e.lang)
	right := ""
	if s := m.e.staff; s != nil {
		where := s.Community
		if s.Role == lifeline.RoleAdmin {
			where = m.e.t("管理员·全部社区", "admin · all communities")
		}
		right = lifeline.Printable(s.User+" ("+where+")") + " "
	}
	gap := w - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		right = ""
		gap = w - lipgloss.Width(left)
	}
	top := []string{styleTitle.Render(cell(left+strings.Repeat(" ", gap)+right, w))}
	if m.e.cfg.Notice != "" {
		// Up to two lines: the notice says things a person must not miss
		// (a demo login, a gateway without signature checks).
		wrapped := strings.Split(lipgloss.NewStyle().Width(w).Render("! "+m.e.cfg.Notice), "\n")
		for i, l := range wrapped {
			if i == 2 {
				break
			}
			top = append(top, styleWarn.Render(cell(strings.TrimRight(l, " "), w)))
		}
	}
	var bottom []string
	if m.e.status != "" {
		st := m.e.status
		if m.e.statusErr {
			bottom = append(bottom, styleError.Render(cell("✗ "+st, w)))
		} else {
			bottom = append(bottom, styleOK.Render(cell("· "+st, w)))
		}
	} else {
		bottom = append(bottom, "")
	}
	m.help.Width = w
	bottom = append(bottom, m.shortHelp(m.keys().ShortHelp(), w))
	bodyH := h - len(top) - len(bottom)
	var body string
	if m.showHelp {
		body = styleHeading.Render(m.e.t("全部按键（按 ? 或 esc 关闭）", "All keys (? or esc to close)")) + "\n\n" + m.help.FullHelpView(m.keys().FullHelp())
	} else {
		body = screens[m.current].model.view(&m, w, bodyH)
	}
	body = fit(body, w, bodyH)
	if n := bodyH - strings.Count(body, "\n") - 1; n > 0 {
		body += strings.Repeat("\n", n)
	}
	return lipgloss.JoinVertical(lipgloss.Left, append(append(top, body), bottom...)...)
}

// moveCursor moves a list's cursor for a key, within n rows: one up or
// down, a page of page rows, the first (Home: the newest, as lists that
// grow show them) or the last. It reports whether the key moved it.
func (e *env) moveCursor(msg tea.KeyMsg, cursor, n, page int) (int, bool) {
	k := e.keys
	page = max(page, 1)
	switch {
	case key.Matches(msg, k.Up):
		cursor--
	case key.Matches(msg, k.Down):
		cursor++
	case key.Matches(msg, k.PageUp):
		cursor -= page
	case key.Matches(msg, k.PageDown):
		cursor += page
	case key.Matches(msg, k.Home):
		cursor = 0
	case key.Matches(msg, k.End):
		cursor = n - 1
	default:
		return cursor, false
	}
	return max(0, min(cursor, n-1)), true
}

// listRows is how many rows of a list show on a screen of height lines
// with head lines above them: what PgUp and PgDn move by.
func (e *env) listRows(head int) int { return max(e.height-4-head, 1) }

// window is the first row to show of a list of n rows with the cursor at
// cursor, rows at a time: the cursor stays in view.
func window(cursor, rows int) int { return max(0, cursor-rows+1) }
