package sshd

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/ssh"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	gossh "golang.org/x/crypto/ssh"
)

// conn is one SSH connection and how it logged in.
type conn struct {
	net.Conn
	s      *Server
	ip     string // the address, as locks and limits count it
	remote string // address and port

	mu            sync.Mutex
	session       string          // the first 8 hex digits of the SSH session id
	user          string          // the SSH user name: the staff account
	staff         *lifeline.Staff // set by a password login
	offered       []string        // fingerprints of keys offered that log nobody in
	passwordTried bool
	loggedIn      bool
	grace         *time.Timer
	closed        sync.Once
}

type connKey struct{}

func connOf(ctx context.Context) *conn { c, _ := ctx.Value(connKey{}).(*conn); return c }

// accept takes a new connection: refused at once when too many are still
// logging in, closed if it has not logged in within loginGrace.
func (s *Server) accept(ctx ssh.Context, nc net.Conn) net.Conn {
	ip, _, _ := net.SplitHostPort(nc.RemoteAddr().String())
	c := &conn{Conn: nc, s: s, ip: ip, remote: nc.RemoteAddr().String()}
	s.mu.Lock()
	full := s.pending >= 2*s.cfg.MaxSessions+10
	if !full {
		s.pending++
	}
	s.mu.Unlock()
	if full {
		return nil // closed without a word: nobody logs in through a flood
	}
	c.grace = time.AfterFunc(loginGrace, func() {
		c.mu.Lock()
		in := c.loggedIn
		c.mu.Unlock()
		if !in {
			nc.Close()
		}
	})
	ctx.SetValue(connKey{}, c)
	return c
}

// place is where the connection's logins are locked and limited.
func (c *conn) place() string { return "ssh " + c.ip }

// actor is who the connection is before and after logging in, with the
// place every audit entry of it carries: the address, its port and the
// session.
func (c *conn) actor(staff *lifeline.Staff) lifeline.Actor {
	c.mu.Lock()
	place := "ssh " + c.remote + " session " + c.session
	c.mu.Unlock()
	if staff == nil {
		return lifeline.Actor{User: "anonymous", Place: place}
	}
	return staff.Actor(place)
}

// identify takes the session id (hex) and user name of the handshake.
func (c *conn) identify(user, sessionID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session == "" {
		c.session = sessionID[:min(8, len(sessionID))]
	}
	c.user = user
}

// sessionID is the first 8 hex digits of the SSH session id: what the
// log and the audit trail call the session.
func (c *conn) sessionID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session
}

// authCtx is the context of a store call made while logging in.
func (c *conn) authCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(lifeline.WithActor(context.Background(), c.actor(nil)), 10*time.Second)
}

// loggedInAs marks the connection logged in (the grace timer stops
// mattering) and counts it out of the pending ones.
func (c *conn) loggedInAs(staff *lifeline.Staff) {
	c.mu.Lock()
	first := !c.loggedIn
	c.loggedIn, c.staff = true, staff
	c.mu.Unlock()
	if first {
		c.s.mu.Lock()
		c.s.pending--
		c.s.mu.Unlock()
	}
}

// Close closes the connection; one that never logged in after offering
// keys alone is audited as a failed login, and counts against its
// address.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.closed.Do(func() {
		c.grace.Stop()
		c.mu.Lock()
		in, offered, tried, user := c.loggedIn, c.offered, c.passwordTried, c.user
		c.mu.Unlock()
		if in {
			return
		}
		c.s.mu.Lock()
		c.s.pending--
		c.s.mu.Unlock()
		if len(offered) == 0 || tried {
			return
		}
		ctx, cancel := c.authCtx()
		defer cancel()
		c.s.audit(ctx, "login_failed", c.s.claimed(ctx, user)+": key not registered ("+strings.Join(offered, ", ")+")")
		c.s.failed(ctx, c, user)
	})
	return err
}

// serverConfig is the x/crypto configuration of one connection: its
// password check, which answers a refusal in words (a banner), and the
// banner of an address that is blocked.
func (s *Server) serverConfig(ctx ssh.Context) *gossh.ServerConfig {
	return &gossh.ServerConfig{
		MaxAuthTries: 6,
		PasswordCallback: func(meta gossh.ConnMetadata, password []byte) (*gossh.Permissions, error) {
			return s.password(ctx, meta, password)
		},
		BannerCallback: func(meta gossh.ConnMetadata) string {
			if c := connOf(ctx); c != nil {
				if until, blocked := s.addrs.blocked(c.ip, s.cfg.Now()); blocked {
					return s.blockedWords(until) + "\r\n"
				}
			}
			return ""
		},
	}
}

