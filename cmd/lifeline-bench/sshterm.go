package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"
)

// screen is what an SSH session's terminal shows, line by line, rebuilt
// from the frames the staff screen's renderer (bubbletea's, in the
// alternate screen) writes: each frame starts at the top left (CSI H),
// paints the lines that changed, each a full width of text or ended by
// erase-to-the-end (CSI K), steps over the others with a line feed (which
// the SSH server sends as CR LF, as a terminal would show it), and ends
// by placing the cursor below the last line (CSI row H). Colours and other
// escapes are dropped.
type screen struct {
	mu      sync.Mutex
	lines   [64]string
	line    int
	cur     strings.Builder
	painted bool          // the current line was written, not stepped over
	escape  []byte        // an escape sequence being read
	changed chan struct{} // signalled (without blocking) after each frame's end
}

func newScreen() *screen { return &screen{changed: make(chan struct{}, 1)} }

// Write takes what the server sent.
func (s *screen) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range b {
		switch {
		case s.escape != nil:
			s.escape = append(s.escape, c)
			if len(s.escape) > 1 && (c >= 0x40 && c <= 0x7e) && (s.escape[1] != '[' || len(s.escape) > 2) {
				s.control(string(s.escape))
				s.escape = nil
			}
		case c == 0x1b:
			s.escape = []byte{c}
		case c == '\r':
		case c == '\n':
			if s.painted {
				s.set()
			}
			s.line = min(s.line+1, len(s.lines)-1)
		default:
			s.cur.WriteByte(c)
			s.painted = true
		}
	}
	return len(b), nil
}

// control handles one escape sequence.
func (s *screen) control(seq string) {
	switch {
	case seq == "\x1b[H":
		s.line, s.painted = 0, false
		s.cur.Reset()
	case seq == "\x1b[K":
		s.painted = true
	case strings.HasPrefix(seq, "\x1b[") && strings.HasSuffix(seq, "H"):
		// The frame's end: its last line has no line feed after it.
		if s.painted {
			s.set()
		}
		select {
		case s.changed <- struct{}{}:
		default:
		}
	case seq == "\x1b[J" || seq == "\x1b[0J":
		for i := s.line + 1; i < len(s.lines); i++ {
			s.lines[i] = ""
		}
	}
}

func (s *screen) set() {
	s.lines[s.line] = ansi.Strip(s.cur.String())
	s.cur.Reset()
	s.painted = false
}

// shows reports whether line i (0 the title) holds want.
func (s *screen) shows(i int, want string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Contains(s.lines[i], want)
}

// text is the whole screen, for errors.
func (s *screen) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines[:24], "\n")
}

// waitUntil waits until ok holds of the screen, up to d.
func (s *screen) waitUntil(ok func() bool, d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for !ok() {
		select {
		case <-s.changed:
		case <-deadline.C:
			return ok()
		}
	}
	return true
}

// terminal is one SSH session of the staff screen at 80x24.
type terminal struct {
	client *gossh.Client
	in     io.Writer
	screen *screen
}

// openTerminal logs in on addr as user with signer and waits for the find
// screen.
func openTerminal(addr, user string, signer gossh.Signer, hostKey gossh.PublicKey) (*terminal, error) {
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: user, Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.FixedHostKey(hostKey), Timeout: 30 * time.Second})
	if err != nil {
		return nil, err
	}
	sess, err := c.NewSession()
	if err == nil {
		err = sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{})
	}
	var in io.WriteCloser
	if err == nil {
		in, err = sess.StdinPipe()
	}
	t := &terminal{client: c, in: in, screen: newScreen()}
	if err == nil {
		sess.Stdout = t.screen
		err = sess.Shell()
	}
	if err == nil && !t.screen.waitUntil(func() bool { return t.screen.shows(1, "查找：") }, 30*time.Second) {
		err = fmt.Errorf("no find screen after logging in:\n%s", t.screen.text())
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return t, nil
}
