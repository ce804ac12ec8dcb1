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
	"github.com/lifeline-health/lifeline/cups"
	"github.com/lifeline-health/lifeline/paper"
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
	// KeepPrevious keeps the earlier cards of those printed valid (a
	// spare card); by default a new card revokes them.
	KeepPrevious bool
	// StartAt is the card position (1-10) of the first card on the first
	// sheet, for a sheet partly used; 0 or 1: the first.
	StartAt int
	// Offset moves every page for the printer it goes to (its
	// calibration, kept in the desk's print settings).
	Offset paper.Offset
}

// PrintResult is what a print job wrote.
type PrintResult struct {
	Files []string // PDF files written, full paths; a building's distribution list last
	Codes int      // codes issued and printed
	// Revoked are the earlier codes the new cards replaced, now revoked.
	Revoked int
}

// Printer issues and prints the paper codes of a job, calling progress
// after each code (done of total). It stops when ctx is cancelled, leaving
// no partial file and no code recorded that was not written.
// PaperPrinter prints with package paper.
type Printer func(ctx context.Context, job PrintJob, progress func(done, total int)) (PrintResult, error)

// printScreen chooses what to print for a resident, asks before a whole
// building, shows a batch's progress, then hands the files to the
// worker's printer (if there is one) and follows each job until the
// printer has it.
type printScreen struct {
	e            *env
	r            *lifeline.Resident
	running      bool
	large        bool // the next job prints in large type
	keepPrevious bool // the next job keeps earlier cards valid
	startAt      int  // card position of the first card, 1-10
	earlier      int  // the resident's cards still valid, 0 if none or unknown
	confirm      *buildingCount
	scope        PrintScope
	done         int
	total        int
	started      time.Time
	bar          progress.Model
	cancel       context.CancelFunc
	updates      chan tea.Msg
	result       *PrintResult
	run          int // bumped per job, so a finished job's late messages are dropped
	// The printer the files go to (nil: files only), the ones to choose
	// from, and the latest word of the one being followed.
	printer  *cups.Printer
	printers []string
	spool    string
	spoolErr bool
}

