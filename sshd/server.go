// Package sshd serves the staff screen over SSH, with charmbracelet/wish
// on golang.org/x/crypto/ssh: a colleague's laptop, or a phone with an SSH
// app, opens the same screen on the same store, with nothing installed at
// the desk.
//
// A worker logs in as their staff account (ssh wang@office-pc -p 2222):
// with an SSH key added by lifeline staff key add, which skips the login
// screen, or with the account's password, asked by their SSH client.
// Each session is the screen of package tui, as at the console: its own
// program, searches and print view, the account's community and rights
// (the store decides scope from the actor in the context, as at the
// console), an idle timeout, and an audit trail that says which session
// and address did what. Wrong passwords lock the name at the address, as
// at a desk (auth.Login); beyond that an address, and a user name tried
// from anywhere, are refused for a while after too many failures in a
// row.
package sshd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/activeterm"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/tui"
	"github.com/muesli/termenv"
	gossh "golang.org/x/crypto/ssh"
)

// Defaults of Config.
const (
	DefaultIdleTimeout = 15 * time.Minute
	DefaultMaxSessions = 20
)

// Limits on logging in, as OpenSSH's sshd has its own.
const (
	// loginGrace is how long a connection has to log in (LoginGraceTime).
	loginGrace = time.Minute
	// maxAddressFailures failed logins in a row from one address, or
	// maxUserFailures for one user name from anywhere, within limitWindow
	// refuse that address (or the name's passwords over SSH) for
	// limitBlock. Keys still log the name in: they cannot be guessed.
	maxAddressFailures = 10
	maxUserFailures    = 20
	limitWindow        = 15 * time.Minute
	limitBlock         = 15 * time.Minute
	// maxPasswordChecks bounds the passwords checked at once: bcrypt is
	// slow on purpose, and a flood of guesses must not starve the
	// sessions of the CPU.
	maxPasswordChecks = 4
)

// Config is what the SSH server serves.
type Config struct {
	// Addr is the address to listen on (":2222").
	Addr string
	// HostKey is the host key's file (DefaultHostKeyPath), made if absent.
	HostKey string
	// Desk is the screen every session runs (tui.Desk: store, language,
	// printing, checking, site); each session gets its own copy, with
	// its account, place, context and idle timeout.
	Desk tui.Config
	// IdleTimeout ends a session after this long without a key; zero
	// means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxSessions is how many sessions may be open at once; zero means
	// DefaultMaxSessions.
	MaxSessions int
	// Log is where the server says what happens (start, sessions, blocks);
	// nil means nowhere.
	Log io.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is the staff screen's SSH server.
type Server struct {
	cfg     Config
	store   lifeline.Store
	signer  gossh.Signer
	madeKey bool
	ssh     *ssh.Server
	host    string // the server's name, which sessions print on

	addrs, users *limiter
	checks       chan struct{} // password checks running

	mu       sync.Mutex
	sessions int
	pending  int // connections not logged in yet
	logMu    sync.Mutex
}

// New loads (or makes) the host key and sets up the server.
func New(cfg Config) (*Server, error) {
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Desk.Lang == "" {
		cfg.Desk.Lang = lifeline.Zh
	}
	signer, made, err := LoadHostKey(cfg.HostKey)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	s := &Server{
		cfg: cfg, store: cfg.Desk.Store, signer: signer, madeKey: made, host: host,
		addrs:  newLimiter(maxAddressFailures, limitWindow, limitBlock),
		users:  newLimiter(maxUserFailures, limitWindow, limitBlock),
		checks: make(chan struct{}, maxPasswordChecks),
	}
	// The screen's styles render through lipgloss's one renderer, which
	// sees no terminal in a server: give it the colours of a common one.
	lipgloss.SetColorProfile(termenv.ANSI256)
	s.ssh, err = wish.NewServer(
		wish.WithAddress(cfg.Addr),
		wish.WithVersion("lifeline"),
		func(srv *ssh.Server) error { srv.AddHostKey(signer); return nil },
		wish.WithPublicKeyAuth(s.publicKey),
		func(srv *ssh.Server) error {
			srv.ServerConfigCallback = s.serverConfig
			srv.ConnCallback = s.accept
			return nil
		},
		// Composed last to first: a session without a terminal is refused
		// before it reaches the screen.
		wish.WithMiddleware(s.session, activeterm.Middleware()),
	)
	if err != nil {
		return nil, fmt.Errorf("ssh server: %w", err)
	}
	return s, nil
}

// Fingerprint is the host key's SHA-256 fingerprint, as ssh shows it on a
// first connection: workers compare the two.
func (s *Server) Fingerprint() string { return gossh.FingerprintSHA256(s.signer.PublicKey()) }

// MadeHostKey reports whether New made the host key (it did not exist).
func (s *Server) MadeHostKey() bool { return s.madeKey }

// Sessions returns how many sessions are open.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// Serve serves connections from ln until ctx ends, then closes every
// connection and returns nil.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			s.ssh.Close()
		case <-done:
		}
	}()
	err := s.ssh.Serve(ln)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// Listen listens on Config.Addr.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法在 "+s.cfg.Addr+" 上监听 SSH", "cannot listen for SSH on "+s.cfg.Addr))
	}
	return ln, nil
}

// logf writes one line to Config.Log.
func (s *Server) logf(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.cfg.Log, "%s ssh: %s\n", s.cfg.Now().In(lifeline.ChinaTime).Format("2006-01-02 15:04:05"), fmt.Sprintf(format, args...))
}

func (s *Server) t(zh, en string) string { return s.cfg.Desk.Lang.Pick(zh, en) }

// Start listens on Config.Addr and says on out where, with which host key
// fingerprint and limits; the function it returns serves until ctx ends.
func (s *Server) Start(out io.Writer) (serve func(ctx context.Context) error, err error) {
	ln, err := s.Listen()
	if err != nil {
		return nil, err
	}
	made := s.t("已有", "kept")
	if s.madeKey {
		made = s.t("刚生成", "made now")
	}
	fmt.Fprintf(out, s.t("工作人员界面通过 SSH 在 %s 提供（最多 %d 个会话，%s 无操作自动退出）。\n主机密钥指纹 %s（%s，%s）：工作人员第一次连接时请核对。\n",
		"staff screen over SSH on %s (at most %d sessions; idle ones end after %s).\nhost key fingerprint %s (%s, %s): workers check it on their first connection.\n"),
		ln.Addr(), s.cfg.MaxSessions, s.cfg.IdleTimeout, s.Fingerprint(), s.cfg.HostKey, made)
	return func(ctx context.Context) error { return s.Serve(ctx, ln) }, nil
}
