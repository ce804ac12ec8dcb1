package tui

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
)

// queueScreen is the print queue: requests for paper codes (for example
// from residents who texted 离线码) that staff work through, newest first
// with the count, a page at a time; after a print the next is selected.
type queueScreen struct {
	e        *env
	requests []lifeline.PrintRequest
	who      map[int64]*lifeline.Resident
	cursor   int
	busy     bool
}

type queueLoadedMsg struct {
	requests []lifeline.PrintRequest
	who      map[int64]*lifeline.Resident
	err      error
}

type queuePrintedMsg struct {
	request lifeline.PrintRequest
	result  PrintResult
	sent    string // the printer the card went to, "" if none
	err     error
}

func (queueLoadedMsg) route() screenID  { return screenQueue }
func (queuePrintedMsg) route() screenID { return screenQueue }

func newQueueScreen(e *env) queueScreen { return queueScreen{e: e} }

func (s queueScreen) init() tea.Cmd {
	ctx, store := s.e.ctx, s.e.store
	return func() tea.Msg {
		reqs, err := store.PrintQueue(ctx, "") // the worker's community's: the store sees to it
		if err != nil {
			return queueLoadedMsg{err: err}
		}
		who := map[int64]*lifeline.Resident{}
		for _, q := range reqs {
			if _, ok := who[q.ResidentID]; ok {
				continue
			}
			r, err := store.Resident(ctx, q.ResidentID)
			if err != nil {
				return queueLoadedMsg{err: err}
			}
			who[r.ID] = r
		}
		return queueLoadedMsg{requests: reqs, who: who}
	}
}

func (s queueScreen) keys() []key.Binding {
	k := s.e.keys
	return []key.Binding{k.Up, k.Down, withHelp(k.Submit, s.e.t("打印并完成", "print and mark done")), k.Back, k.PageUp, k.PageDown, k.Home, k.End}
}

// withHelp is b with other help text, for a key that means something more
// specific on one screen.
func withHelp(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

func (s queueScreen) update(msg tea.Msg) (queueScreen, tea.Cmd) {
	k := s.e.keys
	switch msg := msg.(type) {
	case queueLoadedMsg:
		s.busy = false
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, nil
		}
		s.requests, s.who = newestFirst(msg.requests), msg.who
		if s.cursor >= len(s.requests) {
			s.cursor = max(0, len(s.requests)-1)
		}
		return s, nil
	case queuePrintedMsg:
		// Busy until the list is read again: a key typed ahead (Enter on
		// the next one) must not act on the request just printed.
		if msg.err != nil {
			s.e.setError(msg.err)
			return s, s.init() // a card written and marked done leaves the list
		}
		name := "?"
		if r := s.who[msg.request.ResidentID]; r != nil {
			name = lifeline.Printable(r.Name)
		}
		// The request leaves the list: the cursor, where it is, is on the
		// next one.
		status := fmt.Sprintf(s.e.t("已打印并完成：%s（%s）", "Printed and marked done: %s (%s)"), name, strings.Join(msg.result.Files, ", "))
		if msg.sent != "" {
			status = fmt.Sprintf(s.e.t("已打印并完成：%s，已交给打印机 %s", "Printed and marked done: %s, sent to the printer %s"), name, msg.sent)
		}
		s.e.setStatus(status)
		return s, s.init()
	case tea.KeyMsg:
		if c, moved := s.e.moveCursor(msg, s.cursor, len(s.requests), s.e.listRows(2)); moved {
			s.cursor = c
			return s, nil
		}
		switch {
		case key.Matches(msg, k.Submit):
			if s.cursor < len(s.requests) {
				return s.printOne(s.requests[s.cursor])
			}
		case key.Matches(msg, k.Back):
			return s, s.e.goBack(false)
		}
	}
	return s, nil
}

// printOne prints one request's card and marks it done only once the card
// is written.
func (s queueScreen) printOne(q lifeline.PrintRequest) (queueScreen, tea.Cmd) {
	if s.e.cfg.Print == nil {
		s.e.setError(lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T("此终端未配置打印", "printing is not set up on this terminal")))
		return s, nil
	}
	r := s.who[q.ResidentID]
	s.busy = true
	s.e.setStatus(s.e.t("正在打印…", "Printing…"))
	ctx, store, print, actor, printer := s.e.ctx, s.e.store, s.e.cfg.Print, s.e.actor(), s.e.printerFor()
	job := PrintJob{Scope: PrintPerson, Resident: r, Staff: actor}
	if printer != nil {
		job.Offset = s.e.printSettings().Offset(printer.Name)
	}
	return s, func() tea.Msg {
		res, err := print(ctx, job, func(int, int) {})
		if err == nil {
			err = store.MarkPrinted(ctx, q.ID, actor)
		}
		m := queuePrintedMsg{request: q, result: res, err: err}
		if err == nil && printer != nil {
			// Handed to the printer; the card's PDF stays in any case.
			for _, f := range res.Files {
				if _, m.err = printer.Submit(ctx, f, filepath.Base(f)); m.err != nil {
					break
				}
			}
			m.sent = printer.Name
		}
		return m
	}
}

// newestFirst returns a list the store gives oldest first the other way
// round: lists that grow show the newest first.
func newestFirst[T any](xs []T) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[len(xs)-1-i] = x
	}
	return out
}

func sourceLabel(src string, l lifeline.Lang) string {
	switch src {
	case "sms":
		return l.Pick("短信", "SMS")
	case "staff":
		return l.Pick("工作人员", "staff")
	}
	return src
}

func (s queueScreen) view(width, height int) string {
	var b strings.Builder
	if len(s.requests) == 0 {
		return s.e.t("打印队列是空的。居民发短信“离线码”后，申请会出现在这里。", "The print queue is empty. When a resident texts CODE, the request appears here.")
	}
	b.WriteString(fmt.Sprintf(s.e.t("%d 份待打印（最新的在上；PgUp/PgDn 翻页）", "%d waiting (newest first; PgUp/PgDn to page)"), len(s.requests)) + "\n")
	b.WriteString(styleHeading.Render("  "+cell(s.e.t("姓名", "Name"), 12)+" "+cell(s.e.t("住址", "Address"), 14)+" "+cell(s.e.t("来源", "From"), 10)+" "+s.e.t("申请时间", "Requested")) + "\n")
	rows := max(height-2, 1)
	start := window(s.cursor, rows)
	for i := start; i < len(s.requests) && i < start+rows; i++ {
		q := s.requests[i]
		name, addr := "?", ""
		if r := s.who[q.ResidentID]; r != nil {
			name, addr = lifeline.Printable(r.Name), lifeline.Printable(r.Address.Short())
		}
		line := cursorMark(i == s.cursor) + cell(name, 12) + " " + cell(addr, 14) + " " + cell(sourceLabel(q.Source, s.e.lang), 10) + " " +
			q.RequestedAt.In(lifeline.ChinaTime).Format("01-02 15:04") + "  " + lifeline.Ago(q.RequestedAt, s.e.now(), s.e.lang)
		if i == s.cursor {
			line = styleSelected.Render(line)
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
