// Package cups prints through CUPS, the print system of Linux and macOS:
// a finished PDF is handed to a printer with lp and its job followed with
// lpstat (Debian's cups-client), until the printer has it. lifeline's PDF
// stays where it was written, so nothing is lost if the printer jams.
//
// The commands are run with LANG=C, whose messages are the ones read
// here; CUPS_SERVER in the environment chooses another scheduler than the
// machine's (a private one in tests, a print server in an office).
package cups

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// Printer is one CUPS print queue, by the name lpstat -p gives it.
type Printer struct {
	Name string
}

// State is where a printer stands, as lpstat -p says.
type State string

// Printer states.
const (
	Idle     State = "idle"
	Printing State = "printing"
	Stopped  State = "stopped" // disabled: jammed, out of paper, or stopped by someone
)

// Label words a state for staff.
func (s State) Label(l lifeline.Lang) string {
	switch s {
	case Idle:
		return l.Pick("空闲", "idle")
	case Printing:
		return l.Pick("正在打印", "printing")
	case Stopped:
		return l.Pick("已停止", "stopped")
	}
	return string(s)
}

// Status is what a job's follower sees at one look.
type Status struct {
	Job string // the CUPS job, office-12
	// Done is true once CUPS has finished the job: the printer has it.
	Done    bool
	Printer State
	// Reason is why the printer is stopped, as CUPS or its operator put it.
	Reason string
}

var (
	requestID   = regexp.MustCompile(`request id is (\S+-\d+)`)
	stoppedLine = regexp.MustCompile(`^printer \S+ disabled since`)
)

// Submit hands file to the printer (lp -d NAME) under title, and returns
// the job's id. A printer CUPS does not know is ENOTFOUND; CUPS not
// installed or not running is EUNAVAILABLE.
func (p Printer) Submit(ctx context.Context, file, title string) (string, error) {
	out, err := run(ctx, "lp", "-d", p.Name, "-t", title, "--", file)
	if err != nil {
		return "", p.failed(ctx, err, out)
	}
	m := requestID.FindSubmatch(out)
	if m == nil {
		return "", lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T("打印机 "+p.Name+" 没有接受作业："+firstLine(out), "the printer "+p.Name+" did not take the job: "+firstLine(out)))
	}
	return string(m[1]), nil
}

// Status looks once at job and at the printer.
func (p Printer) Status(ctx context.Context, job string) (Status, error) {
	st := Status{Job: job}
	var err error
	if st.Printer, st.Reason, err = p.State(ctx); err != nil {
		return st, err
	}
	out, err := run(ctx, "lpstat", "-W", "completed", "-o", p.Name)
	if err != nil {
		return st, p.failed(ctx, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == job {
			st.Done = true
		}
	}
	return st, nil
}

// State says whether the printer is idle, printing or stopped, and why it
// is stopped (lpstat -p).
func (p Printer) State(ctx context.Context) (State, string, error) {
	out, err := run(ctx, "lpstat", "-p", p.Name)
	if err != nil {
		return "", "", p.failed(ctx, err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	switch {
	case stoppedLine.MatchString(lines[0]):
		reason := ""
		if len(lines) > 1 {
			reason = lifeline.Printable(strings.TrimSpace(lines[1]))
		}
		return Stopped, reason, nil
	case strings.Contains(lines[0], " now printing "):
		return Printing, "", nil
	}
	return Idle, "", nil
}

// Follow looks at job every interval and calls fn after each look, until
// the printer has it (fn saw Done), ctx ends, or CUPS cannot be asked. A
// stopped printer is reported and followed on: the job waits in its queue
// and prints once someone clears the jam and starts the printer again.
func (p Printer) Follow(ctx context.Context, job string, every time.Duration, fn func(Status)) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		st, err := p.Status(ctx, job)
		if err != nil {
			return err
		}
		fn(st)
		if st.Done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Printers lists the print queues CUPS has (lpstat -e), for choosing one.
func Printers(ctx context.Context) ([]string, error) {
	if !running(ctx) {
		return nil, (Printer{}).failed(ctx, errors.New("lpstat -r: scheduler is not running"), nil)
	}
	out, err := run(ctx, "lpstat", "-e")
	if err != nil {
		return nil, (Printer{}).failed(ctx, err, out)
	}
	return strings.Fields(string(out)), nil
}

// run runs a CUPS command in the C locale and returns what it printed,
// standard error included.
func run(ctx context.Context, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "LANG=C", "LC_ALL=C")
	return cmd.CombinedOutput()
}

// failed turns a failed command into one sentence: CUPS not installed,
// not running, or no such printer.
func (p Printer) failed(ctx context.Context, err error, out []byte) error {
	msg := string(out)
	switch {
	case errors.Is(err, exec.ErrNotFound):
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("本机没有安装 CUPS 打印命令（cups-client）", "the CUPS print commands (cups-client) are not installed here"))
	case !running(ctx):
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("打印服务（CUPS）没有运行", "the print service (CUPS) is not running"))
	case strings.Contains(msg, "does not exist") || strings.Contains(msg, "Invalid destination name") || strings.Contains(msg, "Unknown destination"):
		return lifeline.Wrapf(lifeline.ENOTFOUND, err, lifeline.T("没有名为 "+p.Name+" 的打印机（lpstat -p 列出全部）", "there is no printer called "+p.Name+" (lpstat -p lists them)"))
	}
	return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("打印失败："+firstLine(out), "printing failed: "+firstLine(out)))
}

