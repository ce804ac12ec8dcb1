package tui

import (
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
)

// loginScreen asks for the staff user and password. The user field has the
// focus at start; Enter moves to the password; Enter there logs in.
type loginScreen struct {
	e        *env
	user     textinput.Model
	password textinput.Model
	busy     bool
}

// loggedInMsg is the outcome of a login attempt.
type loggedInMsg struct {
	staff *lifeline.Staff
	err   error
}

func (loggedInMsg) route() screenID { return screenLogin }

func newLoginScreen(e *env) loginScreen {
	// While staff type, make what refusing an unknown user compares
	// against, so that the first one takes no longer than the rest.
	go auth.Prepare()
	u := newInput("", e.t("用户名", "user name"), 64, 30)
	u.Focus()
	p := newInput("", e.t("密码", "password"), 72, 30)
	p.EchoMode, p.EchoCharacter = textinput.EchoPassword, '*'
	return loginScreen{e: e, user: u, password: p}
}

func (s loginScreen) init() tea.Cmd { return textinput.Blink }

func (s loginScreen) keys() []key.Binding {
	k := s.e.keys
	return []key.Binding{k.Submit, k.Next}
}

func (s loginScreen) update(msg tea.Msg) (loginScreen, tea.Cmd) {
	k := s.e.keys
	switch msg := msg.(type) {
	case loggedInMsg:
		s.busy = false
		if msg.err != nil {
			s.e.setError(msg.err)
			s.password.Reset()
			if lifeline.ErrorCode(msg.err) == lifeline.ENOTFOUND || s.user.Value() == "" {
				return s, s.focusUser()
			}
			return s, s.focusPassword()
		}
		s.password.Reset()
		return s, nil
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, k.Next):
			if s.user.Focused() {
				return s, s.focusPassword()
			}
			return s, s.focusUser()
		case key.Matches(msg, k.Submit):
			if s.user.Focused() {
				if s.user.Value() == "" {
					s.e.setStatus(s.e.t("请输入用户名", "Type your user name"))
					return s, nil
				}
				return s, s.focusPassword()
			}
			if s.user.Value() == "" {
				return s, s.focusUser()
			}
			s.busy = true
			s.e.setStatus(s.e.t("正在登录…", "Logging in…"))
			return s, s.login(s.user.Value(), s.password.Value())
		}
	}
	var cmd tea.Cmd
	if s.user.Focused() {
		s.user, cmd = s.user.Update(msg)
	} else {
		s.password, cmd = s.password.Update(msg)
	}
	return s, cmd
}

func (s *loginScreen) focusUser() tea.Cmd {
	s.password.Blur()
	return s.user.Focus()
}

func (s *loginScreen) focusPassword() tea.Cmd {
	s.user.Blur()
	return s.password.Focus()
}

// login checks the password off the UI goroutine: bcrypt is slow on
// purpose.
func (s loginScreen) login(user, password string) tea.Cmd {
	store, now, ctx, place := s.e.store, s.e.now(), s.e.ctx, s.e.cfg.Place
	return func() tea.Msg {
		st, err := auth.Login(ctx, store, user, password, place, now)
		return loggedInMsg{staff: st, err: err}
	}
}

func (s loginScreen) view(width, height int) string {
	label := func(text string, focused bool) string {
		mark := "  "
		if focused {
			mark = "▶ "
		}
		return mark + styleLabel.Render(cell(text, 10))
	}
	box := lipgloss.JoinVertical(lipgloss.Left,
		styleHeading.Render(s.e.t("社区工作人员登录", "Community staff log in")),
		"",
		label(s.e.t("用户名", "User"), s.user.Focused())+" "+s.user.View(),
		"",
		label(s.e.t("密码", "Password"), s.password.Focused())+" "+s.password.View(),
		"",
		styleDim.Render(s.e.t("输入用户名后按回车，再输入密码后按回车。", "Type your user name and press Enter, then your password and Enter.")),
	)
	return lipgloss.NewStyle().Padding(2, 4).Render(box)
}
