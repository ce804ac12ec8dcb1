package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
)

// PrintScope says whose paper codes a print job makes.
type PrintScope int

// Print scopes, from the resident screen.
const (
	PrintPerson PrintScope = iota
	PrintHousehold
	PrintBuilding
)

// PrintJob is one print run started from the staff screen.
type PrintJob struct {
	Scope PrintScope
	// Resident is the person the job was started from (PrintPerson: the
	// only one printed).
	Resident *lifeline.Resident
	// Filter selects the residents of a household or building batch.
	Filter lifeline.ResidentFilter
	// Staff is who printed, recorded on every issued code.
	Staff string
	// Large prints one code per A4 page in very large type (for people
	// with poor eyesight) instead of wallet cards.
	Large bool
}

// PrintResult is what a print job wrote.
type PrintResult struct {
	Files []string // PDF files written
	Codes int      // codes issued and printed
	// Revoked are the earlier codes the new cards replaced, now revoked.
	Revoked int
}

// Printer issues and prints the paper codes of a job, calling progress
// after each code (done of total). It stops when ctx is cancelled, leaving
// no partial file and no code recorded that was not written.
// PaperPrinter prints with package paper.
type Printer func(ctx context.Context, job PrintJob, progress func(done, total int)) (PrintResult, error)

// printScreen chooses what to print for a resident and shows a batch's
// progress.
type printScreen struct {
	e       *env
	r       *lifeline.Resident
	running bool
	large   bool // the next job prints in large type
	scope   PrintScope
	done    int
	total   int
	started time.Time
	bar     progress.Model
	cancel  context.CancelFunc
	updates chan tea.Msg
	result  *PrintResult
	run     int // bumped per job, so a finished job's late messages are dropped
}

type printProgressMsg struct {
	run         int
	done, total int
}

type printDoneMsg struct {
	run    int
	result PrintResult
	err    error
}

func (printProgressMsg) route() screenID { return screenPrint }
func (printDoneMsg) route() screenID     { return screenPrint }

// rateAfter is how long a batch runs before its rate and time left show.
const rateAfter = time.Second

func newPrintScreen(e *env) printScreen {
	bar := progress.New(progress.WithSolidFill("4"), progress.WithWidth(50))
	return printScreen{e: e, bar: bar}
}

func (s printScreen) start(r *lifeline.Resident) printScreen {
	if s.running {
		return s // a batch is running: show it rather than start over
	}
	s.r, s.result, s.done, s.total = r, nil, 0, 0
	return s
}

func (s printScreen) keys() []key.Binding {
	k := s.e.keys
	if s.running {
		return []key.Binding{k.Back}
	}
	return []key.Binding{k.PrintPerson, k.PrintHousehold, k.PrintBuilding, k.PrintLarge, k.Back}
}

func (s printScreen) update(msg tea.Msg) (printScreen, tea.Cmd) {
	k := s.e.keys
	switch msg := msg.(type) {
	case printProgressMsg:
		if msg.run != s.run {
			return s, nil
		}
		s.done, s.total = msg.done, msg.total
		return s, s.wait()
	case printDoneMsg:
		if msg.run != s.run {
			return s, nil
		}
		s.running = false
		s.cancel = nil
		if errors.Is(msg.err, context.Canceled) {
			s.e.setStatus(fmt.Sprintf(s.e.t("已取消打印；已写完的 %d 张已记录，没有留下半个文件", "Print cancelled; the %d codes already written are recorded, and no half-written file is left"), msg.result.Codes))
			return s, nil
		}
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, nil
		}
		s.result = &msg.result
		s.done = msg.result.Codes
		status := fmt.Sprintf(s.e.t("已打印 %d 张纸质码：%s", "Printed %d paper codes: %s"), msg.result.Codes, strings.Join(msg.result.Files, ", "))
		if msg.result.Revoked > 0 {
			status += fmt.Sprintf(s.e.t("；以前的 %d 张已作废", "; %d earlier ones revoked"), msg.result.Revoked)
		}
		s.e.setStatus(status)
		return s, nil
	case tea.KeyMsg:
		if s.running {
			if key.Matches(msg, k.Back) && s.cancel != nil {
				s.cancel()
				s.e.setStatus(s.e.t("正在取消打印…", "Cancelling the print…"))
			}
			return s, nil
		}
		switch {
		case key.Matches(msg, k.Back):
			if s.r != nil {
				return s, s.e.goTo(navMsg{to: screenResident, id: s.r.ID})
			}
			return s, s.e.goTo(navMsg{to: screenFind, resident: nil})
		case key.Matches(msg, k.PrintPerson):
			return s.begin(PrintPerson)
		case key.Matches(msg, k.PrintHousehold):
			return s.begin(PrintHousehold)
		case key.Matches(msg, k.PrintBuilding):
			return s.begin(PrintBuilding)
		case key.Matches(msg, k.PrintLarge):
			s.large = !s.large
			return s, nil
		}
	}
	return s, nil
}

// stop cancels a running batch, if any: package paper writes to a
// temporary file and records only what it finished.
func (s printScreen) stop() {
	if s.cancel != nil {
		s.cancel()
	}
}