// buildingCount is what printing a whole building will make, asked before
// it starts: so many codes for so many households.
type buildingCount struct {
	building          string
	codes, households int
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

// printSpoolMsg is where a printed file's job stands at the printer.
type printSpoolMsg struct {
	run    int
	file   string
	status cups.Status
	err    error // CUPS would not take a file, or could not be asked
	last   bool  // every file is with the printer, or it failed
}

type printCountedMsg struct {
	count buildingCount
	err   error
}

type printEarlierMsg struct {
	id      int64
	earlier int
}

type printersMsg struct {
	names []string
	err   error
}

func (printProgressMsg) route() screenID { return screenPrint }
func (printDoneMsg) route() screenID     { return screenPrint }
func (printSpoolMsg) route() screenID    { return screenPrint }
func (printCountedMsg) route() screenID  { return screenPrint }
func (printEarlierMsg) route() screenID  { return screenPrint }
func (printersMsg) route() screenID      { return screenPrint }

// rateAfter is how long a batch runs before its rate and time left show.
const rateAfter = time.Second

func newPrintScreen(e *env) printScreen {
	bar := progress.New(progress.WithSolidFill("4"), progress.WithWidth(50))
	return printScreen{e: e, bar: bar, startAt: 1}
}

// start readies the screen for r and looks up whether r has a card
// already (a reprint offers to revoke it) and which printer the worker
// prints to.
func (s printScreen) start(r *lifeline.Resident) (printScreen, tea.Cmd) {
	if s.running {
		return s, nil // a batch is running: show it rather than start over
	}
	if s.r == nil || r == nil || s.r.ID != r.ID {
		s.keepPrevious, s.startAt, s.earlier = false, 1, 0
	}
	s.r, s.result, s.done, s.total, s.confirm = r, nil, 0, 0, nil
	if s.printer == nil {
		s.printer = s.e.printerFor()
	}
	if r == nil {
		return s, nil
	}
	ctx, store, id := s.e.ctx, s.e.store, r.ID
	return s, func() tea.Msg {
		codes, err := store.IssuedCodes(ctx, id)
		if err != nil {
			return printEarlierMsg{id: id}
		}
		n := 0
		for _, c := range codes {
			if !c.Revoked() {
				n++
			}
		}
		return printEarlierMsg{id: id, earlier: n}
	}
}

func (s printScreen) keys() []key.Binding {
	k := s.e.keys
	switch {
	case s.running:
		return []key.Binding{withHelp(k.Back, s.e.t("取消", "cancel"))}
	case s.confirm != nil:
		return []key.Binding{withHelp(k.Yes, s.e.t("开始打印", "print")), k.No}
	}
	b := []key.Binding{k.PrintPerson, k.PrintHousehold, k.PrintBuilding, k.KeepPrevious, k.PrintLarge}
	if !s.large {
		b = append(b, withHelp(k.Choose, s.e.t("起始位置", "start at")))
	}
	return append(b, k.ChoosePrinter, k.Back)
}

func (s printScreen) update(msg tea.Msg) (printScreen, tea.Cmd) {
	switch msg := msg.(type) {
	case printProgressMsg:
		if msg.run != s.run {
			return s, nil
		}
		s.done, s.total = msg.done, msg.total
		return s, s.wait()
	case printDoneMsg:
		return s.finished(msg)
	case printSpoolMsg:
		if msg.run != s.run {
			return s, nil
		}
		return s.spooled(msg)
	case printCountedMsg:
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, nil
		}
		s.confirm = &msg.count
		s.e.setStatus(fmt.Sprintf(s.e.t("整栋楼将打印 %d 张码，共 %d 户：按 y 开始，n 取消", "The whole building is %d codes for %d households: y to print, n to cancel"), msg.count.codes, msg.count.households))
		return s, nil
	case printEarlierMsg:
		if s.r != nil && msg.id == s.r.ID {
			s.earlier = msg.earlier
		}
		return s, nil
	case printersMsg:
		return s.choosePrinter(msg)
	case tea.KeyMsg:
		return s.updateKey(msg)
	}
	return s, nil
}

func (s printScreen) updateKey(msg tea.KeyMsg) (printScreen, tea.Cmd) {
	k := s.e.keys
	if s.running {
		if key.Matches(msg, k.Back) && s.cancel != nil {
			s.cancel()
			s.e.setStatus(s.e.t("正在取消打印…", "Cancelling the print…"))
		}
		return s, nil
	}
	if s.confirm != nil {
		switch {
		case key.Matches(msg, k.Yes):
			s.confirm = nil
			return s.begin(PrintBuilding)
		case key.Matches(msg, k.No):
			s.confirm = nil
			s.e.setStatus(s.e.t("未打印整栋楼", "The building was not printed"))
		}
		return s, nil
	}
	switch {
	case key.Matches(msg, k.Back):
		return s, s.e.goBack(false)
	case key.Matches(msg, k.PrintPerson):
		return s.begin(PrintPerson)
	case key.Matches(msg, k.PrintHousehold):
		return s.begin(PrintHousehold)
	case key.Matches(msg, k.PrintBuilding):
		return s, s.countBuilding()
	case key.Matches(msg, k.PrintLarge):
		s.large = !s.large
	case key.Matches(msg, k.KeepPrevious):
		s.keepPrevious = !s.keepPrevious
	case key.Matches(msg, k.Choose) && !s.large:
		step := 1
		if msg.String() == "left" {
			step = paper.CardsPerPage - 1
		}
		s.startAt = (s.startAt-1+step)%paper.CardsPerPage + 1
	case key.Matches(msg, k.ChoosePrinter):
		return s, listPrinters
	}
	return s, nil
}

