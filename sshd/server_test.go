package sshd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/seed"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/tui"
	"golang.org/x/crypto/bcrypt"
	gossh "golang.org/x/crypto/ssh"
)

func TestMain(m *testing.M) {
	auth.Cost = bcrypt.MinCost // the logins, not bcrypt's slowness, are under test
	os.Exit(m.Run())
}

const (
	bossPassword = "boss-password-1"
	wangPassword = "wang-password-1"
)

// harness is a real store with seeded residents in 幸福里社区 and one in
// 月亮社区, the admin boss (password only) and the worker wang of 幸福里社区
// (a key and a password), and the SSH server on a loopback port.
type harness struct {
	db       *store.DB
	srv      *Server
	addr     string
	dir      string
	wangKey  gossh.Signer
	here     lifeline.Resident // a resident of 幸福里社区
	far      *lifeline.Resident
	printDir string
}

func newHarness(t *testing.T, configure func(*Config)) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{dir: t.TempDir()}
	db, err := store.Open(ctx, filepath.Join(h.dir, "lifeline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h.db = db
	var batch lifeline.ImportBatch
	err = seed.Generate(seed.Config{Residents: 60, Seed: 3}, func(hh *seed.Household) error {
		batch.Residents = append(batch.Residents, hh.Members...)
		batch.Updates = append(batch.Updates, hh.Updates...)
		return nil
	})
	if err == nil {
		_, err = db.Import(ctx, &batch)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range batch.Residents {
		if r.Doc.Number != "" && r.Address.Building == "1" {
			h.here = r
			break
		}
	}
	h.far = &lifeline.Resident{Name: "月光远", Doc: lifeline.Document{Type: lifeline.DocPassport, Number: "E77665544", Nationality: "GBR"},
		Address: lifeline.Address{Community: "月亮社区", Building: "9", Unit: "1", Room: "101"}}
	if err := db.CreateResident(ctx, h.far); err != nil {
		t.Fatal(err)
	}
	add := func(s lifeline.Staff, password string) {
		hash, err := auth.HashPassword(password)
		if err != nil {
			t.Fatal(err)
		}
		s.PasswordHash = hash
		if err := db.CreateStaff(ctx, &s); err != nil {
			t.Fatal(err)
		}
	}
	add(lifeline.Staff{User: "boss", Role: lifeline.RoleAdmin}, bossPassword)
	add(lifeline.Staff{User: "wang", Community: h.here.Address.Community}, wangPassword)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	h.wangKey, _ = gossh.NewSignerFromKey(priv)
	keys, err := ParseKeys(bytes.NewReader(gossh.MarshalAuthorizedKey(h.wangKey.PublicKey())), "test", "wang")
	if err == nil {
		err = db.AddStaffKey(ctx, &keys[0])
	}
	if err != nil {
		t.Fatal(err)
	}
	keyDir, printDir := filepath.Join(h.dir, "keys"), filepath.Join(h.dir, "prints")
	if _, _, err := code.EnsureActiveKey(keyDir, time.Now()); err != nil {
		t.Fatal(err)
	}
	desk, err := tui.Desk(db, lifeline.Zh, tui.DeskPlaces{Site: "ssh-test", PrintDir: printDir, Check: code.VerifierSetup{Dir: filepath.Join(h.dir, "checkpoint"), KeyDir: keyDir}})
	if err != nil {
		t.Fatal(err)
	}
	desk.Debounce = time.Millisecond
	h.printDir = printDir
	cfg := Config{HostKey: filepath.Join(h.dir, HostKeyName), Desk: desk, Log: testLog{t}}
	if configure != nil {
		configure(&cfg)
	}
	h.srv, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.srv.Serve(sctx, ln) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return h
}

type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// dial connects as user with the given ways to log in, and returns the
// banners the server sent.
func (h *harness) dial(user string, methods ...gossh.AuthMethod) (*gossh.Client, *bytes.Buffer, error) {
	var banners bytes.Buffer
	hostKey := h.srv.signer.PublicKey()
	c, err := gossh.Dial("tcp", h.addr, &gossh.ClientConfig{
		User: user, Auth: methods, Timeout: 10 * time.Second,
		HostKeyCallback: gossh.FixedHostKey(hostKey),
		BannerCallback:  func(m string) error { banners.WriteString(m); return nil },
	})
	return c, &banners, err
}

// term is one session's terminal as a client sees it.
type term struct {
	t    *testing.T
	sess *gossh.Session
	in   io.WriteCloser
	mu   sync.Mutex
	out  bytes.Buffer
	seen int // how much of out waitFor has passed
	done chan error
}

// open starts a session with a terminal of 80x24 on c.
func open(t *testing.T, c *gossh.Client) *term {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	tm := &term{t: t, sess: sess, done: make(chan error, 1)}
	if err := sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	tm.in, _ = sess.StdinPipe()
	sess.Stdout = tm
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() { tm.done <- sess.Wait() }()
	return tm
}

func (tm *term) Write(b []byte) (int, error) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.Write(b)
}

// text is what the terminal received from seen on, without escapes.
func (tm *term) text() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return ansi.Strip(tm.out.String()[tm.seen:])
}