// begin starts a job in its own goroutine; progress comes back through a
// channel that wait reads one message at a time.
func (s printScreen) begin(scope PrintScope) (printScreen, tea.Cmd) {
	if s.r == nil {
		s.e.setStatus(s.e.t("请先打开一位居民", "Open a resident first"))
		return s, nil
	}
	if s.e.cfg.Print == nil {
		s.e.setError(lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T("此终端未配置打印", "printing is not set up on this terminal")))
		return s, nil
	}
	job := PrintJob{Scope: scope, Resident: s.r, Staff: s.e.actor(), Large: s.large}
	switch scope {
	case PrintHousehold:
		job.Filter = lifeline.ResidentFilter{HouseholdID: s.r.HouseholdID, Community: s.r.Address.Community}
	case PrintBuilding:
		job.Filter = lifeline.ResidentFilter{Community: s.r.Address.Community, Building: s.r.Address.Building}
	}
	ctx, cancel := context.WithCancel(s.e.ctx)
	s.run++
	s.running, s.scope, s.done, s.total, s.result, s.cancel = true, scope, 0, 0, nil, cancel
	s.started = s.e.now()
	s.updates = make(chan tea.Msg, 1)
	s.e.setStatus(s.e.t("正在打印…", "Printing…"))
	run, updates, print := s.run, s.updates, s.e.cfg.Print
	go func() {
		res, err := print(ctx, job, func(done, total int) {
			// Keep only the latest progress: a slow screen must not slow
			// the printing.
			select {
			case updates <- printProgressMsg{run: run, done: done, total: total}:
			default:
			}
		})
		cancel()
		updates <- printDoneMsg{run: run, result: res, err: err}
	}()
	return s, s.wait()
}

// wait reads the next message of the running job.
func (s printScreen) wait() tea.Cmd {
	ch := s.updates
	return func() tea.Msg { return <-ch }
}

func (s printScreen) scopeLabel(sc PrintScope) string {
	switch sc {
	case PrintHousehold:
		return s.e.t("全户", "household")
	case PrintBuilding:
		return s.e.t("整栋楼", "whole building")
	}
	return s.e.t("本人", "this person")
}

// layoutLabel names the layout the next (or running) job prints in.
func (s printScreen) layoutLabel() string {
	if s.large {
		return s.e.t("大字（每页一个码，A4）", "large type (one code per A4 page)")
	}
	return s.e.t("卡片（身份证大小，每页 10 张）", "wallet cards (ID-card size, 10 to a page)")
}

func (s printScreen) view(width, height int) string {
	var b strings.Builder
	if s.r == nil {
		return s.e.t("请先在查找中打开一位居民，再按 p 打印。", "Open a resident from find first, then press p to print.")
	}
	b.WriteString(styleHeading.Render(s.e.t("为 ", "Print for ")+lifeline.Printable(s.r.Name+" "+s.r.Address.Community+" "+s.r.Address.Short())) + "\n\n")
	if !s.running && s.result == nil {
		b.WriteString("  1  " + s.e.t("本人（一张）", "this person (one code)") + "\n")
		b.WriteString("  2  " + s.e.t("全户", "the household") + "\n")
		b.WriteString("  3  " + fmt.Sprintf(s.e.t("整栋楼（%s 号楼）", "the whole building (building %s)"), lifeline.Printable(s.r.Address.Building)) + "\n\n")
		b.WriteString("  L  " + s.e.t("版式：", "Layout: ") + s.layoutLabel() + "\n\n")
		b.WriteString(styleDim.Render(s.e.t("按数字键开始。每张码都会记录；新卡印好后，以前的卡自动作废。", "Press a number. Every code is recorded; a new card revokes the earlier ones.")))
		return b.String()
	}
	b.WriteString(s.e.t("范围：", "Scope: ") + s.scopeLabel(s.scope) + "   " + s.e.t("版式：", "Layout: ") + s.layoutLabel() + "\n\n")
	pct := 0.0
	if s.total > 0 {
		pct = float64(s.done) / float64(s.total)
	}
	if s.result != nil {
		pct = 1
	}
	bw := width - 4
	if bw > 60 {
		bw = 60
	}
	s.bar.Width = bw
	b.WriteString("  " + s.bar.ViewAs(pct) + "\n")
	line := fmt.Sprintf(s.e.t("  %d / %d 张", "  %d / %d codes"), s.done, s.total)
	// A rate only once there is one: over the first codes it is mostly
	// the start (fonts loaded, first page begun), and a building that
	// takes a second would show "about 20 s left".
	if el := s.e.now().Sub(s.started); s.running && s.done > 0 && el >= rateAfter {
		rate := float64(s.done) / el.Seconds()
		left := time.Duration(float64(s.total-s.done) / rate * float64(time.Second))
		line += fmt.Sprintf(s.e.t("  每秒 %.0f 张  约剩 %s", "  %.0f/s  about %s left"), rate, left.Round(time.Second))
	}
	b.WriteString(line + "\n\n")
	if s.running {
		b.WriteString(styleDim.Render(s.e.t("按 esc 取消：已写完的才会记录，不会留下半个文件。", "Press esc to cancel: only what was written is recorded; no half-written file is left.")))
	} else if s.result != nil {
		b.WriteString(styleOK.Render(s.e.t("完成。文件：", "Done. Files:")) + "\n")
		for _, f := range s.result.Files {
			b.WriteString("  " + f + "\n")
		}
		b.WriteString("\n" + styleDim.Render(s.e.t("按 1、2、3 再打印，esc 返回居民。", "Press 1, 2 or 3 to print again, esc to go back to the resident.")))
	}
	return strings.TrimRight(b.String(), "\n")
}