// finished takes a batch's end: the files are written (or not); with a
// printer they are handed to it and followed.
func (s printScreen) finished(msg printDoneMsg) (printScreen, tea.Cmd) {
	if msg.run != s.run {
		return s, nil
	}
	s.running = false
	if errors.Is(msg.err, context.Canceled) {
		s.cancel = nil
		s.e.setStatus(fmt.Sprintf(s.e.t("已取消打印；已写完的 %d 张已记录，没有留下半个文件", "Print cancelled; the %d codes already written are recorded, and no half-written file is left"), msg.result.Codes))
		return s, nil
	}
	if msg.err != nil {
		s.cancel = nil
		s.e.setError(msg.err)
		return s, nil
	}
	s.result = &msg.result
	s.done = msg.result.Codes
	status := s.e.lang.Count(msg.result.Codes, "已打印 %d 张纸质码", "Printed %d paper code", "Printed %d paper codes")
	if msg.result.Revoked > 0 {
		status += s.e.lang.Count(msg.result.Revoked, "；以前的 %d 张已吊销", "; %d earlier one revoked", "; %d earlier ones revoked")
	}
	s.e.setStatus(status)
	s.earlier = 0
	if s.printer == nil {
		s.cancel = nil
		return s, nil
	}
	s.spool, s.spoolErr = s.e.t("正在交给打印机 ", "Handing over to the printer ")+s.printer.Name+"…", false
	return s, s.wait()
}

// spooled takes a word from the printer about a file of the last job.
func (s printScreen) spooled(msg printSpoolMsg) (printScreen, tea.Cmd) {
	switch {
	case msg.err != nil:
		s.spool, s.spoolErr = lifeline.ErrorMessage(msg.err, s.e.lang)+s.e.t("；文件已保存，可稍后再打印", "; the files are kept and can be printed later"), true
		s.e.setError(msg.err)
	case msg.file != "":
		s.spool = msg.status.Line(s.e.lang, s.printer.Name, msg.file)
		s.spoolErr = msg.status.Printer == cups.Stopped && !msg.status.Done
		if s.spoolErr {
			s.e.setProblem(s.spool)
		} else {
			s.e.setStatus(s.spool)
		}
	}
	if msg.last {
		s.cancel = nil
		return s, nil
	}
	return s, s.wait()
}

// stop cancels a running batch, and the following of its jobs, if any:
// package paper writes to a temporary file and records only what it
// finished; a job CUPS has stays with CUPS.
func (s printScreen) stop() {
	if s.cancel != nil {
		s.cancel()
	}
}

// countBuilding counts the codes and households of the resident's
// building, to ask before printing it all.
func (s printScreen) countBuilding() tea.Cmd {
	if s.r == nil {
		return nil
	}
	ctx, store, a := s.e.ctx, s.e.store, s.r.Address
	return func() tea.Msg {
		c := buildingCount{building: a.Building}
		households := map[int64]bool{}
		err := store.EachResident(ctx, lifeline.ResidentFilter{Community: a.Community, Building: a.Building}, func(r *lifeline.Resident) error {
			c.codes++
			households[r.HouseholdID] = true
			return nil
		})
		c.households = len(households)
		return printCountedMsg{count: c, err: err}
	}
}

// begin starts a job in its own goroutine; progress, and then the
// printer's word on each file, come back through a channel that wait
// reads one message at a time.
func (s printScreen) begin(scope PrintScope) (printScreen, tea.Cmd) {
	if s.r == nil {
		s.e.setStatus(s.e.t("请先打开一位居民", "Open a resident first"))
		return s, nil
	}
	if s.e.cfg.Print == nil {
		s.e.setError(lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T("此终端未配置打印", "printing is not set up on this terminal")))
		return s, nil
	}
	s.stop() // a job still followed at the printer: CUPS keeps it
	job := PrintJob{Scope: scope, Resident: s.r, Staff: s.e.actor(), Large: s.large, KeepPrevious: s.keepPrevious}
	if !s.large {
		job.StartAt = s.startAt
	}
	if s.printer != nil {
		job.Offset = s.e.printSettings().Offset(s.printer.Name)
	}
	switch scope {
	case PrintHousehold:
		job.Filter = lifeline.ResidentFilter{HouseholdID: s.r.HouseholdID, Community: s.r.Address.Community}
	case PrintBuilding:
		job.Filter = lifeline.ResidentFilter{Community: s.r.Address.Community, Building: s.r.Address.Building}
	}
	ctx, cancel := context.WithCancel(s.e.ctx)
	s.run++
	s.running, s.scope, s.done, s.total, s.result, s.cancel, s.spool = true, scope, 0, 0, nil, cancel, ""
	s.started = s.e.now()
	s.updates = make(chan tea.Msg, 1)
	s.e.setStatus(s.e.t("正在打印…", "Printing…"))
	go printAndSpool(ctx, cancel, s.e.cfg.Print, job, s.printer, s.run, s.updates)
	return s, s.wait()
}

