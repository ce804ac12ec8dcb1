package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/paper"
	"github.com/lifeline-health/lifeline/roster"
	"golang.org/x/term"
)

func runPrint(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("print")
	out := fs.String("out", "", app.T("输出 PDF 文件（必填）", "output PDF file (required)"))
	resident := fs.String("resident", "", app.T("一位居民的证件号码", "one resident's document number"))
	household := fs.String("household", "", app.T("一户：户编号，或门牌号如 12-3-501", "one household: its id, or a room address such as 12-3-501"))
	building := fs.String("building", "", app.T("一栋楼（可加 --community）", "one building (with --community if several communities have it)"))
	community := fs.String("community", "", app.T("整个社区；或限定 --building/--household 的社区", "a whole community; or the community of --building/--household"))
	from := fs.String("from", "", app.T("证件号码清单文件，每行一个；空行和 # 注释忽略", "file of document numbers, one a line; blank lines and # comments ignored"))
	layoutFlag := fs.String("layout", "cards", app.T("版式：cards（A4 每页 10 张卡片）或 large（每页一个大字码）", "layout: cards (10 wallet cards per A4 sheet) or large (one code per page in large type)"))
	pageFlag := fs.String("page", "a4", app.T("large 版式的纸张：a4 或 a5", "paper for the large layout: a4 or a5"))
	perFile := fs.Int("pages-per-file", paper.DefaultPagesPerFile, app.T("每个文件的页数，超过则分为 FILE-001.pdf、FILE-002.pdf…", "pages per file; more go to FILE-001.pdf, FILE-002.pdf, …"))
	validity := fs.Duration("validity", code.DefaultValidity, app.T("码的有效期", "how long the codes are valid"))
	keysDir := keyDirFlag(app, fs)
	revoke := fs.Bool("revoke-previous", false, app.T("写好新码后吊销这些居民以前的码", "revoke these residents' earlier codes once the new ones are written"))
	by := fs.String("by", defaultStaff(), app.T("打印人（记录在每个码上）", "who is printing (recorded with every code)"))
	at := fs.String("at", "", app.T("以此时间签发并固定 PDF 日期（RFC 3339，用于测试）", "issue as of this time and fix the PDF dates (RFC 3339, for tests)"))
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return app.usagef("多余的参数：%s", "unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *out == "" {
		return app.usagef("请用 --out 指定输出的 PDF 文件", "give the output PDF file with --out")
	}
	selectors := 0
	for _, s := range []string{*resident, *household, *from} {
		if s != "" {
			selectors++
		}
	}
	if *building != "" || (*community != "" && *household == "") {
		selectors++
	}
	if selectors != 1 {
		return app.usagef("请选择且只选择一种：--resident、--household、--building、--community 或 --from",
			"choose exactly one of --resident, --household, --building, --community or --from")
	}
	layout, err := paper.ParseLayout(*layoutFlag)
	if err != nil {
		return app.usagef("%s", "%s", lifeline.ErrorMessage(err, app.Lang))
	}
	page, err := paper.ParsePageSize(*pageFlag)
	if err != nil {
		return app.usagef("%s", "%s", lifeline.ErrorMessage(err, app.Lang))
	}
	if page == paper.A5 && layout != paper.Large {
		return app.usagef("--page a5 只用于 --layout large；卡片总是印在 A4 上", "--page a5 is for --layout large only; cards always go on A4")
	}
	if *perFile < 1 {
		return app.usagef("--pages-per-file 至少为 1", "--pages-per-file must be at least 1")
	}
	if *validity <= 0 {
		return app.usagef("--validity 必须为正", "--validity must be positive")
	}
	now := time.Now
	var epoch time.Time
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return app.usagef("--at 应为 RFC 3339 时间，如 2026-11-23T09:00:00+08:00", "--at must be an RFC 3339 time such as 2026-11-23T09:00:00+08:00")
		}
		epoch = t
		now = func() time.Time { return t }
	}

	// Check the font and keys before touching anything: a missing font or
	// key found after a thousand codes helps no one.
	font, err := paper.LoadFont()
	if err != nil {
		return err
	}
	if err := font.Check(paper.PrintedTexts()...); err != nil {
		return err
	}
	keys, err := code.LoadSigningKeys(keyDir(app, *keysDir))
	if err != nil {
		return err
	}
	key, err := code.ActiveKey(keys, now())
	if err != nil {
		return err
	}

	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	ctx = lifeline.WithActor(ctx, lifeline.Actor{User: *by})
	sel := selection{resident: *resident, household: *household, building: *building, community: *community, from: *from}
	src, total, err := sel.source(ctx, app, db)
	if err != nil {
		return err
	}
	opt := paper.Options{
		Out:            *out,
		Layout:         layout,
		Page:           page,
		PagesPerFile:   *perFile,
		IssuedBy:       *by,
		RevokePrevious: *revoke,
		Total:          total,
		Font:           font,
		Epoch:          epoch,
	}
	iss := paper.CodeIssuer{Issuer: &code.Issuer{Key: key, Validity: *validity, Now: now}}
	prog := newProgressPrinter(app)
	res, err := paper.Batch(ctx, src, iss, db, opt, prog.update)
	prog.end()
	for _, f := range res.Files {
		fmt.Fprintln(app.Stdout, f)
	}
	if len(res.Files) > 0 {
		fmt.Fprintf(app.Stderr, app.T("已写入 %d 个文件，%d 页，%d 个码（已登记）。\n", "wrote %d file(s), %d page(s), %d code(s), all recorded.\n"), len(res.Files), res.Pages, res.Codes)
	}
	if res.Revoked > 0 {
		fmt.Fprintf(app.Stderr, app.T("已吊销以前的码 %d 个。\n", "revoked %d earlier code(s).\n"), res.Revoked)
	}
	if res.Substituted > 0 {
		fmt.Fprintf(app.Stderr, app.T("注意：%d 个姓名或社区用字字体中没有，印为 *。\n", "note: %d character(s) of names or communities are not in the font and were printed as *.\n"), res.Substituted)
	}
	return err
}