// waitFor waits until the terminal has shown every one of want since the
// last waitFor, and moves past it.
func (tm *term) waitFor(want ...string) {
	tm.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := tm.text()
		missing := ""
		for _, w := range want {
			if !strings.Contains(got, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			tm.mu.Lock()
			tm.seen = tm.out.Len()
			tm.mu.Unlock()
			return
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("the screen never showed %q; it showed:\n%s", missing, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (tm *term) typ(s string) {
	tm.t.Helper()
	if _, err := io.WriteString(tm.in, s); err != nil {
		tm.t.Fatal(err)
	}
}

// exit waits for the session to end and returns its exit status.
func (tm *term) exit() int {
	tm.t.Helper()
	select {
	case err := <-tm.done:
		if ee, ok := err.(*gossh.ExitError); ok {
			return ee.ExitStatus()
		}
		if err != nil {
			tm.t.Fatalf("session: %v", err)
		}
		return 0
	case <-time.After(10 * time.Second):
		tm.t.Fatal("the session did not end")
	}
	return -1
}

// audit returns the audit log's entries with one of the actions, oldest
// first.
func (h *harness) audit(t *testing.T, actions ...string) []lifeline.AuditEntry {
	t.Helper()
	log, err := h.db.AuditLog(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []lifeline.AuditEntry
	for i := len(log) - 1; i >= 0; i-- {
		for _, a := range actions {
			if log[i].Action == a {
				out = append(out, log[i])
			}
		}
	}
	return out
}

// TestKeyLogin: a key logs wang in with no login screen, to a screen that
// reaches only his community, with every audit entry naming the session
// and address; Ctrl-C ends that session alone.
func TestKeyLogin(t *testing.T) {
	h := newHarness(t, nil)
	c, _, err := h.dial("wang", gossh.PublicKeys(h.wangKey))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tm := open(t, c)
	tm.waitFor("查找：", "wang ("+h.here.Address.Community+")", "已登录：wang")
	if strings.Contains(tm.text(), "社区工作人员登录") {
		t.Fatal("a key login showed the login screen")
	}
	tm.typ(h.far.Doc.Number)
	tm.waitFor("没有找到")
	tm.typ(strings.Repeat("\x7f", len(h.far.Doc.Number)) + h.here.Doc.Tail(4))
	tm.waitFor(h.here.Name)

	// A second session, of the admin, at the same time: its own program.
	c2, _, err := h.dial("boss", gossh.Password(bossPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	tm2 := open(t, c2)
	tm2.waitFor("boss (管理员·全部社区)")
	tm2.typ(h.far.Doc.Number)
	tm2.waitFor(h.far.Name)

	tm.typ("\x03") // Ctrl-C
	if code := tm.exit(); code != 0 {
		t.Errorf("Ctrl-C: exit status %d", code)
	}
	tm2.typ("x")
	tm2.waitFor(h.far.Doc.Number + "x")

	logins := h.audit(t, "login")
	if len(logins) != 2 || logins[0].Actor != "staff:wang" || !strings.HasPrefix(logins[0].Detail, "key SHA256:") || logins[1].Detail != "password" {
		t.Fatalf("logins audited as %+v", logins)
	}
	place := logins[0].Place
	if !strings.HasPrefix(place, "ssh 127.0.0.1:") || !strings.Contains(place, " session ") {
		t.Fatalf("login place %q, want the address and session", place)
	}
	finds := 0
	for _, e := range h.audit(t, "find", "logout") {
		if e.Actor == "staff:wang" {
			finds++
			if e.Place != place {
				t.Errorf("%s of wang audited at %q, want %q", e.Action, e.Place, place)
			}
		}
	}
	if finds < 2 {
		t.Errorf("%d entries of wang's session, want the searches and the logout", finds)
	}
}

// TestPasswordLoginAndRefusals: the password logs in; a wrong one, or a
// name nobody has, is refused in the same words, sent as a banner.
func TestPasswordLoginAndRefusals(t *testing.T) {
	h := newHarness(t, nil)
	_, banners, err := h.dial("wang", gossh.Password("not-the-password"))
	if err == nil {
		t.Fatal("a wrong password logged in")
	}
	_, unknownBanners, err := h.dial("nobody", gossh.Password("not-the-password"))
	if err == nil {
		t.Fatal("an unknown user logged in")
	}
	if !strings.Contains(banners.String(), "用户名或密码错误") || banners.String() != unknownBanners.String() {
		t.Fatalf("a wrong password says %q, an unknown user %q", banners, unknownBanners)
	}
	c, _, err := h.dial("wang", gossh.Password(wangPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tm := open(t, c)
	tm.waitFor("wang (")
	failed := h.audit(t, "login_failed")
	if len(failed) != 2 || !strings.HasPrefix(failed[0].Place, "ssh 127.0.0.1:") || failed[0].Detail != "user wang: wrong password" || failed[1].Detail != "unknown user name: wrong password" {
		t.Fatalf("failures audited as %+v", failed)
	}
}

// TestWrongKey: a key nobody added logs nobody in, and the attempt is in
// the audit trail with the key and the address.
func TestWrongKey(t *testing.T) {
	h := newHarness(t, nil)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	other, _ := gossh.NewSignerFromKey(priv)
	if _, _, err := h.dial("wang", gossh.PublicKeys(other)); err == nil {
		t.Fatal("an unknown key logged in")
	}
	// wang's key does not log in as boss either.
	if _, _, err := h.dial("boss", gossh.PublicKeys(h.wangKey)); err == nil {
		t.Fatal("wang's key logged in as boss")
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(h.audit(t, "login_failed")) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	failed := h.audit(t, "login_failed")
	if len(failed) == 2 && strings.HasPrefix(failed[0].Detail, "user boss") {
		failed[0], failed[1] = failed[1], failed[0] // written in the same millisecond
	}
	if len(failed) != 2 || !strings.Contains(failed[0].Detail, gossh.FingerprintSHA256(other.PublicKey())) ||
		!strings.HasPrefix(failed[0].Detail, "user wang: key not registered") || !strings.HasPrefix(failed[0].Place, "ssh 127.0.0.1:") {
		t.Fatalf("wrong keys audited as %+v", failed)
	}
}

// TestTenFailuresInARow: five wrong passwords lock wang at this address
// (not at a desk); ten from the address block it for every name; both
// are audited, and an admin's unlock lifts the lock.
func TestTenFailuresInARow(t *testing.T) {
	h := newHarness(t, nil)
	var last string
	for i := 0; i < maxAddressFailures; i++ {
		_, banners, err := h.dial("wang", gossh.Password("wrong-password"))
		if err == nil {
			t.Fatalf("attempt %d logged in", i+1)
		}
		last = banners.String()
	}
	if !strings.Contains(last, "已锁定") {
		t.Errorf("the tenth attempt says %q, want the lock", last)
	}
	_, banners, err := h.dial("boss", gossh.Password(bossPassword))
	if err == nil || !strings.Contains(banners.String(), "登录失败次数过多") {
		t.Fatalf("the right password of another name from the blocked address: %v, %q", err, banners)
	}
	// At a desk wang is not locked: nobody can lock a colleague out of
	// every desk.
	if _, err := auth.Login(context.Background(), h.db, "wang", wangPassword, "console desk-1", time.Now()); err != nil {
		t.Fatalf("wang at a desk: %v", err)
	}
	// Five failures, the lock, then five refused while it holds.
	if f, l, r := len(h.audit(t, "login_failed")), len(h.audit(t, "login_locked")), len(h.audit(t, "login_refused")); f != 5 || l != 1 || r != 5 {
		t.Errorf("audited %d failures, %d locks, %d refusals; want 5, 1, 5", f, l, r)
	}
	blocked := h.audit(t, "login_blocked")
	if len(blocked) != 1 || !strings.Contains(blocked[0].Detail, "address 127.0.0.1") {
		t.Errorf("blocks audited as %+v", blocked)
	}
	if n, err := h.db.UnlockStaff(context.Background(), "wang"); err != nil || n != 1 {
		t.Errorf("unlock: %d, %v", n, err)
	}
}

// TestIdleTimeout: a session with no key pressed ends by itself, saying
// why; the audit trail has its logout.
func TestIdleTimeout(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.IdleTimeout = 400 * time.Millisecond })
	c, _, err := h.dial("wang", gossh.PublicKeys(h.wangKey))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tm := open(t, c)
	tm.waitFor("wang (")
	tm.waitFor("会话已结束：", "无操作")
	tm.exit()
	if out := h.audit(t, "logout"); len(out) != 1 || !strings.Contains(out[0].Detail, "无操作") {
		t.Errorf("logout audited as %+v", out)
	}
}

// TestSessionCap: past MaxSessions a session is told to come back later.
func TestSessionCap(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxSessions = 1 })
	c, _, err := h.dial("wang", gossh.PublicKeys(h.wangKey))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first := open(t, c)
	first.waitFor("wang (")
	c2, _, err := h.dial("boss", gossh.Password(bossPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	second := open(t, c2)
	second.waitFor("达到上限")
	if code := second.exit(); code != 1 {
		t.Errorf("refused session: exit status %d", code)
	}
}

// TestDisabledAccountKey: a disabled account's key is refused in words.
func TestDisabledAccountKey(t *testing.T) {
	h := newHarness(t, nil)
	if err := h.db.SetStaffDisabled(context.Background(), "wang", true); err != nil {
		t.Fatal(err)
	}
	c, _, err := h.dial("wang", gossh.PublicKeys(h.wangKey))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tm := open(t, c)
	tm.waitFor("该账号已停用")
	if code := tm.exit(); code != 1 {
		t.Errorf("exit status %d", code)
	}
	if r := h.audit(t, "login_refused"); len(r) != 1 || !strings.Contains(r[0].Detail, "disabled") {
		t.Errorf("refusal audited as %+v", r)
	}
}

// TestResizeRedraws: a window change redraws at the new width.
func TestResizeRedraws(t *testing.T) {
	h := newHarness(t, nil)
	c, _, err := h.dial("boss", gossh.Password(bossPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tm := open(t, c)
	tm.waitFor("boss (")
	if err := tm.sess.WindowChange(30, 100); err != nil {
		t.Fatal(err)
	}
	// The title line runs the width of the window: its right end moves.
	title := " 生命线 · 查找居民" + strings.Repeat(" ", 100-ansi.StringWidth(" 生命线 · 查找居民")-ansi.StringWidth("boss (管理员·全部社区) ")) + "boss (管理员·全部社区)"
	tm.waitFor(title)
}

// TestDroppedConnectionMidBatch: the connection drops while a building
// prints; the batch is cancelled whole: no file, and no code recorded.
func TestDroppedConnectionMidBatch(t *testing.T) {
	var h *harness
	dropped := make(chan struct{})
	var drop sync.Once
	var conn net.Conn
	h = newHarness(t, func(c *Config) {
		real := c.Desk.Print
		c.Desk.Print = func(ctx context.Context, job tui.PrintJob, progress func(done, total int)) (tui.PrintResult, error) {
			return real(ctx, job, func(done, total int) {
				progress(done, total)
				if done == 3 {
					drop.Do(func() { conn.Close(); close(dropped) })
					<-ctx.Done() // the rest waits for the drop to be seen
				}
			})
		}
	})
	nc, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	conn = nc
	sc, chans, reqs, err := gossh.NewClientConn(nc, h.addr, &gossh.ClientConfig{User: "boss", Auth: []gossh.AuthMethod{gossh.Password(bossPassword)},
		HostKeyCallback: gossh.FixedHostKey(h.srv.signer.PublicKey())})
	if err != nil {
		t.Fatal(err)
	}
	c := gossh.NewClient(sc, chans, reqs)
	tm := open(t, c)
	tm.waitFor("boss (")
	tm.typ("1-")
	tm.waitFor(h.here.Name)
	tm.typ("\r")
	tm.waitFor("最新检测")
	tm.typ("p")
	// The print screen says where the codes go: on the server.
	host, _ := os.Hostname()
	tm.waitFor("整栋楼", "服务器 "+host+"：PDF 文件保存在 "+h.printDir[:20])
	tm.typ("3")
	tm.waitFor("按 y 开始打印") // a building is confirmed first
	tm.typ("y")
	select {
	case <-dropped:
	case <-time.After(20 * time.Second):
		t.Fatal("the batch never reached its third code")
	}
	deadline := time.Now().Add(10 * time.Second)
	for h.srv.Sessions() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := h.srv.Sessions(); n != 0 {
		t.Fatalf("%d sessions open after the drop", n)
	}
	files, _ := filepath.Glob(filepath.Join(h.printDir, "*"))
	if len(files) != 0 {
		t.Errorf("the dropped batch left %v", files)
	}
	if issued := h.audit(t, "issue_code"); len(issued) != 0 {
		t.Errorf("the dropped batch recorded %d codes", len(issued))
	}
	if out := h.audit(t, "logout"); len(out) != 1 || out[0].Detail != "connection dropped" {
		t.Errorf("logout audited as %+v", out)
	}
}

// TestHostKeyKept: the host key is made once, 0600, and kept; one others
// may read is refused.
func TestHostKeyKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), HostKeyName)
	a, made, err := LoadHostKey(path)
	if err != nil || !made {
		t.Fatalf("first load: made %v, %v", made, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("host key is %04o", st.Mode().Perm())
	}
	b, made, err := LoadHostKey(path)
	if err != nil || made || gossh.FingerprintSHA256(a.PublicKey()) != gossh.FingerprintSHA256(b.PublicKey()) {
		t.Fatalf("second load: made %v, %v, same key %v", made, err, gossh.FingerprintSHA256(a.PublicKey()) == gossh.FingerprintSHA256(b.PublicKey()))
	}
	os.Chmod(path, 0o644)
	if _, _, err := LoadHostKey(path); lifeline.ErrorCode(err) != lifeline.EINVALID || !strings.Contains(lifeline.ErrorMessage(err, lifeline.En), "chmod 600") {
		t.Fatalf("a readable host key: %v", err)
	}
}
