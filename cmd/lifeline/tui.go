package main

import (
	"context"
	"flag"
	"os"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/cups"
	"github.com/lifeline-health/lifeline/sshd"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/tui"
)

// tuiFlags are the flags lifeline tui and lifeline demo share.
type tuiFlags struct {
	printDir *string
	site     *string
	check    func() code.VerifierSetup
	printer  *string
}

func addTUIFlags(app *App, fs *flag.FlagSet) tuiFlags {
	host, _ := os.Hostname()
	return tuiFlags{
		printDir: fs.String("print-dir", ".", app.T("打印的 PDF 文件写到这个`目录`", "`DIR` the printed PDF files are written to")),
		site:     fs.String("site", host, app.T("本工作台的名称，记在现场登记上", "this desk's name, recorded on on-site registrations")),
		check:    checkFlags(app, fs),
		printer:  fs.String("printer", "", app.T("本工作台的 CUPS 打印机：打印的文件直接交给它（工作人员可在打印界面按 P 另选）", "this desk's CUPS printer: printed files go straight to it (a worker may choose another with P on the print screen)")),
	}
}

func runTUI(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("tui")
	f := addTUIFlags(app, fs)
	ssh := sshd.AddFlags(fs, app.Lang)
	if err := app.parse(fs, args); err != nil {
		return err
	}
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	if *ssh.Addr != "" {
		serve, err := startSSH(app, db, f, ssh)
		if err != nil {
			return err
		}
		return serve(ctx)
	}
	cfg, err := tuiConfig(app, db, f)
	if err != nil {
		return err
	}
	return tui.Run(ctx, cfg)
}

// startSSH listens for the staff screen over SSH (sshd.Flags.Start).
func startSSH(app *App, db lifeline.Store, desk tuiFlags, ssh sshd.Flags) (func(context.Context) error, error) {
	cfg, err := tuiConfig(app, db, desk)
	if err != nil {
		return nil, err
	}
	return ssh.Start(cfg, app.DBPath, store.IsPostgres(app.DBPath), app.Stdout, app.Stderr)
}

// tuiConfig is the desk's configuration (tui.Desk) from the flags.
func tuiConfig(app *App, db lifeline.Store, f tuiFlags) (tui.Config, error) {
	return tui.Desk(db, app.Lang, tui.DeskPlaces{Site: *f.site, PrintDir: *f.printDir, Check: f.check(), Printer: *f.printer, PrintSettings: cups.SettingsFile(app.DBPath)})
}
