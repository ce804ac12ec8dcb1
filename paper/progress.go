package paper

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"golang.org/x/term"
)

// ProgressWriter shows a batch's progress on w, in the words of a
// language: one line rewritten in place on a terminal, a line every few
// seconds otherwise (a log). The first comes one interval after the
// start, not with the first code: a rate measured over the first code
// alone (the font loaded, the first page begun) is far too low, and would
// promise minutes for a building printed in a second.
type ProgressWriter struct {
	w     io.Writer
	lang  lifeline.Lang
	tty   bool
	last  time.Time
	every time.Duration
	shown bool
}

// NewProgressWriter returns a ProgressWriter on w, a terminal if it is an
// *os.File that is one.
func NewProgressWriter(w io.Writer, l lifeline.Lang) *ProgressWriter {
	p := &ProgressWriter{w: w, lang: l, every: 5 * time.Second, last: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty, p.every = true, 200*time.Millisecond
	}
	return p
}

// Update shows pr if an interval has passed since the last line, or if it
// is the last code.
func (p *ProgressWriter) Update(pr Progress) {
	now := time.Now()
	if now.Sub(p.last) < p.every && (pr.Total == 0 || pr.Done < pr.Total) {
		return
	}
	p.last = now
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K", pr.Line(p.lang))
		p.shown = true
	} else {
		fmt.Fprintln(p.w, pr.Line(p.lang))
	}
}

// End ends the line rewritten in place, if there is one.
func (p *ProgressWriter) End() {
	if p.shown {
		fmt.Fprintln(p.w)
	}
}

// Line is the progress in one line: count, rate, time left and files
// written.
func (p Progress) Line(l lifeline.Lang) string {
	count := strconv.Itoa(p.Done)
	if p.Total > 0 {
		count += "/" + strconv.Itoa(p.Total)
	}
	s := fmt.Sprintf(l.Pick("已排版 %s 个码，每秒 %.0f 个", "%s codes laid out, %.0f/s"), count, p.Rate)
	if p.Left > 0 {
		s += fmt.Sprintf(l.Pick("，约剩 %s", ", about %s left"), p.Left.Round(time.Second))
	}
	if len(p.Files) > 0 {
		s += l.Count(len(p.Files), "，已写好 %d 个文件", ", %d file written", ", %d files written")
	}
	return s
}

// AllFiles is every file a batch wrote: the cards, then the distribution
// list if there is one.
func (r Result) AllFiles() []string {
	if r.List == "" {
		return r.Files
	}
	return append(append([]string{}, r.Files...), r.List)
}

// Tell writes the name of every file a batch wrote to files, one a line,
// and what it wrote to summary, a line each: files, pages and codes (the
// distribution list among the files), earlier codes revoked, and
// characters the font lacked; nothing for a batch that wrote nothing.
func (r Result) Tell(files, summary io.Writer, l lifeline.Lang) {
	for _, f := range r.AllFiles() {
		fmt.Fprintln(files, f)
	}
	b := bufio.NewWriter(summary)
	defer b.Flush()
	if files := len(r.AllFiles()); files > 0 {
		fmt.Fprintf(b, "%s%s%s%s\n", l.Count(files, "已写入 %d 个文件，", "wrote %d file, ", "wrote %d files, "), l.Count(r.Pages, "%d 页，", "%d page, ", "%d pages, "),
			l.Count(r.Codes, "%d 个码", "%d code", "%d codes"), l.Pick("（已登记）。", ", all recorded."))
	}
	if r.Revoked > 0 {
		b.WriteString(l.Count(r.Revoked, "已吊销以前的码 %d 个。\n", "revoked %d earlier code.\n", "revoked %d earlier codes.\n"))
	}
	if r.Substituted > 0 {
		b.WriteString(l.Count(r.Substituted, "注意：%d 个姓名或社区用字字体中没有，印为 *。\n", "note: %d character of names or communities is not in the font and was printed as *.\n",
			"note: %d characters of names or communities are not in the font and were printed as *.\n"))
	}
}
