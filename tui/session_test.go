package tui

import (
	"context"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// clock is a test clock that moves when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// check runs the session check due now and what it asks the store.
func check(t *testing.T, m tea.Model) tea.Model {
	t.Helper()
	m, cmd := m.Update(sessionTickMsg{n: m.(Model).e.ticks})
	if cmd != nil {
		if msg, ok := cmd().(accountMsg); ok {
			m, _ = m.Update(msg)
		}
	}
	return m
}

// TestIdleLogsOut: at a desk a worker idle for IdleTimeout is logged out,
// back to the login; a key pressed in time keeps them in.
func TestIdleLogsOut(t *testing.T) {
	f := newFixture(t)
	c := &clock{t: testNow}
	cfg := f.config()
	cfg.Now, cfg.IdleTimeout = c.now, 5*time.Minute
	staff, err := f.db.StaffByUser(context.Background(), "wang")
	if err != nil {
		t.Fatal(err)
	}
	var m tea.Model = New(cfg)
	m, _ = m.Update(loggedInMsg{staff: staff})
	c.add(4 * time.Minute)
	m, _ = m.Update(runes("1"))
	c.add(4 * time.Minute)
	if m = check(t, m); m.(Model).Staff() == nil {
		t.Fatal("logged out though a key was pressed 4 minutes ago")
	}
	c.add(time.Minute)
	m = check(t, m)
	if m.(Model).Staff() != nil || m.(Model).current != screenLogin {
		t.Fatal("still logged in after 5 idle minutes")
	}
	if st, isErr := m.(Model).Status(); !isErr || st != "已退出登录（wang）：5 分钟无操作" {
		t.Errorf("status %q", st)
	}
}

// TestDisabledAccountLogsOut: an account disabled while its screen is
// open is logged out at the next check; one whose screen came logged in
// with its connection (SSH) ends the program.
func TestDisabledAccountLogsOut(t *testing.T) {
	f := newFixture(t)
	staff, err := f.db.StaffByUser(context.Background(), "wang")
	if err != nil {
		t.Fatal(err)
	}
	var m tea.Model = New(f.config())
	m, _ = m.Update(loggedInMsg{staff: staff})
	if m = check(t, m); m.(Model).Staff() == nil {
		t.Fatal("logged out while the account is active")
	}
	if err := f.db.SetStaffDisabled(context.Background(), "wang", true); err != nil {
		t.Fatal(err)
	}
	if m = check(t, m); m.(Model).Staff() != nil {
		t.Fatal("a disabled account stays logged in")
	}

	cfg := f.config()
	cfg.Staff = staff
	remote := New(cfg)
	if remote.current != screenFind || remote.Staff() == nil || !remote.find.input.Focused() {
		t.Fatal("a screen logged in with its connection does not start at find, focused")
	}
	_, cmd := remote.Update(sessionTickMsg{n: remote.e.ticks})
	if cmd == nil {
		t.Fatal("no account check")
	}
	end, quit := remote.Update(cmd().(accountMsg))
	if quit == nil || quit() != tea.Quit() || end.(Model).Ended() != "账号已停用" {
		t.Fatalf("a disabled SSH worker's screen: ended %q", end.(Model).Ended())
	}
}
