package tui

import (
	"context"
	"os"
	"path/filepath"

	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/cups"
	"golang.org/x/term"
)

// DeskPlaces are where a desk beside the store keeps and sends things.
type DeskPlaces struct {
	Site     string // the desk's name on on-site registrations
	PrintDir string // where printed PDFs are written (made if need be)
	// Check says what scanned codes are checked against (a checkpoint's
	// lists, or the desk's own keys in Check.KeyDir, which also sign).
	Check code.VerifierSetup
	// Printer is the CUPS printer printed files go to, unless a worker
	// chose another; "" for PDF files only.
	Printer string
	// PrintSettings is the desk's print settings file (cups.SettingsFile):
	// each account's printer and each printer's offset.
	PrintSettings string
}

// Desk is the configuration of a staff desk beside the store: codes
// printed with PaperPrinter into printDir (created if need be), signed
// with the keys in check.KeyDir, and scanned codes checked as check says
// (a checkpoint's lists, or the desk's own keys) and against the store's
// own revocations. Lists handed over that are refused stop the start, as
// whoever handed them over must know; with nothing to check against, the
// check screen says checking is not set up rather than refusing every
// code.
//
// Printed files go to p.Printer, or the printer a worker chose for their
// account, kept in p.PrintSettings.
func Desk(s lifeline.Store, l lifeline.Lang, p DeskPlaces) (Config, error) {
	site, printDir, check := p.Site, p.PrintDir, p.Check
	if err := os.MkdirAll(printDir, 0o755); err != nil {
		return Config{}, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("无法创建打印目录 "+printDir, "cannot create the print directory "+printDir))
	}
	abs, err := filepath.Abs(printDir)
	if err != nil {
		abs = printDir
	}
	cfg := Config{Store: s, Lang: l, Site: site, Print: PaperPrinter(s, check.KeyDir, printDir), PrintSettings: p.PrintSettings,
		PrintsTo: l.Pick("PDF 文件保存在 ", "PDF files go to ") + abs}
	if p.Printer != "" {
		cfg.Printer = &cups.Printer{Name: p.Printer}
	}
	v, err := check.Verifier()
	switch {
	case err == nil:
		cfg.Check = VerifierChecker(v, s, l)
	case lifeline.ErrorCode(err) != lifeline.ENOTFOUND:
		return Config{}, err
	}
	return cfg, nil
}

// Run runs the staff screen on the process's terminal until the worker
// quits or ctx ends.
func Run(ctx context.Context, cfg Config) error {
	if !term.IsTerminal(int(os.Stdin.Fd())) || !term.IsTerminal(int(os.Stdout.Fd())) {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("工作人员界面需要在终端中运行（标准输入和输出都须是终端）", "the staff screen needs a terminal (standard input and output must both be one)"))
	}
	_, err := tea.NewProgram(New(cfg), tea.WithAltScreen(), tea.WithContext(ctx)).Run()
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
