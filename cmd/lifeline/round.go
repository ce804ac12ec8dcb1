package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"github.com/lifeline-health/lifeline/paper"
	"github.com/lifeline-health/lifeline/roster"
)

// runRound opens testing rounds and says how they stand and who is still
// missing: round new | list | missing | visit.
func runRound(ctx context.Context, app *App, args []string) error {
	subs := map[string]func(context.Context, *App, []string) error{"new": runRoundNew, "list": runRoundList, "missing": runRoundMissing, "visit": runRoundVisit}
	if len(args) == 0 || subs[args[0]] == nil {
		return app.usagef("用法：lifeline round new|list|missing|visit [参数]", "usage: lifeline round new|list|missing|visit [flags]")
	}
	return subs[args[0]](lifeline.WithActor(ctx, auth.CommandLineActor("")), app, args[1:])
}

// buildings is a repeatable --building.
type buildings []string

func (b *buildings) String() string     { return strings.Join(*b, ",") }
func (b *buildings) Set(s string) error { *b = append(*b, s); return nil }

func runRoundNew(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("round new")
	var r lifeline.Round
	fs.StringVar(&r.Community, "community", "", app.T("社区（必填）", "community (required)"))
	fs.Var((*buildings)(&r.Buildings), "building", app.T("只含这栋楼，可重复；不给则整个社区", "only this building, repeatable; none for the whole community"))
	by := fs.String("by", "", app.T("截止时间（必填），如 18:00 或 2022-04-10 18:00", "deadline (required), e.g. 18:00 or 2022-04-10 18:00"))
	pool := fs.String("pool", "10", app.T("混管人数：10、20 或 1（单管）", "pool size: 10, 20 or 1 (single tubes)"))
	if err := app.parse(fs, args); err != nil {
		return err
	}
	var err error
	if r.DueAt, err = lifeline.ParseWhen(*by, time.Now()); err != nil {
		return err
	}
	if r.Pool, err = lifeline.ParsePool(*pool); err != nil {
		return err
	}
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	if err := db.CreateRound(ctx, &r); err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, app.T("已开启第 %d 轮：%s，%d 人，%s，截止 %s\n", "round %d opened: %s, %d people, %s, due %s\n"),
		r.ID, lifeline.Printable(r.Where(app.Lang)), r.Residents, lifeline.PoolLabel(r.Pool, app.Lang), r.DueAt.In(lifeline.ChinaTime).Format("2006-01-02 15:04"))
	return nil
}

// runRoundList lists the rounds with their progress, or with --round one
// round's progress per building.
func runRoundList(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("round list")
	id := fs.Int64("round", 0, app.T("只看这一轮，按楼栋列出进度", "this round only, its progress per building"))
	if err := app.parse(fs, args); err != nil {
		return err
	}
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	rounds, err := db.Rounds(ctx, "")
	if err != nil {
		return err
	}
	rows := [][]string{{app.T("轮次", "round"), app.T("范围", "where"), app.T("截止", "due"), app.T("已采", "done"), app.T("混管阳性", "pooled positive"), app.T("未采", "missing")}}
	for _, r := range rounds {
		if *id != 0 && r.ID != *id {
			continue
		}
		ps, err := db.RoundProgress(ctx, r.ID)
		if err != nil {
			return err
		}
		var sum lifeline.BuildingProgress
		for _, p := range ps {
			sum.Done, sum.PooledPositive, sum.Missing = sum.Done+p.Done, sum.PooledPositive+p.PooledPositive, sum.Missing+p.Missing
			if *id != 0 {
				rows = append(rows, []string{"", lifeline.Printable(p.Building), "", strconv.Itoa(p.Done), strconv.Itoa(p.PooledPositive), strconv.Itoa(p.Missing)})
			}
		}
		rows = append(rows, []string{strconv.FormatInt(r.ID, 10), lifeline.Printable(r.Where(app.Lang)), r.DueAt.In(lifeline.ChinaTime).Format("01-02 15:04"),
			strconv.Itoa(sum.Done), strconv.Itoa(sum.PooledPositive), strconv.Itoa(sum.Missing)})
	}
	writeAligned(app.Stdout, rows)
	return nil
}

