package tui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/cups"
	"github.com/lifeline-health/lifeline/internal/cupstest"
)

// TestPaperPrinter: a person's card and a household's cards are printed
// to PDF files named after them, every code recorded against its holder;
// without a signing key nothing is printed.
func TestPaperPrinter(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	keys, out := filepath.Join(f.dir, "keys"), filepath.Join(f.dir, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	print := PaperPrinter(f.db, keys, out)
	if _, err := print(ctx, PrintJob{Scope: PrintPerson, Resident: f.zhang, Staff: "wang"}, func(int, int) {}); err == nil {
		t.Fatal("printed without a signing key")
	}
	if _, err := code.GenerateKey(keys, time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		job    PrintJob
		prefix string
		who    []*lifeline.Resident
	}{
		{PrintJob{Scope: PrintPerson, Resident: f.zhang, Staff: "wang"}, "card-", []*lifeline.Resident{f.zhang}},
		{PrintJob{Scope: PrintHousehold, Resident: f.zhang, Filter: lifeline.ResidentFilter{HouseholdID: f.zhang.HouseholdID}, Staff: "wang", Large: true},
			"large-household-", []*lifeline.Resident{f.zhang, f.li}},
	} {
		last := 0
		res, err := print(ctx, c.job, func(done, total int) {
			if total != len(c.who) {
				t.Errorf("progress total %d, want %d", total, len(c.who))
			}
			last = done
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Codes != len(c.who) || last != len(c.who) || len(res.Files) != 1 || !strings.HasPrefix(filepath.Base(res.Files[0]), c.prefix) {
			t.Fatalf("%s: %+v (progress to %d)", c.prefix, res, last)
		}
		if st, err := os.Stat(res.Files[0]); err != nil || st.Size() == 0 {
			t.Fatalf("%s: file %v", c.prefix, err)
		}
	}
	for _, r := range []*lifeline.Resident{f.zhang, f.li, f.wu} {
		cs, err := f.db.IssuedCodes(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[*lifeline.Resident]int{f.zhang: 2, f.li: 1}[r]
		if len(cs) != want || (want > 0 && cs[0].IssuedBy != "wang") {
			t.Errorf("%s holds %d codes, want %d, issued by wang", r.Name, len(cs), want)
		}
	}
}

// TestPrintToCUPSFromTheScreen prints from the staff screen through a real,
// private CUPS scheduler: the card's PDF is handed to the desk's printer
// and followed until the printer has it, the file arriving as written; a
// stopped printer is said with its reason while the PDF stays; P chooses
// another printer (here: PDF files only) and keeps it for the account.
func TestPrintToCUPSFromTheScreen(t *testing.T) {
	srv := cupstest.Start(t)
	f := newFixture(t)
	keys := filepath.Join(f.dir, "keys")
	if _, err := code.GenerateKey(keys, time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	settings := filepath.Join(f.dir, "printers.json")
	cfg, err := Desk(f.db, lifeline.Zh, DeskPlaces{Site: "desk", Check: code.VerifierSetup{KeyDir: keys}, PrintDir: filepath.Join(f.dir, "out"), Printer: cupstest.Queue, PrintSettings: settings})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Now, cfg.Debounce = f.config().Now, time.Millisecond
	tm := openZhang(t, f, cfg)
	tm.Send(runes("p"))
	waitFor(t, tm, "打印机："+cupstest.Queue)
	tm.Send(runes("1"))
	waitFor(t, tm, "打印机 lifeline 已收到 card-")
	jobs := srv.WaitJobs(t, 1)
	pdfs, _ := filepath.Glob(filepath.Join(f.dir, "out", "card-*.pdf"))
	if len(pdfs) != 1 {
		t.Fatalf("card files %v", pdfs)
	}
	sent, _ := os.ReadFile(pdfs[0])
	if got, _ := os.ReadFile(jobs[0]); !bytes.Equal(got, sent) || !bytes.HasPrefix(got, []byte("%PDF-")) {
		t.Fatal("the printer got something else than the card's PDF")
	}

	cupstest.Run(t, "cupsdisable", "-r", "out of paper", cupstest.Queue)
	tm.Send(runes("k")) // a spare card: the first stays valid
	tm.Send(runes("1"))
	waitFor(t, tm, "打印机 lifeline 已停止（out of paper）：作业 lifeline-2 在排队", "文件保存在")
	if pdfs, _ := filepath.Glob(filepath.Join(f.dir, "out", "card-*.pdf")); len(pdfs) != 2 {
		t.Fatalf("card files while the printer is stopped: %v", pdfs)
	}
	cupstest.Run(t, "cupsenable", cupstest.Queue)
	waitFor(t, tm, "打印机 lifeline 已收到")

	tm.Send(runes("P"))
	waitFor(t, tm, "打印机：不连打印机，只生成 PDF 文件")
	final(t, tm)
	s, err := cups.LoadSettings(settings)
	if err != nil || s.PrinterFor("wang") != "" || s.Accounts == nil {
		t.Fatalf("the choice is not kept for wang: %+v, %v", s, err)
	}
}

// TestPaperPrinterBuilding: a building is printed with its distribution
// list beside the cards, every file named by its full path; the earlier
// card of someone in it is revoked, unless the job keeps it.
func TestPaperPrinterBuilding(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	keys := filepath.Join(f.dir, "keys")
	if _, err := code.GenerateKey(keys, time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(f.dir)
	print := PaperPrinter(f.db, keys, ".")
	if _, err := print(ctx, PrintJob{Scope: PrintPerson, Resident: f.zhang, Staff: "wang"}, func(int, int) {}); err != nil {
		t.Fatal(err)
	}
	job := PrintJob{Scope: PrintBuilding, Resident: f.zhang, Filter: lifeline.ResidentFilter{Community: "幸福社区", Building: "12"}, Staff: "wang", StartAt: 4}
	res, err := print(ctx, job, func(int, int) {})
	if err != nil {
		t.Fatal(err)
	}
	if res.Codes != 3 || res.Revoked != 1 || len(res.Files) != 2 || !strings.HasSuffix(res.Files[1], "-list.pdf") {
		t.Fatalf("building: %+v", res)
	}
	for _, file := range res.Files {
		if !filepath.IsAbs(file) || filepath.Dir(file) != f.dir {
			t.Errorf("%s is not the full path in %s", file, f.dir)
		}
	}
	codes, err := f.db.IssuedCodes(ctx, f.zhang.ID)
	if err != nil {
		t.Fatal(err)
	}
	valid := 0
	for _, c := range codes {
		if !c.Revoked() {
			valid++
		}
	}
	if len(codes) != 2 || valid != 1 {
		t.Fatalf("zhang holds %d codes, %d valid; want the reprint to revoke the first", len(codes), valid)
	}
}
