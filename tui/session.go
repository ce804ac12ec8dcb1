package tui

import (
	"fmt"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
)

// While a worker is logged in, the screen checks, every sessionCheck (or
// oftener for a short IdleTimeout), that the session should go on: a
// worker who has pressed no key for IdleTimeout is logged out (a batch
// still printing keeps the session until it ends), and so is one whose
// account was disabled, removed, or moved to another community or role
// since they logged in — what a screen left open at a desk, or an SSH
// session left open on a laptop, must not outlive.

// sessionCheck is how often a logged-in session is checked.
const sessionCheck = 15 * time.Second

// sessionTickMsg is the time to check the session of login number n.
type sessionTickMsg struct{ n int }

// accountMsg is the account as the store has it now.
type accountMsg struct {
	n     int
	staff *lifeline.Staff
	err   error
}

// startSession starts the checks of a new login.
func (m Model) startSession() tea.Cmd {
	m.e.ticks++
	m.e.lastKey = m.e.now()
	return m.nextCheck()
}

// nextCheck schedules the next check of the current login.
func (m Model) nextCheck() tea.Cmd {
	every := sessionCheck
	if t := m.e.cfg.IdleTimeout / 2; t > 0 && t < every {
		every = t
	}
	n := m.e.ticks
	return tea.Tick(every, func(time.Time) tea.Msg { return sessionTickMsg{n: n} })
}

// checkSession logs an idle worker out, or reads their account again.
func (m Model) checkSession(msg sessionTickMsg) (tea.Model, tea.Cmd) {
	e := m.e
	if msg.n != e.ticks || e.staff == nil {
		return m, nil
	}
	if idle := e.now().Sub(e.lastKey); e.cfg.IdleTimeout > 0 && idle >= e.cfg.IdleTimeout && !m.print.running {
		min := int(e.cfg.IdleTimeout.Round(time.Minute) / time.Minute)
		why := lifeline.T(fmt.Sprintf("%d 分钟无操作", min), fmt.Sprintf("no key pressed for %d minutes", min))
		if e.cfg.IdleTimeout < time.Minute {
			s := int(e.cfg.IdleTimeout / time.Second)
			why = lifeline.T(fmt.Sprintf("%d 秒无操作", s), fmt.Sprintf("no key pressed for %d seconds", s))
		}
		return m.logout(why)
	}
	store, ctx, user, n := e.store, e.ctx, e.staff.User, e.ticks
	return m, func() tea.Msg {
		s, err := store.StaffByUser(ctx, user)
		return accountMsg{n: n, staff: s, err: err}
	}
}

// checkAccount logs the worker out if their account no longer lets them
// work as they logged in, and schedules the next check otherwise. A store
// that does not answer leaves the session as it is.
func (m Model) checkAccount(msg accountMsg) (tea.Model, tea.Cmd) {
	e := m.e
	if msg.n != e.ticks || e.staff == nil {
		return m, nil
	}
	switch {
	case lifeline.ErrorCode(msg.err) == lifeline.ENOTFOUND:
		return m.logout(lifeline.T("账号已删除", "the account was removed"))
	case msg.err != nil:
	case !msg.staff.Active():
		return m.logout(lifeline.T("账号已停用", "the account was disabled"))
	case msg.staff.Role != e.staff.Role || msg.staff.Community != e.staff.Community:
		return m.logout(lifeline.T("账号的社区或权限已更改，请重新登录", "the account's community or role changed; log in again"))
	}
	return m, m.nextCheck()
}

// Ended says why the screen ended by itself (an SSH session idle, or its
// account disabled): "" when the worker quit.
func (m Model) Ended() string { return m.e.ended }