// password checks a password (auth.Login, at the place "ssh ADDRESS"),
// unless the address or the user name is blocked.
func (s *Server) password(ctx ssh.Context, meta gossh.ConnMetadata, password []byte) (*gossh.Permissions, error) {
	c := connOf(ctx)
	c.identify(meta.User(), hex.EncodeToString(meta.SessionID()))
	actx, cancel := c.authCtx()
	defer cancel()
	now := s.cfg.Now()
	until, blocked := s.addrs.blocked(c.ip, now)
	if !blocked {
		until, blocked = s.users.blocked(meta.User(), now)
	}
	if blocked {
		return nil, &gossh.BannerError{Err: errDenied, Message: s.blockedWords(until) + "\r\n"}
	}
	c.mu.Lock()
	c.passwordTried = true
	c.mu.Unlock()
	s.checks <- struct{}{}
	staff, err := auth.Login(actx, s.store, meta.User(), string(password), c.place(), now)
	<-s.checks
	if err != nil {
		if code := lifeline.ErrorCode(err); code == lifeline.EUNAUTHORIZED || code == lifeline.ELOCKED {
			s.failed(actx, c, meta.User())
		}
		return nil, &gossh.BannerError{Err: errDenied, Message: lifeline.ErrorMessage(err, s.cfg.Desk.Lang) + "\r\n"}
	}
	s.addrs.succeed(c.ip, now)
	s.users.succeed(meta.User(), now)
	c.loggedInAs(staff)
	s.logf("session %s: %s logged in with a password from %s", c.sessionID(), lifeline.Printable(staff.User), c.remote)
	return ctx.Permissions().Permissions, nil
}

var errDenied = fmt.Errorf("permission denied")

// publicKey accepts a key added for the SSH user's account. The client
// has not yet shown it holds the key's private half: the login is
// recorded when its session starts (auth.KeyLogin), once x/crypto has
// checked its signature.
func (s *Server) publicKey(ctx ssh.Context, key ssh.PublicKey) bool {
	c := connOf(ctx)
	c.identify(ctx.User(), ctx.SessionID())
	if _, blocked := s.addrs.blocked(c.ip, s.cfg.Now()); blocked {
		return false
	}
	fp := gossh.FingerprintSHA256(key)
	actx, cancel := c.authCtx()
	defer cancel()
	staff, _, err := s.store.StaffByKey(actx, fp)
	if err != nil || staff.User != ctx.User() {
		c.mu.Lock()
		c.offered = append(c.offered, fp)
		c.mu.Unlock()
		return false
	}
	return true
}

// failed counts a failed login against the address and the user name, and
// audits a block it starts.
func (s *Server) failed(ctx context.Context, c *conn, user string) {
	now := s.cfg.Now()
	if s.addrs.fail(c.ip, now) {
		s.audit(ctx, "login_blocked", fmt.Sprintf("address %s refused for %s after %d failed logins in a row", c.ip, limitBlock, maxAddressFailures))
		s.logf("address %s blocked for %s after %d failed logins", c.ip, limitBlock, maxAddressFailures)
	}
	if s.users.fail(user, now) {
		who := s.claimed(ctx, user)
		s.audit(ctx, "login_blocked", fmt.Sprintf("%s: passwords over SSH refused for %s after %d failures from any address", who, limitBlock, maxUserFailures))
		s.logf("%s: passwords refused for %s after %d failures", who, limitBlock, maxUserFailures)
	}
}

// claimed names a user name tried in the audit log only if an account has
// it: anything else may be a password typed in the wrong place.
func (s *Server) claimed(ctx context.Context, user string) string {
	if _, err := s.store.StaffByUser(ctx, user); err == nil {
		return "user " + user
	}
	return "unknown user name"
}

// audit writes an entry of the connection's (ctx's) actor; a failure is
// logged, the login goes on being refused.
func (s *Server) audit(ctx context.Context, action, detail string) {
	if err := s.store.Audit(ctx, lifeline.AuditEntry{Action: action, Detail: detail}); err != nil {
		s.logf("audit %s: %v", action, err)
	}
}

// blockedWords says a login is refused for too many failures, until when.
func (s *Server) blockedWords(until time.Time) string {
	min := int(until.Sub(s.cfg.Now()).Round(time.Minute).Minutes())
	if min < 1 {
		min = 1
	}
	return s.t(fmt.Sprintf("登录失败次数过多，请 %d 分钟后再试，或请管理员处理", min),
		fmt.Sprintf("too many failed logins: try again in %d minutes, or ask an administrator", min))
}
