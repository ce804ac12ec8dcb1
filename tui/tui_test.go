package tui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/muesli/termenv"
	"golang.org/x/crypto/bcrypt"
)

func TestMain(m *testing.M) {
	// Goldens are plain text at 80x24. Screens show China time whatever
	// the machine's zone: the local zone is set far from it here, so a
	// time shown in the machine's zone would show up in the goldens.
	lipgloss.SetColorProfile(termenv.Ascii)
	time.Local = time.FixedZone("UTC-7", -7*3600)
	os.Exit(m.Run())
}

// testNow is the fixed clock of every screen test.
var testNow = time.Date(2026, 4, 10, 7, 0, 0, 0, time.UTC)

const testPassword = "correct-horse-9"

// fixture is a real SQLite store in a temp dir with a few residents in two
// communities and two staff accounts: wang (幸福社区) and admin.
type fixture struct {
	db  *store.DB
	dir string
	// zhang lives in 幸福社区 12-3-501 with li; wu is in 12-1-101; zhao is
	// in another community.
	zhang, li, wu, zhao *lifeline.Resident
}

// mainlandID completes 17 digits with their GB 11643 check character.
func mainlandID(t testing.TB, first17 string) string {
	c, ok := lifeline.MainlandIDCheckDigit(first17)
	if !ok {
		t.Fatalf("bad ID prefix %s", first17)
	}
	return first17 + string(c)
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "lifeline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = func() time.Time { return testNow }
	f := &fixture{db: db, dir: dir}
	add := func(name, id17 string, sex lifeline.Sex, phone string, a lifeline.Address, c lifeline.Color, tested time.Duration) *lifeline.Resident {
		r := &lifeline.Resident{Name: name, Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: mainlandID(t, id17)}, Sex: sex, Address: a}
		if phone != "" {
			r.Phones = []string{phone}
		}
		if err := db.CreateResident(ctx, r); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		u := lifeline.StatusUpdate{ResidentID: r.ID, Color: c, At: testNow.Add(-tested)}
		if tested > 0 {
			u.Test = &lifeline.TestResult{SampledAt: testNow.Add(-tested), Result: lifeline.Negative, Site: "12号楼采样点"}
		}
		if _, err := db.RecordResult(ctx, u); err != nil {
			t.Fatalf("status of %s: %v", name, err)
		}
		got, err := db.Resident(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	home := lifeline.Address{Community: "幸福社区", Building: "12", Unit: "3", Room: "501"}
	f.zhang = add("张三丰", "11010519560302123", lifeline.Male, "+8613812345678", home, lifeline.Green, 23*time.Hour)
	f.li = add("李秀英", "11010519580815232", lifeline.Female, "", home, lifeline.Yellow, 50*time.Hour)
	f.wu = add("吴建国", "11010519700101345", lifeline.Male, "+8613900001111", lifeline.Address{Community: "幸福社区", Building: "12", Unit: "1", Room: "101"}, lifeline.Red, 0)
	f.zhao = add("赵六", "11010519800101457", lifeline.Male, "+8613700002222", lifeline.Address{Community: "和平社区", Building: "3", Unit: "1", Room: "201"}, lifeline.Green, 5*time.Hour)
	for _, s := range []lifeline.Staff{
		{User: "wang", Community: "幸福社区", Role: lifeline.RoleStaff},
		{User: "admin", Role: lifeline.RoleAdmin},
	} {
		h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		s.PasswordHash = string(h)
		if err := db.CreateStaff(ctx, &s); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fixture) config() Config {
	return Config{Store: f.db, Lang: lifeline.Zh, Now: func() time.Time { return testNow }, Site: "幸福社区服务站", Debounce: time.Millisecond}
}

// run starts the staff screen at 80x24.
func run(t *testing.T, cfg Config) *teatest.TestModel {
	t.Helper()
	tm := teatest.NewTestModel(t, New(cfg), teatest.WithInitialTermSize(80, 24))
	t.Cleanup(func() { tm.Quit() })
	return tm
}

// waitFor waits until the program's output shows every one of want.
// Output is consumed, so each call sees only what was drawn since the last.
func waitFor(t *testing.T, tm *teatest.TestModel, want ...string) {
	t.Helper()
	var seen []byte
	shown := func(out []byte) bool {
		seen = out
		for _, w := range want {
			if !bytes.Contains(out, []byte(w)) {
				return false
			}
		}
		return true
	}
	met := false
	defer func() {
		// teatest.WaitFor fails with the raw output; say what was missing
		// and what the screen drew, without its escapes.
		if !met {
			t.Logf("screen never showed %q; it drew:\n%s", want, ansi.Strip(string(seen)))
		}
	}()
	teatest.WaitFor(t, tm.Output(), shown, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
	met = true
}

var (
	enter = tea.KeyMsg{Type: tea.KeyEnter}
	esc   = tea.KeyMsg{Type: tea.KeyEscape}
	down  = tea.KeyMsg{Type: tea.KeyDown}
	up    = tea.KeyMsg{Type: tea.KeyUp}
	tab   = tea.KeyMsg{Type: tea.KeyTab}
)

func runes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

func fkey(n int) tea.KeyMsg {
	return tea.KeyMsg{Type: []tea.KeyType{0, tea.KeyF1, tea.KeyF2, tea.KeyF3, tea.KeyF4, tea.KeyF5, tea.KeyF6}[n]}
}

// login logs in as user and waits for the find screen.
func login(t *testing.T, tm *teatest.TestModel, user string) {
	t.Helper()
	tm.Type(user)
	tm.Send(enter)
	tm.Type(testPassword)
	tm.Send(enter)
	waitFor(t, tm, "已登录")
}

// runEnglish starts the staff screen in English and logs in as wang.
func runEnglish(t *testing.T, f *fixture) *teatest.TestModel {
	t.Helper()
	cfg := f.config()
	cfg.Lang = lifeline.En
	tm := run(t, cfg)
	tm.Type("wang")
	tm.Send(enter)
	tm.Type(testPassword)
	tm.Send(enter)
	waitFor(t, tm, "Logged in")
	return tm
}

// final stops the program and returns its last state.
func final(t *testing.T, tm *teatest.TestModel) Model {
	t.Helper()
	tm.Quit()
	return tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
}

// requireGolden compares the screen with testdata/<test>.golden; go test
// ./tui -update rewrites it.
func requireGolden(t *testing.T, m Model) {
	t.Helper()
	v := m.View()
	for i, l := range strings.Split(v, "\n") {
		if w := lipgloss.Width(l); w > 80 {
			t.Errorf("line %d is %d columns wide, more than 80: %q", i+1, w, l)
		}
	}
	if n := strings.Count(v, "\n") + 1; n != 24 {
		t.Errorf("view has %d lines, want 24", n)
	}
	golden.RequireEqual(t, []byte(v))
}