// runRoundMissing writes who is still to be sampled, door to door: to
// --out, an XLSX for the office or a large-type PDF for a clipboard, or to
// the terminal.
func runRoundMissing(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("round missing")
	f := lifeline.MissingFilter{}
	fs.Int64Var(&f.RoundID, "round", 0, app.T("轮次（必填）", "round (required)"))
	fs.StringVar(&f.Building, "building", "", app.T("只列这栋楼", "this building only"))
	fs.BoolVar(&f.Reveal, "reveal", false, app.T("显示完整姓名和电话（记入审计日志）", "show full names and phones (audited)"))
	out := fs.String("out", "", app.T("写到 .xlsx 或 .pdf 文件；不给则显示在终端", "write to a .xlsx or .pdf file; without it, show it here"))
	if err := app.parse(fs, args); err != nil {
		return err
	}
	write := map[string]func(io.Writer, *lifeline.MissingSheet) error{".xlsx": roster.WriteMissingXLSX, ".pdf": writeMissingPDF, "": nil}
	w, ok := write[strings.ToLower(filepath.Ext(*out))]
	if f.RoundID == 0 || !ok {
		return app.usagef("用法：lifeline round missing --round 轮次 [--building 楼栋] [--out 名单.xlsx|名单.pdf]", "usage: lifeline round missing --round R [--building B] [--out missing.xlsx|missing.pdf]")
	}
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	round, err := db.Round(ctx, f.RoundID)
	if err != nil {
		return err
	}
	list, err := db.MissingList(ctx, f)
	if err != nil {
		return err
	}
	sheet := &lifeline.MissingSheet{Round: *round, Building: f.Building, Entries: list, Reveal: f.Reveal, At: time.Now(), Lang: app.Lang}
	if w == nil {
		rows := [][]string{sheet.Header()[:10]}
		for _, l := range sheet.Lines() {
			rows = append(rows, l.Cells()[:10])
		}
		fmt.Fprintln(app.Stdout, sheet.Title())
		writeAligned(app.Stdout, rows)
		return nil
	}
	// The list names people: readable by its owner alone.
	if err := writeAtomic(*out, 0o600, func(out io.Writer) error { return w(out, sheet) }); err != nil {
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法写入 "+*out, "cannot write "+*out))
	}
	fmt.Fprintf(app.Stdout, app.T("%d 人未采样，已写入 %s\n", "%d not yet sampled, written to %s\n"), len(list), *out)
	return nil
}

func writeMissingPDF(w io.Writer, s *lifeline.MissingSheet) error {
	font, err := paper.LoadFont()
	if err != nil {
		return err
	}
	return paper.WriteMissingPDF(w, s, font)
}

// runRoundVisit marks a door-to-door visit to a resident (by document
// number) in a round.
func runRoundVisit(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("round visit")
	v := lifeline.Visit{}
	fs.Int64Var(&v.RoundID, "round", 0, app.T("轮次（必填）", "round (required)"))
	doc := fs.String("resident", "", app.T("居民证件号码（必填）", "the resident's document number (required)"))
	mark := fs.String("mark", "", app.T("not_home（未遇）、sampled（已上门采样）、refused（拒绝）或 away（外出）", "not_home, sampled (at home), refused or away"))
	at := fs.String("at", "", app.T("上门时间，默认现在", "when, default now"))
	fs.StringVar(&v.Note, "note", "", app.T("备注", "a note"))
	if err := app.parse(fs, args); err != nil {
		return err
	}
	var err error
	if v.Mark, err = lifeline.ParseVisitMark(*mark); err != nil {
		return err
	}
	if *at != "" {
		if v.At, err = lifeline.ParseWhen(*at, time.Now()); err != nil {
			return err
		}
	}
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	r, err := db.ResidentByDocument(ctx, lifeline.Document{Number: *doc})
	if err != nil {
		return err
	}
	v.ResidentID = r.ID
	if err := db.MarkVisit(ctx, &v); err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, app.T("已记录：%s %s %s\n", "recorded: %s %s %s\n"), lifeline.Printable(lifeline.MaskName(r.Name)), v.Mark.Label(app.Lang), v.At.In(lifeline.ChinaTime).Format("01-02 15:04"))
	return nil
}
