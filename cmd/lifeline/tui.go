package main

import (
	"context"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/tui"
	"golang.org/x/term"
)

// tuiFlags are the flags lifeline tui and lifeline demo share.
type tuiFlags struct {
	printDir *string
	site     *string
	keys     *string
}

func addTUIFlags(app *App, fs interface {
	String(name, value, usage string) *string
}) tuiFlags {
	host, _ := os.Hostname()
	return tuiFlags{
		printDir: fs.String("print-dir", ".", app.T("打印的 PDF 文件写到这个目录", "directory the printed PDF files are written to")),
		site:     fs.String("site", host, app.T("本工作台的名称，记在现场登记上", "this desk's name, recorded on on-site registrations")),
		keys:     keyDirFlag(app, fs),
	}
}

func runTUI(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("tui")
	f := addTUIFlags(app, fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return app.usagef("多余的参数：%s", "unexpected argument: %s", fs.Arg(0))
	}
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	cfg, err := tuiConfig(app, db, f)
	if err != nil {
		return err
	}
	return runScreen(ctx, cfg)
}

// tuiConfig wires the staff screen to the store, package paper for
// printing (tui.PaperPrinter) and package code for checking.
func tuiConfig(app *App, db lifeline.Store, f tuiFlags) (tui.Config, error) {
	dir := keyDir(app, *f.keys)
	if err := os.MkdirAll(*f.printDir, 0o755); err != nil {
		return tui.Config{}, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("无法创建打印目录 "+*f.printDir, "cannot create the print directory "+*f.printDir))
	}
	cfg := tui.Config{
		Store: db,
		Lang:  app.Lang,
		Site:  *f.site,
		Print: tui.PaperPrinter(db, dir, *f.printDir),
	}
	// Checking needs the public keys; without any, the check screen says
	// it is not set up instead of refusing every code.
	if keys, err := code.LoadSigningKeys(dir); err == nil && len(keys) > 0 {
		v := &code.Verifier{Trust: code.TrustListOf(keys)}
		cfg.Check = tui.VerifierChecker(v, db, app.Lang)
	}
	return cfg, nil
}

// runScreen runs the staff screen on the terminal until the worker quits.
func runScreen(ctx context.Context, cfg tui.Config) error {
	if !term.IsTerminal(int(os.Stdin.Fd())) || !term.IsTerminal(int(os.Stdout.Fd())) {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("工作人员界面需要在终端中运行（标准输入和输出都须是终端）", "the staff screen needs a terminal (standard input and output must both be one)"))
	}
	p := tea.NewProgram(tui.New(cfg), tea.WithAltScreen(), tea.WithContext(ctx))
	_, err := p.Run()
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