// running reports whether the CUPS scheduler answers (lpstat -r): without
// it, lp and lpstat say a printer does not exist rather than that nothing
// is there to ask.
func running(ctx context.Context) bool {
	out, err := run(ctx, "lpstat", "-r")
	return err == nil && bytes.HasPrefix(out, []byte("scheduler is running"))
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return lifeline.Printable(s)
}

// Send hands files to the printer in order and follows each job until the
// printer has it, calling report after every look (see Follow). It stops
// at the first file CUPS will not take; the files stay where they are.
func (p Printer) Send(ctx context.Context, files []string, every time.Duration, report func(file string, s Status)) error {
	for _, f := range files {
		job, err := p.Submit(ctx, f, filepath.Base(f))
		if err != nil {
			return err
		}
		if err := p.Follow(ctx, job, every, func(s Status) { report(f, s) }); err != nil {
			return err
		}
	}
	return nil
}

// SendTelling is Send to the printer called name for a person at a
// terminal: each job's standing is written to w in l, once each time it
// changes. No name: nothing is sent (PDF files only).
func SendTelling(ctx context.Context, name string, files []string, w io.Writer, l lifeline.Lang) error {
	if name == "" {
		return nil
	}
	p, last := Printer{Name: name}, ""
	return p.Send(ctx, files, time.Second, func(file string, st Status) {
		if line := st.Line(l, p.Name, file); line != last {
			fmt.Fprintln(w, line)
			last = line
		}
	})
}

// Line says in one sentence where a file's job stands: sent and waiting,
// printing, with the printer, or held by a stopped printer with the file
// kept where it is.
func (s Status) Line(l lifeline.Lang, printer, file string) string {
	switch {
	case s.Done:
		return l.Pick("打印机 "+printer+" 已收到 "+filepath.Base(file)+"（作业 "+s.Job+"）", "the printer "+printer+" has "+filepath.Base(file)+" (job "+s.Job+")")
	case s.Printer == Stopped:
		why := ""
		if s.Reason != "" {
			why = l.Pick("（"+s.Reason+"）", " ("+s.Reason+")")
		}
		return l.Pick("打印机 "+printer+" 已停止"+why+"：作业 "+s.Job+" 在排队，打印机恢复后继续打印；文件保存在 "+file,
			"the printer "+printer+" is stopped"+why+": job "+s.Job+" waits and prints once the printer is started again; the file is kept at "+file)
	}
	if s.Printer == Printing {
		return l.Pick("打印机 "+printer+" 正在打印（作业 "+s.Job+"）", "the printer "+printer+" is printing (job "+s.Job+")")
	}
	return l.Pick("已发送到打印机 "+printer+"，作业 "+s.Job+" 在排队", "sent to the printer "+printer+": job "+s.Job+" is queued")
}
