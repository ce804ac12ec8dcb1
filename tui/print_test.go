package tui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
)

// listPrinter stands in for package print: it walks the residents a job
// selects in the real store, reports progress after each, and writes their
// names to a text file. gate, if set, is read before each resident, so a
// test can hold the batch in the middle.
func listPrinter(f *fixture, gate chan struct{}) Printer {
	return func(ctx context.Context, job PrintJob, progress func(done, total int)) (PrintResult, error) {
		var rs []*lifeline.Resident
		if job.Scope == PrintPerson {
			rs = []*lifeline.Resident{job.Resident}
		} else if err := f.db.EachResident(ctx, job.Filter, func(r *lifeline.Resident) error { rs = append(rs, r); return nil }); err != nil {
			return PrintResult{}, err
		}
		name := fmt.Sprintf("print-%d-%d.txt", job.Scope, job.Resident.ID)
		var body []byte
		for i, r := range rs {
			if gate != nil {
				select {
				case <-gate:
				case <-ctx.Done():
					return PrintResult{}, ctx.Err()
				}
			}
			body = append(body, r.Name+"\n"...)
			progress(i+1, len(rs))
		}
		if err := os.WriteFile(filepath.Join(f.dir, name), body, 0o644); err != nil {
			return PrintResult{}, err
		}
		return PrintResult{Files: []string{name}, Codes: len(rs)}, nil
	}
}

func TestPrintBuildingWithProgress(t *testing.T) {
	f := newFixture(t)
	gate := make(chan struct{})
	cfg := f.config()
	cfg.Print = listPrinter(f, gate)
	tm := openZhang(t, f, cfg)
	tm.Send(runes("p"))
	waitFor(t, tm, "整栋楼（12 号楼")
	// A whole building is asked first, with how many codes and households.
	tm.Send(runes("3"))
	waitFor(t, tm, "整栋楼（12 号楼）：3 张码，2 户。按 y 开始打印")
	tm.Send(runes("y"))
	gate <- struct{}{}
	waitFor(t, tm, "1 / 3 张")
	gate <- struct{}{}
	gate <- struct{}{}
	waitFor(t, tm, "完成")
	fm := final(t, tm)
	if fm.print.result == nil || fm.print.result.Codes != 3 {
		t.Fatalf("printed %+v, want the 3 residents of building 12", fm.print.result)
	}
	b, err := os.ReadFile(filepath.Join(f.dir, fm.print.result.Files[0]))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "吴建国\n张三丰\n李秀英\n" {
		t.Errorf("printed %q, want building 12 in room order", b)
	}
	requireGolden(t, fm)
}

func TestPrintCancel(t *testing.T) {
	f := newFixture(t)
	gate := make(chan struct{})
	cfg := f.config()
	cfg.Print = listPrinter(f, gate)
	tm := openZhang(t, f, cfg)
	tm.Send(runes("p"))
	tm.Send(runes("2"))
	waitFor(t, tm, "按 esc 取消")
	tm.Send(esc)
	waitFor(t, tm, "已取消打印")
	fm := final(t, tm)
	if fm.print.running || fm.print.result != nil {
		t.Fatalf("after cancel: running %v result %+v", fm.print.running, fm.print.result)
	}
}

func TestPrintNotConfigured(t *testing.T) {
	f := newFixture(t)
	tm := openZhang(t, f, f.config())
	tm.Send(runes("p"))
	tm.Send(runes("1"))
	waitFor(t, tm, "未配置打印")
}

// L on the print screen switches between wallet cards and large type, and
// the job says which.
func TestPrintLargeType(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	jobs := make(chan PrintJob, 2)
	cfg.Print = func(ctx context.Context, job PrintJob, progress func(done, total int)) (PrintResult, error) {
		jobs <- job
		progress(1, 1)
		return PrintResult{Files: []string{"x.pdf"}, Codes: 1}, nil
	}
	tm := openZhang(t, f, cfg)
	tm.Send(runes("p"))
	waitFor(t, tm, "卡片（身份证大小，每页 10 张）")
	tm.Send(runes("L"))
	waitFor(t, tm, "大字（每页一个码，A4）")
	tm.Send(runes("1"))
	waitFor(t, tm, "完成")
	if job := <-jobs; !job.Large || job.Scope != PrintPerson {
		t.Fatalf("job after L then 1 = %+v, want large type for this person", job)
	}
	tm.Send(runes("l"))
	waitFor(t, tm, "版式：卡片")
	tm.Send(runes("1"))
	if job := <-jobs; job.Large {
		t.Fatalf("job after a second l = %+v, want cards", job)
	}
	final(t, tm)
}

