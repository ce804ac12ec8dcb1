package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/cups"
	"github.com/lifeline-health/lifeline/internal/cupstest"
	"github.com/lifeline-health/lifeline/paper"
	"github.com/lifeline-health/lifeline/store"
)

// printFixture is a store with two buildings of residents and a signing
// key, in a temporary directory.
type printFixture struct {
	dir, dbPath, keys string
	residents         []lifeline.Resident
}

func idNumber(stem string) string {
	c, _ := lifeline.MainlandIDCheckDigit(stem)
	return stem + string(c)
}

func newPrintFixture(t *testing.T) *printFixture {
	t.Helper()
	f := &printFixture{dir: t.TempDir()}
	f.dbPath = filepath.Join(f.dir, "l.db")
	f.keys = filepath.Join(f.dir, "keys")
	if _, err := code.GenerateKey(f.keys, time.Now().Add(-time.Hour), time.Now().Add(60*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b lifeline.ImportBatch
	for i := 0; i < 14; i++ {
		b.Residents = append(b.Residents, lifeline.Resident{
			Name: []string{"张三丰", "李娜", "王小明", "赵喆"}[i%4],
			Doc:  lifeline.Document{Type: lifeline.DocMainlandID, Number: idNumber(fmt.Sprintf("11010519%02d0101%03d", 50+i, i))},
			Address: lifeline.Address{Community: "阳光社区", Building: fmt.Sprint(1 + i%2), Unit: "1",
				Room: fmt.Sprint(101 + 100*(i/4))},
		})
	}
	b.Residents = append(b.Residents, lifeline.Resident{
		Name: "John Smith", Doc: lifeline.Document{Type: lifeline.DocPassport, Number: "E12345678", Nationality: "USA"},
		Address: lifeline.Address{Community: "幸福里社区", Building: "1", Unit: "1", Room: "101"},
	})
	if _, err := db.Import(ctx, &b); err != nil {
		t.Fatal(err)
	}
	f.residents = b.Residents
	return f
}

func (f *printFixture) run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	all := append([]string{"--db", f.dbPath, "--lang", "en", "print", "--keys", f.keys}, args...)
	code = run(context.Background(), all, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func (f *printFixture) issued(t *testing.T) map[int64][]lifeline.IssuedCode {
	t.Helper()
	db, err := store.Open(context.Background(), f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := map[int64][]lifeline.IssuedCode{}
	for _, r := range f.residents {
		cs, err := db.IssuedCodes(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) > 0 {
			m[r.ID] = cs
		}
	}
	return m
}

func TestPrintBuilding(t *testing.T) {
	f := newPrintFixture(t)
	out := filepath.Join(f.dir, "b1.pdf")
	code, stdout, stderr := f.run(t, "--building", "1", "--community", "阳光社区", "--out", out, "--by", "clerk")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// A building is handed out door to door: its distribution list too.
	list := filepath.Join(f.dir, "b1-list.pdf")
	if stdout != out+"\n"+list+"\n" {
		t.Fatalf("stdout %q, want the cards and the list", stdout)
	}
	if b, err := os.ReadFile(list); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("no distribution list: %v", err)
	}
	b, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("no PDF: %v", err)
	}
	got := f.issued(t)
	for _, r := range f.residents {
		inBuilding := r.Address.Building == "1" && r.Address.Community == "阳光社区"
		cs := got[r.ID]
		if inBuilding != (len(cs) == 1) {
			t.Errorf("resident %d (building %s, %s): %d codes recorded", r.ID, r.Address.Building, r.Address.Community, len(cs))
		}
		// Issued by the system user running print; --by is a note.
		if cli := auth.CommandLineActor("").User; len(cs) == 1 && cs[0].IssuedBy != cli {
			t.Errorf("issued by %q, want %q", cs[0].IssuedBy, cli)
		}
	}
	if !strings.Contains(stderr, "wrote 2 files, 1 page, 7 codes, all recorded.") {
		t.Errorf("stderr: %s", stderr)
	}
}

// A new card revokes the earlier ones (a lost card stops counting);
// --keep-previous prints a spare and keeps them.
func TestPrintOnePersonRevokesEarlierCards(t *testing.T) {
	f := newPrintFixture(t)
	r := f.residents[0]
	for i, args := range [][]string{{}, {"--keep-previous"}, {}} {
		out := filepath.Join(f.dir, fmt.Sprintf("p%d.pdf", i))
		if code, _, stderr := f.run(t, append([]string{"--resident", strings.ToLower(r.Doc.Number), "--layout", "large", "--page", "a5", "--out", out}, args...)...); code != 0 {
			t.Fatalf("run %d: exit %d: %s", i, code, stderr)
		}
		cs := f.issued(t)[r.ID]
		valid := 0
		for _, c := range cs {
			if !c.Revoked() {
				valid++
			}
		}
		if want := []int{1, 2, 1}[i]; len(cs) != i+1 || valid != want {
			t.Fatalf("after run %d: %d codes, %d valid, want %d valid", i, len(cs), valid, want)
		}
	}
}

func TestPrintHousehold(t *testing.T) {
	f := newPrintFixture(t)
	out := filepath.Join(f.dir, "h.pdf")
	// 1-1-101 exists in two communities: the address alone is ambiguous.
	if code, _, stderr := f.run(t, "--household", "1-1-101", "--out", out); code != 1 || !strings.Contains(stderr, "--community") {
		t.Fatalf("ambiguous address: exit %d: %s", code, stderr)
	}
	code, _, stderr := f.run(t, "--household", "1-1-101", "--community", "阳光社区", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := f.issued(t)
	n := 0
	for _, r := range f.residents {
		if len(got[r.ID]) > 0 {
			n++
			if r.Address.Short() != "1-1-101" || r.Address.Community != "阳光社区" {
				t.Errorf("printed %s of %s", r.Address.Short(), r.Address.Community)
			}
		}
	}
	if n != 2 {
		t.Fatalf("printed %d residents, want the household's 2", n)
	}
	// The same household by its id.
	id := f.residents[0].HouseholdID
	if code, _, stderr := f.run(t, "--household", fmt.Sprint(id), "--out", out); code != 0 {
		t.Fatalf("by id %d: exit %d: %s", id, code, stderr)
	}
}

// TestPrintHouseholdWithoutUnits: a household of a roster without units
// is printed by building-room, the way the staff screen shows it; its
// neighbour in unit 101 of the same building is not.
func TestPrintHouseholdWithoutUnits(t *testing.T) {
	f := newPrintFixture(t)
	ctx := lifeline.WithActor(context.Background(), lifeline.Actor{User: "test"})
	db, err := store.Open(ctx, f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	var rs []lifeline.Resident
	for i, a := range []lifeline.Address{{Community: "阳光社区", Building: "5", Room: "101"}, {Community: "阳光社区", Building: "5", Unit: "101", Room: "1"}} {
		r := lifeline.Resident{Name: "钱无忌", Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: idNumber(fmt.Sprintf("11010519700101%d00", i))}, Address: a}
		if err := db.CreateResident(ctx, &r); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	db.Close()
	if got := rs[0].Address.Short(); got != "5-101" {
		t.Fatalf("Short = %q, want 5-101", got)
	}
	out := filepath.Join(f.dir, "h.pdf")
	if code, _, stderr := f.run(t, "--household", "5-101", "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f.residents = append(f.residents, rs...)
	got := f.issued(t)
	if len(got[rs[0].ID]) != 1 || len(got[rs[1].ID]) != 0 {
		t.Fatalf("codes: %d for 5-101, %d for 5-101-1; want 1 and 0", len(got[rs[0].ID]), len(got[rs[1].ID]))
	}
	if code, _, stderr := f.run(t, "--household", "5-101-1-2", "--out", out); code == 0 || !strings.Contains(stderr, "12-501") {
		t.Fatalf("--household 5-101-1-2: exit %d: %s", code, stderr)
	}
}

func TestPrintFromListReportsEveryBadLine(t *testing.T) {
	f := newPrintFixture(t)
	list := filepath.Join(f.dir, "list.txt")
	content := "# residents for Tuesday\n" + f.residents[0].Doc.Number + "\n\n  abc  \n" +
		idNumber("11010519800101999") + "  # not on the roster\n" + f.residents[0].Doc.Number + "\n"
	os.WriteFile(list, []byte(content), 0o644)
	out := filepath.Join(f.dir, "l.pdf")
	code, _, stderr := f.run(t, "--from", list, "--out", out)
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	for _, want := range []string{list + ":4: ", list + ":5: no resident holds", list + ":6: same person as line 2", "3 bad line(s)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, idNumber("11010519800101999")) {
		t.Error("a full document number was echoed")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) || len(f.issued(t)) != 0 {
		t.Fatal("printed despite a bad list")
	}
	os.WriteFile(list, []byte(f.residents[3].Doc.Number+"\n"+f.residents[14].Doc.Number+"\n"), 0o644)
	if code, _, stderr := f.run(t, "--from", list, "--out", out); code != 0 {
		t.Fatalf("good list: exit %d: %s", code, stderr)
	}
	if n := len(f.issued(t)); n != 2 {
		t.Fatalf("%d residents printed, want 2", n)
	}
}

func TestPrintSplitsCommunity(t *testing.T) {
	f := newPrintFixture(t)
	out := filepath.Join(f.dir, "c.pdf")
	code, stdout, stderr := f.run(t, "--community", "阳光社区", "--pages-per-file", "1", "--out", out, "--no-list", "--at", time.Now().Format(time.RFC3339))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := filepath.Join(f.dir, "c-001.pdf") + "\n" + filepath.Join(f.dir, "c-002.pdf") + "\n"
	if stdout != want {
		t.Fatalf("stdout %q, want %q", stdout, want)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "c-list.pdf")); err == nil {
		t.Error("--no-list wrote a distribution list")
	}
	if !strings.Contains(stderr, "codes laid out") {
		t.Errorf("no progress on stderr: %s", stderr)
	}
}

func TestPrintUsage(t *testing.T) {
	f := newPrintFixture(t)
	for _, args := range [][]string{
		{"--building", "1"}, // no --out
		{"--out", "x.pdf"},  // no selection
		{"--out", "x.pdf", "--resident", "1", "--building", "2"}, // two
		{"--out", "x.pdf", "--building", "1", "--layout", "poster"},
		{"--out", "x.pdf", "--building", "1", "--pages-per-file", "0"},
		{"--out", "x.pdf", "--building", "1", "--page", "a5"},
	} {
		if code, _, _ := f.run(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, stderr := f.run(t, "--out", filepath.Join(f.dir, "n.pdf"), "--building", "99"); code != 1 || !strings.Contains(stderr, "no residents") {
		t.Errorf("empty building: exit %d: %s", code, stderr)
	}
}

// TestPrintToPrinter prints through a real, private CUPS scheduler: the
// cards reach the printer as written and the command says so; an offset
// given with --printer is kept for it and used by the calibration page
// printed next; a printer that does not exist is one sentence, and the
// PDF stays.
func TestPrintToPrinter(t *testing.T) {
	srv := cupstest.Start(t)
	f := newPrintFixture(t)
	out := filepath.Join(f.dir, "card.pdf")
	rc, _, stderr := f.run(t, "--resident", f.residents[0].Doc.Number, "--out", out, "--printer", cupstest.Queue, "--offset-x", "1.5", "--offset-y", "-0.5", "--start-at", "3")
	if rc != 0 || !strings.Contains(stderr, "the printer lifeline has card.pdf") {
		t.Fatalf("exit %d: %s", rc, stderr)
	}
	jobs := srv.WaitJobs(t, 1)
	sent, _ := os.ReadFile(out)
	if got, _ := os.ReadFile(jobs[0]); !bytes.Equal(got, sent) {
		t.Fatal("the printer got something else than the PDF")
	}
	if s, err := cups.LoadSettings(filepath.Join(f.dir, "printers.json")); err != nil || s.Offset(cupstest.Queue) != (paper.Offset{X: 1.5, Y: -0.5}) {
		t.Fatalf("offset not kept for the printer: %+v, %v", s, err)
	}

	cal := filepath.Join(f.dir, "calibrate.pdf")
	if rc, _, stderr := f.run(t, "--calibrate", "--out", cal, "--printer", cupstest.Queue); rc != 0 {
		t.Fatalf("calibrate: exit %d: %s", rc, stderr)
	}
	jobs = srv.WaitJobs(t, 2)
	if text, err := exec.Command("pdftotext", jobs[1], "-").Output(); err != nil || !strings.Contains(string(text), "x +1.5 mm, y -0.5 mm") {
		t.Fatalf("the calibration page printed is not moved by the kept offset: %s %v", text, err)
	}

	rc, _, stderr = f.run(t, "--resident", f.residents[1].Doc.Number, "--out", filepath.Join(f.dir, "two.pdf"), "--printer", "nosuch")
	if rc != 1 || strings.TrimSpace(stderr) == "" || !strings.Contains(stderr, "there is no printer called nosuch") {
		t.Fatalf("missing printer: exit %d: %s", rc, stderr)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "two.pdf")); err != nil {
		t.Fatalf("the PDF of a print to a missing printer is gone: %v", err)
	}
}