// printAndSpool runs a job, then hands its files to printer (if any) and
// follows them, sending what happens on updates.
func printAndSpool(ctx context.Context, cancel context.CancelFunc, print Printer, job PrintJob, printer *cups.Printer, run int, updates chan tea.Msg) {
	defer cancel()
	res, err := print(ctx, job, func(done, total int) {
		// Keep only the latest progress: a slow screen must not slow
		// the printing.
		select {
		case updates <- printProgressMsg{run: run, done: done, total: total}:
		default:
		}
	})
	updates <- printDoneMsg{run: run, result: res, err: err}
	if err != nil || printer == nil {
		return
	}
	err = printer.Send(ctx, res.Files, time.Second, func(file string, st cups.Status) {
		updates <- printSpoolMsg{run: run, file: file, status: st}
	})
	if errors.Is(err, context.Canceled) {
		err = nil // the worker moved on; CUPS keeps the job
	}
	updates <- printSpoolMsg{run: run, err: err, last: true}
}

// wait reads the next message of the running job.
func (s printScreen) wait() tea.Cmd {
	ch := s.updates
	return func() tea.Msg { return <-ch }
}

// listPrinters asks CUPS which printers there are, to choose one.
func listPrinters() tea.Msg {
	names, err := cups.Printers(context.Background())
	return printersMsg{names: names, err: err}
}