// defaultStaff is who acts when --by is not given (print, code, revoke):
// $LIFELINE_STAFF, else the login name.
func defaultStaff() string {
	for _, v := range []string{"LIFELINE_STAFF", "USER", "LOGNAME"} {
		if s := os.Getenv(v); s != "" {
			return s
		}
	}
	return "system"
}

// selection is which residents to print, as given on the command line.
type selection struct {
	resident, household, building, community, from string
}

// source turns the selection into a paper.Source and the number of
// residents it will give (0 if it would cost a second pass to know).
func (s selection) source(ctx context.Context, app *App, db lifeline.Store) (paper.Source, int, error) {
	switch {
	case s.resident != "":
		r, err := db.ResidentByDocument(ctx, lifeline.Document{Number: s.resident})
		if err != nil {
			return nil, 0, err
		}
		return paper.Residents([]*lifeline.Resident{r}), 1, nil
	case s.household != "":
		rs, err := householdResidents(ctx, db, s.household, s.community)
		if err != nil {
			return nil, 0, err
		}
		paper.SortResidents(rs)
		return paper.Residents(rs), len(rs), nil
	case s.from != "":
		rs, err := residentsFromFile(ctx, app, db, s.from)
		if err != nil {
			return nil, 0, err
		}
		paper.SortResidents(rs)
		return paper.Residents(rs), len(rs), nil
	}
	// A building or a community streams from the store in building, unit,
	// room order; one counting pass first gives the time left.
	f := lifeline.ResidentFilter{Building: s.building, Community: s.community}
	total := 0
	if err := db.EachResident(ctx, f, func(*lifeline.Resident) error { total++; return nil }); err != nil {
		return nil, 0, err
	}
	if total == 0 {
		return nil, 0, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有符合条件的居民", "no residents match"))
	}
	return paper.Selected(db, f), total, nil
}

