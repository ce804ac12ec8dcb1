package sshd

import (
	"errors"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"github.com/lifeline-health/lifeline/tui"
	gossh "golang.org/x/crypto/ssh"
)

// session runs the staff screen for one SSH session: its own program, on
// the connection's context (a dropped connection ends it, and cancels
// what it was doing: a batch being printed leaves no file and records
// nothing it did not finish), logged in as the connection's account.
func (s *Server) session(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		c := connOf(sess.Context())
		if c == nil {
			sess.Exit(1)
			return
		}
		if !s.reserve() {
			fmt.Fprintf(sess, "%s\r\n", s.t(fmt.Sprintf("已有 %d 个会话，达到上限，请稍后再试。", s.cfg.MaxSessions),
				fmt.Sprintf("%d sessions are open, the most this server allows; try again later.", s.cfg.MaxSessions)))
			s.logf("session %s: refused, %d sessions open", c.sessionID(), s.cfg.MaxSessions)
			sess.Exit(1)
			return
		}
		defer s.release()
		staff, err := s.login(sess, c)
		if err != nil {
			fmt.Fprintf(sess, "%s\r\n", lifeline.ErrorMessage(err, s.cfg.Desk.Lang))
			sess.Exit(1)
			return
		}
		why := s.run(sess, c, staff)
		ctx, cancel := c.authCtx()
		ctx = lifeline.WithActor(ctx, c.actor(staff))
		s.audit(ctx, "logout", why)
		cancel()
		s.logf("session %s: %s logged out (%s)", c.sessionID(), lifeline.Printable(staff.User), why)
		sess.Exit(0)
		next(sess)
	}
}

// login returns the connection's account: the one its password logged
// in, or the one its key belongs to, checked again and recorded now that
// the key is proven (auth.KeyLogin: a disabled account is refused here).
func (s *Server) login(sess ssh.Session, c *conn) (*lifeline.Staff, error) {
	c.mu.Lock()
	staff := c.staff
	c.mu.Unlock()
	if staff != nil {
		return staff, nil
	}
	key := sess.PublicKey()
	if key == nil {
		return nil, errors.New("sshd: a session with no login") // x/crypto lets no such connection through
	}
	ctx, cancel := c.authCtx()
	defer cancel()
	fp := gossh.FingerprintSHA256(key)
	staff, err := auth.KeyLogin(ctx, s.store, sess.User(), fp, c.place())
	if err != nil {
		return nil, err
	}
	c.loggedInAs(staff)
	now := s.cfg.Now()
	s.addrs.succeed(c.ip, now)
	s.users.succeed(staff.User, now)
	s.logf("session %s: %s logged in with key %s from %s", c.sessionID(), lifeline.Printable(staff.User), fp, c.remote)
	return staff, nil
}

// run runs the screen until it ends and says why.
func (s *Server) run(sess ssh.Session, c *conn, staff *lifeline.Staff) string {
	_, windows, _ := sess.Pty()
	cfg := s.cfg.Desk
	cfg.Context, cfg.Staff, cfg.Place, cfg.IdleTimeout = sess.Context(), staff, c.actor(staff).Place, s.cfg.IdleTimeout
	if cfg.PrintsTo != "" {
		cfg.PrintsTo = s.t("服务器 "+s.host+"：", "on the server "+s.host+": ") + cfg.PrintsTo
	}
	p := tea.NewProgram(tui.New(cfg), tea.WithInput(sess), tea.WithOutput(sess), tea.WithAltScreen(),
		tea.WithContext(sess.Context()), tea.WithoutSignalHandler())
	go func() {
		// The first window is the terminal's size at login; then each
		// resize. The channel closes with the session.
		for w := range windows {
			p.Send(tea.WindowSizeMsg{Width: w.Width, Height: w.Height})
		}
	}()
	final, err := p.Run()
	switch m, _ := final.(tui.Model); {
	case sess.Context().Err() != nil:
		return "connection dropped"
	case err != nil:
		return "error: " + err.Error()
	case m.Ended() != "":
		fmt.Fprintf(sess, "%s%s\r\n", s.t("会话已结束：", "Session ended: "), m.Ended())
		return m.Ended()
	}
	return "quit"
}

// reserve takes a session's place if there is one.
func (s *Server) reserve() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions >= s.cfg.MaxSessions {
		return false
	}
	s.sessions++
	return true
}

func (s *Server) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions--
}
