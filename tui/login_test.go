package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
)

func TestLoginFocusAndSuccess(t *testing.T) {
	f := newFixture(t)
	m := New(f.config())
	if !m.login.user.Focused() || m.login.password.Focused() {
		t.Fatal("the user field must have the focus at start")
	}
	tm := run(t, f.config())
	waitFor(t, tm, "社区工作人员登录")
	login(t, tm, "wang")
	fm := final(t, tm)
	if fm.Staff() == nil || fm.Staff().User != "wang" {
		t.Fatalf("logged in as %+v, want wang", fm.Staff())
	}
	if fm.current != screenFind {
		t.Errorf("after login the screen is %d, want find", fm.current)
	}
	if fm.login.password.Value() != "" {
		t.Error("the password stays in memory after login")
	}
}

func TestLoginView(t *testing.T) {
	f := newFixture(t)
	tm := run(t, f.config())
	tm.Type("wang")
	tm.Send(enter)
	tm.Type("wrong-password")
	tm.Send(enter)
	waitFor(t, tm, "用户名或密码错误")
	fm := final(t, tm)
	if fm.Staff() != nil {
		t.Fatal("a wrong password logged in")
	}
	if !fm.login.password.Focused() {
		t.Error("after a wrong password the password field should have the focus again")
	}
	requireGolden(t, fm)
}

func TestLoginLocksAfterFiveFailures(t *testing.T) {
	f := newFixture(t)
	tm := run(t, f.config())
	tm.Type("wang")
	tm.Send(enter)
	for i := 0; i < lifeline.MaxLoginFailures; i++ {
		tm.Type("nope-nope")
		tm.Send(enter)
		if left := lifeline.MaxLoginFailures - 1 - i; left > 0 {
			waitFor(t, tm, fmt.Sprintf("再错 %d 次", left))
		}
	}
	waitFor(t, tm, "已锁定")
	fm := final(t, tm)
	if fm.Staff() != nil {
		t.Fatal("a locked account logged in")
	}
	if st, isErr := fm.Status(); !isErr || !strings.Contains(st, "1 分钟后再试") {
		t.Errorf("status %q, want the lock sentence", st)
	}
	place := f.config().Place
	if place == "" {
		place = "console " + f.config().Site
	}
	st, err := f.db.LoginState(context.Background(), "wang", place, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if want := testNow.Add(lifeline.LockFor(1)); !st.LockedUntil.Equal(want) {
		t.Errorf("locked at %q until %v, want %v", place, st.LockedUntil, want)
	}
	// During the lock even the right password is refused.
	if _, err := auth.Login(context.Background(), f.db, "wang", testPassword, place, testNow.Add(30*time.Second)); lifeline.ErrorCode(err) != lifeline.ELOCKED {
		t.Fatalf("right password during the lock: %v, want locked", err)
	}
	// After the lock, the right password works and clears it.
	later := testNow.Add(lifeline.LockFor(1) + time.Second)
	if _, err := auth.Login(context.Background(), f.db, "wang", testPassword, place, later); err != nil {
		t.Fatalf("login after the lock: %v", err)
	}
	// The attempts are in the audit log, with the desk.
	log, err := f.db.AuditLog(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range log {
		seen[e.Action]++
		if strings.HasPrefix(e.Action, "login") && e.Place != place {
			t.Errorf("%s audited at %q, want %q", e.Action, e.Place, place)
		}
	}
	if seen["login_failed"] != lifeline.MaxLoginFailures || seen["login_locked"] != 1 || seen["login_refused"] != 1 || seen["login"] != 1 {
		t.Errorf("audited %v", seen)
	}
}

func TestLoginUnknownUser(t *testing.T) {
	f := newFixture(t)
	m := New(f.config())
	mm, cmd := m.Update(runes("nobody"))
	mm, _ = mm.Update(enter)
	mm, _ = mm.Update(runes(testPassword))
	mm, cmd = mm.Update(enter)
	if cmd == nil {
		t.Fatal("Enter on the password did not start a login")
	}
	// Run the login command and everything it batches until it answers.
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			if c == nil {
				continue
			}
			if lm, ok := c().(loggedInMsg); ok {
				msg = lm
			}
		}
	}
	lm, ok := msg.(loggedInMsg)
	if !ok {
		t.Fatalf("login command returned %T", msg)
	}
	if lifeline.ErrorCode(lm.err) != lifeline.EUNAUTHORIZED {
		t.Fatalf("unknown user: %v, want unauthorized", lm.err)
	}
	mm, _ = mm.Update(lm)
	// The same words as a known user's wrong password: no probing.
	_, known := auth.Login(context.Background(), f.db, "wang", "wrong-password", "console elsewhere", testNow)
	if st, isErr := mm.(Model).Status(); !isErr || st != lifeline.ErrorMessage(known, lifeline.Zh) {
		t.Errorf("status %q (error %v), want %q", st, isErr, lifeline.ErrorMessage(known, lifeline.Zh))
	}
}

