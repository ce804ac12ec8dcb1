package cups

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/internal/cupstest"
	"github.com/lifeline-health/lifeline/paper"
)

// TestSubmitAndFollow prints through a real, private CUPS scheduler: the
// job is followed until the printer has it, and what the printer got is
// the file, byte for byte. A stopped printer is reported with its reason
// and the job prints once it is started again.
func TestSubmitAndFollow(t *testing.T) {
	srv := cupstest.Start(t)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "cards.pdf")
	body := []byte("%PDF-1.4\n% a test page\n")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	p := Printer{Name: cupstest.Queue}
	if names, err := Printers(ctx); err != nil || len(names) != 1 || names[0] != cupstest.Queue {
		t.Fatalf("Printers = %v, %v", names, err)
	}
	job, err := p.Submit(ctx, file, "cards")
	if err != nil {
		t.Fatal(err)
	}
	var seen []Status
	if err := p.Follow(ctx, job, 50*time.Millisecond, func(s Status) { seen = append(seen, s) }); err != nil {
		t.Fatal(err)
	}
	if last := seen[len(seen)-1]; !last.Done || last.Job != job {
		t.Fatalf("follow ended with %+v", last)
	}
	jobs := srv.WaitJobs(t, 1)
	if got, _ := os.ReadFile(jobs[0]); !bytes.Equal(got, body) {
		t.Fatalf("the printer got %q", got)
	}

	cupstest.Run(t, "cupsdisable", "-r", "paper jam", cupstest.Queue)
	job, err = p.Submit(ctx, file, "cards")
	if err != nil {
		t.Fatal(err)
	}
	stopped := make(chan Status, 100)
	done := make(chan error, 1)
	go func() {
		done <- p.Follow(ctx, job, 50*time.Millisecond, func(s Status) { stopped <- s })
	}()
	if s := <-stopped; s.Done || s.Printer != Stopped || s.Reason != "paper jam" {
		t.Fatalf("a stopped printer: %+v", s)
	}
	cupstest.Run(t, "cupsenable", cupstest.Queue)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	srv.WaitJobs(t, 2)
}

// TestMissingPrinterOrScheduler: a printer CUPS does not know is not
// found; no scheduler is unavailable; both say so in one sentence.
func TestMissingPrinterOrScheduler(t *testing.T) {
	cupstest.Start(t)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "x.pdf")
	os.WriteFile(file, []byte("%PDF-1.4\n"), 0o644)
	_, err := Printer{Name: "nosuch"}.Submit(ctx, file, "x")
	if lifeline.ErrorCode(err) != lifeline.ENOTFOUND || lifeline.ErrorMessage(err, lifeline.En) != "there is no printer called nosuch (lpstat -p lists them)" {
		t.Fatalf("missing printer: %v", err)
	}
	if _, _, err := (Printer{Name: "nosuch"}).State(ctx); lifeline.ErrorCode(err) != lifeline.ENOTFOUND {
		t.Fatalf("state of a missing printer: %v", err)
	}
	t.Setenv("CUPS_SERVER", filepath.Join(t.TempDir(), "none.sock"))
	if _, err := (Printer{Name: cupstest.Queue}).Submit(ctx, file, "x"); lifeline.ErrorCode(err) != lifeline.EUNAVAILABLE {
		t.Fatalf("no scheduler: %v", err)
	}
	if _, err := Printers(ctx); lifeline.ErrorCode(err) != lifeline.EUNAVAILABLE {
		t.Fatalf("no scheduler, listing: %v", err)
	}
}

// TestSettings: a desk's printer, an account's own choice over it, and
// each printer's offset, kept in a file across runs.
func TestSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "printers.json")
	s, err := LoadSettings(path)
	if err != nil || s.PrinterFor("wang") != "" {
		t.Fatalf("no file yet: %+v, %v", s, err)
	}
	s.Default = "office"
	s = s.WithAccount("li", "upstairs").WithAccount("zhao", "").WithOffset("office", paper.Offset{X: 1.5, Y: -0.5})
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadSettings(path)
	if err != nil {
		t.Fatal(err)
	}
	for user, want := range map[string]string{"wang": "office", "li": "upstairs", "zhao": ""} {
		if got := back.PrinterFor(user); got != want {
			t.Errorf("PrinterFor(%s) = %q, want %q", user, got, want)
		}
	}
	if o := back.Offset("office"); o != (paper.Offset{X: 1.5, Y: -0.5}) || back.Offset("upstairs") != (paper.Offset{}) {
		t.Errorf("offsets %+v", back.Offsets)
	}
	os.WriteFile(path, []byte("{not json"), 0o644)
	if _, err := LoadSettings(path); lifeline.ErrorCode(err) != lifeline.EINVALID {
		t.Errorf("a broken file: %v", err)
	}
	if f := SettingsFile("/srv/lifeline/l.db"); f != "/srv/lifeline/printers.json" {
		t.Errorf("SettingsFile = %s", f)
	}
}
