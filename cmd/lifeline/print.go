package main

import (
	"context"
	"fmt"
	"os"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/cups"
	"github.com/lifeline-health/lifeline/paper"
	"github.com/lifeline-health/lifeline/roster"
)

// printFlags is print's command line.
type printFlags struct {
	out, resident, household, building, community, from string
	at                                                  string
	by                                                  *string
	keys                                                *string
	layout, page                                        string
	perFile, startAt                                    int
	validity                                            time.Duration
	revoke, keep, calibrate, noList                     bool
	printer                                             string
	offsetX, offsetY                                    float64
}

func parsePrint(app *App, args []string) (*printFlags, error) {
	fs := app.newFlagSet("print")
	f := &printFlags{}
	fs.StringVar(&f.out, "out", "", app.T("输出 PDF `文件`（必填）", "output PDF `FILE` (required)"))
	fs.StringVar(&f.resident, "resident", "", app.T("一位居民的`证件号码`", "one resident's document number (`DOC`)"))
	fs.StringVar(&f.household, "household", "", app.T("一户：户编号，或门牌号如 12-3-501", "one household: its id, or a room address such as 12-3-501"))
	fs.StringVar(&f.building, "building", "", app.T("一栋楼（可加 --community）", "one building (with --community if several communities have it)"))
	fs.StringVar(&f.community, "community", "", app.T("整个社区；或限定 --building/--household 的社区", "a whole community; or the community of --building/--household"))
	fs.StringVar(&f.from, "from", "", app.T("证件号码清单`文件`，每行一个；空行和 # 注释忽略", "`FILE` of document numbers, one a line; blank lines and # comments ignored"))
	fs.StringVar(&f.layout, "layout", "cards", app.T("版式：cards（A4 每页 10 张卡片）或 large（每页一个大字码）", "layout: cards (10 wallet cards per A4 sheet) or large (one code per page in large type)"))
	fs.StringVar(&f.page, "page", "a4", app.T("large 版式的纸张：a4 或 a5", "paper for the large layout: a4 or a5"))
	fs.IntVar(&f.perFile, "pages-per-file", paper.DefaultPagesPerFile, app.T("每个文件的页数，超过则分为 FILE-001.pdf、FILE-002.pdf…", "pages per file; more go to FILE-001.pdf, FILE-002.pdf, …"))
	fs.DurationVar(&f.validity, "validity", code.DefaultValidity, app.T("码的有效期", "how long the codes are valid"))
	f.keys = keyDirFlag(app, fs)
	fs.BoolVar(&f.revoke, "revoke-previous", true, app.T("写好新码后吊销这些居民以前的码（默认如此）", "revoke these residents' earlier codes once the new ones are written (the default)"))
	fs.BoolVar(&f.keep, "keep-previous", false, app.T("保留以前的码继续有效（备用卡）", "keep the earlier codes valid too (a spare card)"))
	f.by = fs.String("by", os.Getenv("LIFELINE_STAFF"), byUsage.In(app.Lang))
	fs.StringVar(&f.at, "at", "", app.T("以此时间签发并固定 PDF 日期（RFC 3339，用于测试）", "issue as of this time and fix the PDF dates (RFC 3339, for tests)"))
	fs.StringVar(&f.printer, "printer", "", app.T("写好后交给这台 CUPS 打印机打印（lpstat -p 列出全部）", "hand the files to this CUPS printer once written (lpstat -p lists them)"))
	fs.IntVar(&f.startAt, "start-at", 1, app.T("第一张卡印在第一页的第几个位置（1-10，用过一部分的卡纸）", "card position (1-10) on the first sheet to start at, for a sheet partly used"))
	fs.BoolVar(&f.calibrate, "calibrate", false, app.T("只印一页校准页：卡片框线和毫米刻度", "print one calibration page only: card outlines and millimetre rulers"))
	fs.Float64Var(&f.offsetX, "offset-x", 0, app.T("整页右移的毫米数（负数左移）；与 --printer 一起时记住给这台打印机", "move everything right by this many mm (negative: left); with --printer, kept for that printer"))
	fs.Float64Var(&f.offsetY, "offset-y", 0, app.T("整页下移的毫米数（负数上移）；与 --printer 一起时记住给这台打印机", "move everything down by this many mm (negative: up); with --printer, kept for that printer"))
	fs.BoolVar(&f.noList, "no-list", false, app.T("整栋楼或整个社区时不写派发清单（FILE-list.pdf）", "for a building or community, write no distribution list (FILE-list.pdf)"))
	if err := app.parse(fs, args); err != nil {
		return nil, err
	}
	if f.out == "" {
		return nil, app.usagef("请用 --out 指定输出的 PDF 文件", "give the output PDF file with --out")
	}
	selectors := 0
	for _, given := range []bool{f.resident != "", f.household != "", f.from != "", f.wholeArea()} {
		if given {
			selectors++
		}
	}
	if selectors != 1 && !f.calibrate {
		return nil, app.usagef("请选择且只选择一种：--resident、--household、--building、--community 或 --from",
			"choose exactly one of --resident, --household, --building, --community or --from")
	}
	return f, nil
}

