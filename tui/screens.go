package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
)

// screenID names a screen.
type screenID int

const (
	screenLogin screenID = iota
	screenFind
	screenResident
	screenPrint
	screenQueue
	screenRegister
	screenRelatives
	screenReview
	screenCheck
	screenLandline
	screenRounds
	screenRoundNew
	screenTube
	screenMissing
	screenCount // how many screens there are; not a screen
)

// screen is one row of the table of screens: everything the root model
// needs to know of a screen to show it, hand it messages and name it. The
// screens themselves stay concrete types whose update returns their own
// type; a row reaches its screen through the Model.
type screen struct {
	title lifeline.Text
	model screenModel
	// navKey is the key that opens the screen from anywhere once logged
	// in; nil for a screen reached from another one.
	navKey func(keyMap) key.Binding
	// enter readies the screen as it is shown and returns what it loads;
	// nil for a screen with nothing to ready.
	enter func(*Model, navMsg) tea.Cmd
	// typing reports whether the focused field takes free text, where ? is
	// a character and not the help key; nil means never.
	typing func(*Model) bool
	// busy reports whether the screen waits on the store (loading what it
	// shows, saving what was entered): keys typed meanwhile wait for it
	// (Model.typedAhead). nil means never.
	busy func(*Model) bool
}

// screens is the table of screens, one row each, in screenID order.
var screens = [screenCount]screen{
	screenLogin: {
		title:  lifeline.T("登录", "Log in"),
		model:  modelAt(func(m *Model) *loginScreen { return &m.login }),
		typing: always,
		busy:   func(m *Model) bool { return m.login.busy },
	},
	screenFind: {
		title:  lifeline.T("查找居民", "Find a resident"),
		model:  modelAt(func(m *Model) *findScreen { return &m.find }),
		navKey: func(k keyMap) key.Binding { return k.Find },
		enter:  func(m *Model, _ navMsg) tea.Cmd { return m.find.focus() },
	},
	screenResident: {
		title: lifeline.T("居民", "Resident"),
		model: modelAt(func(m *Model) *residentScreen { return &m.resident }),
		enter: func(m *Model, n navMsg) tea.Cmd {
			id := n.id
			if n.resident != nil {
				id = n.resident.ID
			}
			m.resident = newResidentScreen(m.e, id)
			return m.resident.init()
		},
		busy: func(m *Model) bool { return m.resident.waiting() },
	},
	screenPrint: {
		title: lifeline.T("打印纸质码", "Print paper codes"),
		model: modelAt(func(m *Model) *printScreen { return &m.print }),
		enter: func(m *Model, n navMsg) (cmd tea.Cmd) {
			m.print, cmd = m.print.start(n.resident)
			return cmd
		},
	},
	screenQueue: {
		title:  lifeline.T("打印队列", "Print queue"),
		model:  modelAt(func(m *Model) *queueScreen { return &m.queue }),
		navKey: func(k keyMap) key.Binding { return k.Queue },
		enter: func(m *Model, _ navMsg) tea.Cmd {
			m.queue.busy = true // until the list is read
			return m.queue.init()
		},
		busy: func(m *Model) bool { return m.queue.busy },
	},
	screenRegister: {
		title:  lifeline.T("现场登记", "Register on site"),
		model:  modelAt(func(m *Model) *registerScreen { return &m.register }),
		navKey: func(k keyMap) key.Binding { return k.Register },
		enter: func(m *Model, n navMsg) (cmd tea.Cmd) {
			m.register, cmd = m.register.start(n.resident)
			return cmd
		},
		typing: always,
		busy:   func(m *Model) bool { return m.register.busy },
	},
	screenRelatives: {
		title: lifeline.T("关联亲属", "Link a relative"),
		model: modelAt(func(m *Model) *relativesScreen { return &m.relatives }),
		enter: func(m *Model, n navMsg) (cmd tea.Cmd) {
			m.relatives, cmd = m.relatives.start(n.resident)
			return cmd
		},
		typing: always,
		busy:   func(m *Model) bool { return m.relatives.busy },
	},
	screenReview: {
		title:  lifeline.T("亲属审核", "Review relatives"),
		model:  modelAt(func(m *Model) *reviewScreen { return &m.review }),
		navKey: func(k keyMap) key.Binding { return k.Review },
		enter: func(m *Model, _ navMsg) tea.Cmd {
			m.review.busy = true // until the list is read
			return m.review.init()
		},
		typing: func(m *Model) bool { return m.review.rejecting },
		busy:   func(m *Model) bool { return m.review.busy },
	},
	screenCheck: {
		title:  lifeline.T("验码", "Check a code"),
		model:  modelAt(func(m *Model) *checkScreen { return &m.check }),
		navKey: func(k keyMap) key.Binding { return k.Check },
		enter:  func(m *Model, _ navMsg) tea.Cmd { return m.check.focus() },
		typing: always,
	},
	screenLandline: {
		title: lifeline.T("固定电话", "Landline"),
		model: modelAt(func(m *Model) *landlineScreen { return &m.landline }),
		enter: func(m *Model, n navMsg) (cmd tea.Cmd) {
			m.landline, cmd = m.landline.start(n.resident)
			return cmd
		},
		typing: always,
		busy:   func(m *Model) bool { return m.landline.busy },
	},
	screenRounds: {
		title:  lifeline.T("检测轮次", "Testing rounds"),
		model:  modelAt(func(m *Model) *roundsScreen { return &m.rounds }),
		navKey: func(k keyMap) key.Binding { return k.Rounds },
		enter: func(m *Model, n navMsg) (cmd tea.Cmd) {
			m.rounds, cmd = m.rounds.start(n.round)
			return cmd
		},
		busy: func(m *Model) bool { return m.rounds.loading },
	},
	screenRoundNew: {
		title: lifeline.T("开启检测轮次", "Open a testing round"),
		model: modelAt(func(m *Model) *roundNewScreen { return &m.roundNew }),
		enter: func(m *Model, _ navMsg) (cmd tea.Cmd) {
			m.roundNew, cmd = m.roundNew.start()
			return cmd
		},
		typing: always,
		busy:   func(m *Model) bool { return m.roundNew.busy },
	},
	screenTube: {
		title: lifeline.T("混管采样", "Pooled tubes"),
		model: modelAt(func(m *Model) *tubeScreen { return &m.tube }),
		enter: func(m *Model, n navMsg) (cmd tea.Cmd) {
			m.tube, cmd = m.tube.start(n.round)
			return cmd
		},
		typing: always,
		busy:   func(m *Model) bool { return m.tube.waiting() },
	},
	screenMissing: {
		title: lifeline.T("未采样名单", "Not yet sampled"),
		model: modelAt(func(m *Model) *missingScreen { return &m.missing }),
		enter: func(m *Model, n navMsg) (cmd tea.Cmd) {
			m.missing, cmd = m.missing.start(n.round, n.building)
			return cmd
		},
		busy: func(m *Model) bool { return m.missing.busy },
	},
}

func always(*Model) bool { return true }

// screenModel is what every screen does, reached through the Model that
// holds it.
type screenModel struct {
	update func(*Model, tea.Msg) tea.Cmd
	view   func(m *Model, width, height int) string
	keys   func(*Model) []key.Binding
}

// concreteScreen is the shape every screen type has: its update returns
// its own type.
type concreteScreen[S any] interface {
	update(tea.Msg) (S, tea.Cmd)
	view(width, height int) string
	keys() []key.Binding
}

// modelAt makes a screen's row from where the Model keeps it.
func modelAt[S concreteScreen[S]](at func(*Model) *S) screenModel {
	return screenModel{
		update: func(m *Model, msg tea.Msg) tea.Cmd {
			s := at(m)
			next, cmd := (*s).update(msg)
			*s = next
			return cmd
		},
		view: func(m *Model, width, height int) string { return (*at(m)).view(width, height) },
		keys: func(m *Model) []key.Binding { return (*at(m)).keys() },
	}
}
