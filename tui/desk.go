package tui

import (
	"context"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"golang.org/x/term"
)

// Desk is the configuration of a staff desk beside the store: codes
// printed with PaperPrinter into printDir (created if need be), signed
// with the keys in check.KeyDir, and scanned codes checked as check says
// (a checkpoint's lists, or the desk's own keys) and against the store's
// own revocations. Lists handed over that are refused stop the start, as
// whoever handed them over must know; with nothing to check against, the
// check screen says checking is not set up rather than refusing every
// code.
func Desk(s lifeline.Store, l lifeline.Lang, site, printDir string, check code.VerifierSetup) (Config, error) {
	if err := os.MkdirAll(printDir, 0o755); err != nil {
		return Config{}, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("无法创建打印目录 "+printDir, "cannot create the print directory "+printDir))
	}
	cfg := Config{Store: s, Lang: l, Site: site, Print: PaperPrinter(s, check.KeyDir, printDir)}
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