// wholeArea reports whether a building or a community is printed: those
// are handed out door to door, with a distribution list.
func (f *printFlags) wholeArea() bool {
	return f.building != "" || (f.community != "" && f.household == "")
}

// options checks the layout flags and the time, and returns the batch's
// options and the issuing clock.
func (f *printFlags) options(app *App) (paper.Options, func() time.Time, error) {
	opt := paper.Options{Out: f.out, PagesPerFile: f.perFile, KeepPrevious: f.keep || !f.revoke, StartAt: f.startAt}
	if f.wholeArea() && !f.noList {
		opt.List = paper.ListName(f.out)
	}
	var err error
	if opt.Layout, opt.Page, err = paper.ParseLayoutPage(f.layout, f.page); err != nil {
		return opt, nil, app.usagef("%s", "%s", lifeline.ErrorMessage(err, app.Lang))
	}
	if f.perFile < 1 {
		return opt, nil, app.usagef("--pages-per-file 至少为 1", "--pages-per-file must be at least 1")
	}
	if f.validity <= 0 {
		return opt, nil, app.usagef("--validity 必须为正", "--validity must be positive")
	}
	if f.at == "" {
		return opt, time.Now, nil
	}
	t, err := time.Parse(time.RFC3339, f.at)
	if err != nil {
		return opt, nil, app.usagef("--at 应为 RFC 3339 时间，如 2026-11-23T09:00:00+08:00", "--at must be an RFC 3339 time such as 2026-11-23T09:00:00+08:00")
	}
	opt.Epoch = t
	return opt, func() time.Time { return t }, nil
}

// selection reads --household (a household id, or an address such as
// 12-3-501) and the other selectors into a paper.Selection.
func (f *printFlags) selection(ctx context.Context, app *App, db lifeline.Store) (paper.Selection, error) {
	sel := paper.Selection{Document: f.resident, Building: lifeline.NormalizeInput(f.building), Community: f.community}
	if f.from != "" {
		rs, err := residentsFromFile(ctx, app, db, f.from)
		sel.Residents = rs
		return sel, err
	}
	return sel, sel.SetHousehold(f.household)
}

// runPrint prints paper codes for the residents selected, checking the
// font and the key before touching anything: a missing font or key found
// after a thousand codes helps no one.
func runPrint(ctx context.Context, app *App, args []string) error {
	f, err := parsePrint(app, args)
	if err != nil {
		return err
	}
	opt, now, err := f.options(app)
	if err != nil {
		return err
	}
	if opt.Font, err = paper.LoadFont(); err != nil {
		return err
	}
	if err := opt.Font.Check(paper.PrintedTexts()...); err != nil {
		return err
	}
	// --offset-x/-y as given, kept for --printer; or the one kept for it.
	if opt.Offset, err = cups.KeptOffset(cups.SettingsFile(app.DBPath), f.printer, paper.Offset{X: f.offsetX, Y: f.offsetY}); err != nil {
		return err
	}
	if f.calibrate {
		if err := paper.Calibrate(ctx, f.out, opt.Font, opt.Offset, app.Lang); err != nil {
			return err
		}
		fmt.Fprintln(app.Stdout, f.out)
		return cups.SendTelling(ctx, f.printer, []string{f.out}, app.Stderr, app.Lang)
	}
	key, err := code.LoadActiveKey(keyDir(app, *f.keys), now())
	if err != nil {
		return err
	}
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	ctx = lifeline.WithActor(ctx, auth.CommandLineActor(*f.by))
	sel, err := f.selection(ctx, app, db)
	if err != nil {
		return err
	}
	src, total, err := sel.Source(ctx, db)
	if err != nil {
		return err
	}
	opt.Total = total
	iss := paper.CodeIssuer{Issuer: &code.Issuer{Key: key, Validity: f.validity, Now: now}}
	prog := paper.NewProgressWriter(app.Stderr, app.Lang)
	res, err := paper.Batch(ctx, src, iss, db, opt, prog.Update)
	prog.End()
	res.Tell(app.Stdout, app.Stderr, app.Lang)
	if err != nil {
		return err
	}
	return cups.SendTelling(ctx, f.printer, res.AllFiles(), app.Stderr, app.Lang)
}

// byUsage is --by's: the note beside the system user, who the audit log
// records as the actor (auth.CommandLineActor).
var byUsage = lifeline.T("经办人（作为备注记入审计日志；操作人记为运行命令的系统用户）", "who is acting, kept as a note in the audit log (the actor is the system user running the command)")

// residentsFromFile reads a list of document numbers, one a line
// (roster.ReadDocumentListFile). Every bad line is reported as file:line
// before anything is printed; a person listed twice is printed once.
func residentsFromFile(ctx context.Context, app *App, db lifeline.Store, path string) ([]*lifeline.Resident, error) {
	rs, problems, err := roster.ReadDocumentListFile(path, func(n string) (*lifeline.Resident, error) {
		return db.ResidentByDocument(ctx, lifeline.Document{Number: n})
	})
	if err != nil {
		return nil, err
	}
	for _, p := range problems {
		fmt.Fprintln(app.Stderr, p.In(app.Lang))
	}
	return rs, roster.DocumentListError(path, len(problems), len(rs))
}