// A new card revokes the earlier ones; the screen says how many.
func TestPrintSaysEarlierCardsRevoked(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	cfg.Print = func(ctx context.Context, job PrintJob, progress func(done, total int)) (PrintResult, error) {
		progress(1, 1)
		return PrintResult{Files: []string{"x.pdf"}, Codes: 1, Revoked: 2}, nil
	}
	tm := openZhang(t, f, cfg)
	tm.Send(runes("p"))
	waitFor(t, tm, "以前的卡：新卡印好后吊销")
	tm.Send(runes("1"))
	waitFor(t, tm, "以前的 2 张已吊销")
	final(t, tm)
}

// TestPrintRateWaitsForTheStart: the rate and time left show only after a
// second: over the first code they are the start's, not the batch's.
func TestPrintRateWaitsForTheStart(t *testing.T) {
	now := testNow
	e := &env{cfg: Config{Now: func() time.Time { return now }}, lang: lifeline.En}
	s, _ := newPrintScreen(e).start(&lifeline.Resident{Name: "Zhang San"})
	s.running, s.started, s.done, s.total = true, testNow, 1, 411
	now = testNow.Add(50 * time.Millisecond)
	if v := s.view(80, 24); !strings.Contains(v, "1 / 411 codes") || strings.Contains(v, "/s") {
		t.Fatalf("after 50 ms:\n%s", v)
	}
	s.done = 205
	now = testNow.Add(2 * time.Second)
	if v := s.view(80, 24); !strings.Contains(v, "205 / 411 codes  102/s  about 2s left") {
		t.Fatalf("after 2 s:\n%s", v)
	}
}

// A reprint offers to revoke the earlier card (the default) or keep it;
// the card position of a partly used sheet is chosen with ←→.
func TestPrintReprintAndStartAt(t *testing.T) {
	f := newFixture(t)
	old := lifeline.IssuedCode{Serial: []byte("0123456789abcdef"), ResidentID: f.zhang.ID, KeyID: "0011223344556677", IssuedAt: testNow.Add(-time.Hour), ExpiresAt: testNow.Add(time.Hour)}
	if err := f.db.RecordIssued(context.Background(), []lifeline.IssuedCode{old}); err != nil {
		t.Fatal(err)
	}
	cfg := f.config()
	jobs := make(chan PrintJob, 2)
	cfg.Print = func(ctx context.Context, job PrintJob, progress func(done, total int)) (PrintResult, error) {
		jobs <- job
		return PrintResult{Files: []string{"/srv/prints/card.pdf"}, Codes: 1, Revoked: 1}, nil
	}
	tm := openZhang(t, f, cfg)
	tm.Send(runes("p"))
	waitFor(t, tm, "以前的卡：新卡印好后吊销（此人现有 1 张有效卡）", "从第一页的第 1 个位置印起")
	tm.Send(tea.KeyMsg{Type: tea.KeyRight})
	tm.Send(tea.KeyMsg{Type: tea.KeyRight})
	waitFor(t, tm, "第 3 个位置")
	tm.Send(runes("1"))
	waitFor(t, tm, "以前的 1 张已吊销", "/srv/prints/card.pdf")
	if job := <-jobs; job.KeepPrevious || job.StartAt != 3 {
		t.Fatalf("first job %+v, want the earlier card revoked, from position 3", job)
	}
	tm.Send(runes("k"))
	waitFor(t, tm, "保留，仍然有效（备用卡）")
	tm.Send(runes("1"))
	if job := <-jobs; !job.KeepPrevious {
		t.Fatalf("after k: %+v, want the earlier cards kept", job)
	}
	final(t, tm)
}