// F10 ends the session: back at the login with the user field focused, and
// nothing of the last worker's search or resident left for the next one.
func TestLogoutClearsTheSession(t *testing.T) {
	f := newFixture(t)
	tm := run(t, f.config())
	login(t, tm, "wang")
	tm.Type(f.zhang.Doc.Tail(4))
	waitFor(t, tm, "张三丰")
	tm.Send(enter)
	waitFor(t, tm, "绿 码")
	tm.Send(tea.KeyMsg{Type: tea.KeyF10})
	waitFor(t, tm, "已退出登录：wang", "社区工作人员登录")
	// Another login starts on an empty find screen.
	login(t, tm, "wang")
	fm := final(t, tm)
	if fm.Staff() == nil || fm.current != screenFind {
		t.Fatalf("after logging in again: staff %+v, screen %d", fm.Staff(), fm.current)
	}
	if fm.find.input.Value() != "" || len(fm.find.results) != 0 || fm.resident.r != nil {
		t.Errorf("the last session is still there: query %q, %d results, resident %v", fm.find.input.Value(), len(fm.find.results), fm.resident.r)
	}
	if strings.Contains(fm.View(), "张三丰") {
		t.Errorf("the last session's resident is on the screen:\n%s", fm.View())
	}
}

func TestLogoutIsNotAKeyBeforeLogin(t *testing.T) {
	f := newFixture(t)
	m := New(f.config())
	mm, _ := m.Update(tea.KeyMsg{Type: tea.KeyF10})
	if got := mm.(Model); got.current != screenLogin || got.Staff() != nil {
		t.Fatalf("F10 before login: screen %d, staff %+v", got.current, got.Staff())
	}
}

// A batch running at logout is cancelled; its last message, arriving after
// the next worker has started a job of their own, must not end that job.
func TestLogoutDropsTheCancelledBatchsLastMessage(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	cfg.Print = func(ctx context.Context, job PrintJob, progress func(done, total int)) (PrintResult, error) {
		<-ctx.Done()
		return PrintResult{}, ctx.Err()
	}
	var mm tea.Model = New(cfg)
	step := func(msg tea.Msg) { mm, _ = mm.Update(msg) }
	staff, err := f.db.StaffByUser(context.Background(), "wang")
	if err != nil {
		t.Fatal(err)
	}
	step(loggedInMsg{staff: staff})
	step(navMsg{to: screenPrint, resident: f.zhang})
	step(runes("1"))
	old := mm.(Model).print.run
	if !mm.(Model).print.running {
		t.Fatal("the first batch did not start")
	}
	step(tea.KeyMsg{Type: tea.KeyF10})
	step(loggedInMsg{staff: staff})
	step(navMsg{to: screenPrint, resident: f.zhang})
	step(runes("1"))
	step(printDoneMsg{run: old, err: context.Canceled})
	if m := mm.(Model); !m.print.running {
		t.Fatalf("the cancelled batch's last message ended the next worker's job (status %q)", m.e.status)
	}
}