// householdResidents reads --household: a household id (digits only), or
// a room address building-unit-room such as 12-3-501 (lifeline.ParseAddress),
// with --community when two communities have the same address.
func householdResidents(ctx context.Context, db lifeline.Store, h, community string) ([]*lifeline.Resident, error) {
	h = strings.TrimSpace(h)
	if id, err := strconv.ParseInt(h, 10, 64); err == nil && id > 0 {
		rs, err := db.HouseholdMembers(ctx, id)
		if err == nil && len(rs) == 0 {
			err = lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("户 "+h+" 没有居民", "household "+h+" has no residents"))
		}
		return rs, err
	}
	a, err := lifeline.ParseAddress(h)
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("--household 应为户编号或 楼-单元-房号（如 12-3-501；没有单元的写 楼-房号，如 12-501）",
			"--household must be a household id or building-unit-room such as 12-3-501 (building-room such as 12-501 where there are no units)"))
	}
	a.Community = community
	hh, err := db.HouseholdAt(ctx, a)
	if lifeline.ErrorCode(err) == lifeline.ECONFLICT {
		return nil, lifeline.Wrapf(lifeline.ECONFLICT, err, lifeline.T("多个社区都有门牌号 "+h+"，请加 --community", "several communities have the address "+h+"; add --community"))
	}
	if err != nil {
		return nil, err
	}
	return db.HouseholdMembers(ctx, hh.ID)
}

// residentsFromFile reads a list of document numbers, one a line
// (roster.ReadDocumentList). Every bad line is reported as file:line
// before anything is printed; a person listed twice is printed once.
func residentsFromFile(ctx context.Context, app *App, db lifeline.Store, path string) ([]*lifeline.Resident, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("无法打开清单文件 "+path, "cannot open the list "+path))
	}
	defer f.Close()
	rs, problems, err := roster.ReadDocumentList(f, path, func(n string) (*lifeline.Resident, error) {
		return db.ResidentByDocument(ctx, lifeline.Document{Number: n})
	})
	if err != nil {
		return nil, err
	}
	for _, p := range problems {
		fmt.Fprintln(app.Stderr, p.In(app.Lang))
	}
	if len(problems) > 0 {
		return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T(
			fmt.Sprintf("清单 %s 有 %d 行有问题（见上），未打印任何码", path, len(problems)),
			fmt.Sprintf("the list %s has %d bad line(s), shown above; nothing was printed", path, len(problems))))
	}
	if len(rs) == 0 {
		return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("清单 "+path+" 中没有证件号码", "the list "+path+" holds no document numbers"))
	}
	return rs, nil
}

// progressPrinter shows a batch's progress on standard error: one line
// rewritten in place on a terminal, a line every few seconds otherwise.
// The first comes one interval after the start, not with the first code:
// a rate measured over one code (fonts loaded, first page begun) gave a
// building of 411 codes that took under a second "about 23 s left".
type progressPrinter struct {
	app   *App
	tty   bool
	last  time.Time
	every time.Duration
	shown bool
}

func newProgressPrinter(app *App) *progressPrinter {
	p := &progressPrinter{app: app, every: 5 * time.Second, last: time.Now()}
	if f, ok := app.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty, p.every = true, 200*time.Millisecond
	}
	return p
}

func (p *progressPrinter) update(pr paper.Progress) {
	now := time.Now()
	if now.Sub(p.last) < p.every && (pr.Total == 0 || pr.Done < pr.Total) {
		return
	}
	p.last = now
	line := progressLine(p.app.Lang, pr)
	if p.tty {
		fmt.Fprintf(p.app.Stderr, "\r%s\x1b[K", line)
		p.shown = true
	} else {
		fmt.Fprintln(p.app.Stderr, line)
	}
}

func (p *progressPrinter) end() {
	if p.shown {
		fmt.Fprintln(p.app.Stderr)
	}
}

// progressLine is one line of progress: count, rate and time left.
func progressLine(l lifeline.Lang, p paper.Progress) string {
	count := strconv.Itoa(p.Done)
	if p.Total > 0 {
		count += "/" + strconv.Itoa(p.Total)
	}
	s := fmt.Sprintf(l.Pick("已排版 %s 个码，每秒 %.0f 个", "%s codes laid out, %.0f/s"), count, p.Rate)
	if p.Left > 0 {
		s += fmt.Sprintf(l.Pick("，约剩 %s", ", about %s left"), p.Left.Round(time.Second))
	}
	if len(p.Files) > 0 {
		s += fmt.Sprintf(l.Pick("，已写好 %d 个文件", ", %d file(s) written"), len(p.Files))
	}
	return s
}