// choosePrinter moves to the next printer CUPS has (after the last, PDF
// files only) and keeps the choice for the worker's account.
func (s printScreen) choosePrinter(msg printersMsg) (printScreen, tea.Cmd) {
	if msg.err != nil && s.printer == nil {
		s.e.setError(msg.err)
		return s, nil
	}
	choices := append([]string{""}, msg.names...)
	at := 0
	for i, c := range choices {
		if s.printer != nil && c == s.printer.Name {
			at = i
		}
	}
	next := choices[(at+1)%len(choices)]
	s.printer = nil
	if next != "" {
		s.printer = &cups.Printer{Name: next}
	}
	if err := s.e.keepPrinter(next); err != nil {
		s.e.setError(err)
		return s, nil
	}
	s.e.setStatus(s.e.t("打印机：", "Printer: ") + s.printerLabel())
	return s, nil
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

// printerLabel names where the files go.
func (s printScreen) printerLabel() string {
	if s.printer == nil {
		return s.e.t("不连打印机，只生成 PDF 文件", "none: PDF files only")
	}
	return s.printer.Name
}

// previousLabel says what a new card does to the earlier ones.
func (s printScreen) previousLabel() string {
	held := ""
	if s.earlier > 0 {
		held = fmt.Sprintf(s.e.t("（此人现有 %d 张有效卡）", " (holds %d valid now)"), s.earlier)
	}
	if s.keepPrevious {
		return s.e.t("保留，仍然有效（备用卡）", "keep them valid (a spare card)") + held
	}
	return s.e.t("新卡印好后吊销", "revoke them once the new card is printed") + held
}

func (s printScreen) view(width, height int) string {
	var b strings.Builder
	if s.r == nil {
		return s.e.t("请先在查找中打开一位居民，再按 p 打印。", "Open a resident from find first, then press p to print.")
	}
	b.WriteString(styleHeading.Render(s.e.t("为 ", "Print for ")+lifeline.Printable(s.r.Name+" "+s.r.Address.Community+" "+s.r.Address.Short())) + "\n\n")
	if !s.running && s.result == nil {
		s.menuView(&b)
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
	s.bar.Width = min(width-4, 60)
	b.WriteString("  " + s.bar.ViewAs(pct) + "\n")
	line := s.e.lang.Count(s.total, "  "+fmt.Sprint(s.done)+" / %d 张", "  "+fmt.Sprint(s.done)+" / %d code", "  "+fmt.Sprint(s.done)+" / %d codes")
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
		s.doneView(&b, width)
	}
	return strings.TrimRight(b.String(), "\n")
}

// menuView is what the next job will be, before it starts.
func (s printScreen) menuView(b *strings.Builder) {
	b.WriteString("  1  " + s.e.t("本人（一张）", "this person (one code)") + "\n")
	b.WriteString("  2  " + s.e.t("全户", "the household") + "\n")
	b.WriteString("  3  " + fmt.Sprintf(s.e.t("整栋楼（%s 号楼，先确认张数，另印派发清单）", "the whole building (building %s: asks first, adds a distribution list)"), lifeline.Printable(s.r.Address.Building)) + "\n\n")
	b.WriteString("  k  " + s.e.t("以前的卡：", "Earlier cards: ") + s.previousLabel() + "\n")
	b.WriteString("  L  " + s.e.t("版式：", "Layout: ") + s.layoutLabel() + "\n")
	if !s.large {
		b.WriteString(" ←→  " + fmt.Sprintf(s.e.t("从第一页的第 %d 个位置印起（用过一部分的卡纸）", "start at card position %d of the first sheet (a sheet partly used)"), s.startAt) + "\n")
	}
	b.WriteString("  P  " + s.e.t("打印机：", "Printer: ") + s.printerLabel() + "\n")
	if to := s.e.cfg.PrintsTo; to != "" {
		b.WriteString("     " + styleDim.Render(lifeline.Printable(to)) + "\n")
	}
	if s.confirm != nil {
		b.WriteString("\n" + styleWarn.Render(fmt.Sprintf(s.e.t("整栋楼（%s 号楼）：%d 张码，%d 户。按 y 开始打印，n 取消。", "Building %s: %d codes for %d households. Press y to print, n to cancel."),
			lifeline.Printable(s.confirm.building), s.confirm.codes, s.confirm.households)))
		return
	}
	b.WriteString("\n" + styleDim.Render(s.e.t("按数字键开始。每张码都会记录，可以吊销。", "Press a number to start. Every code is recorded and can be revoked.")))
}

// doneView is where the files are, by their full paths, and where they
// stand at the printer.
func (s printScreen) doneView(b *strings.Builder, width int) {
	done := s.e.t("完成。", "Done. ")
	if s.result.Revoked > 0 {
		done += s.e.lang.Count(s.result.Revoked, "以前的 %d 张已吊销。", "%d earlier card revoked. ", "%d earlier cards revoked. ")
	}
	b.WriteString(styleOK.Render(done+s.e.t("文件：", "Files:")) + "\n")
	for _, f := range s.result.Files {
		b.WriteString("  " + lifeline.Printable(f) + "\n")
	}
	if s.spool != "" {
		style := styleOK
		if s.spoolErr {
			style = styleWarn
		}
		// Wrapped: a stopped printer's sentence names the file kept.
		b.WriteString("\n" + style.Width(width).Render(s.spool) + "\n")
	}
	b.WriteString("\n  k  " + s.e.t("以前的卡：", "Earlier cards: ") + s.previousLabel() + "\n")
	b.WriteString("  P  " + s.e.t("打印机：", "Printer: ") + s.printerLabel() + "\n")
	b.WriteString("\n" + styleDim.Render(s.e.t("按 1、2、3 再打印，esc 返回。", "Press 1, 2 or 3 to print again, esc to go back.")))
}
