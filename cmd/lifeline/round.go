package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"github.com/lifeline-health/lifeline/paper"
)

// runRound opens a testing round (round new) or says who is still missing
// (round missing): door to door to --out, a workbook for the office or a
// large-type PDF for a clipboard, or without it how many are missing in
// each round, or with --round in each building of it.
func runRound(ctx context.Context, app *App, args []string) error {
	if app.wantsHelp("round", args) {
		return flag.ErrHelp
	}
	if len(args) == 0 || (args[0] != "new" && args[0] != "missing") {
		return app.usagef("用法：lifeline round new|missing [参数]", "usage: lifeline round new|missing [flags]")
	}
	fs := app.newFlagSet("round " + args[0])
	r, f := lifeline.Round{}, lifeline.MissingFilter{}
	var by, pool, out *string
	if args[0] == "new" {
		fs.StringVar(&r.Community, "community", "", app.T("社区（必填）", "community (required)"))
		by = fs.String("by", "", app.T("截止时间（必填），如 18:00 或 2022-04-10 18:00", "deadline (required), e.g. 18:00 or 2022-04-10 18:00"))
		pool = fs.String("pool", "10", app.T("混管人数：10、20 或 1（单管）", "pool size: 10, 20 or 1 (single tubes)"))
	} else {
		fs.Int64Var(&f.RoundID, "round", 0, app.T("轮次", "round"))
		fs.BoolVar(&f.Reveal, "reveal", false, app.T("显示完整姓名和电话（记入审计日志）", "show full names and phones (audited)"))
		out = fs.String("out", "", app.T("名单文件 .xlsx 或 .pdf；不给则只显示各轮（或 --round 一轮各楼）的进度", "the list's file, .xlsx or .pdf; without it, how the rounds (or with --round the buildings of one) stand"))
	}
	fs.Func("building", app.T("楼栋（new 可重复；不给则整个社区）", "a building (repeatable for new; none for the whole community)"), func(b string) error {
		r.Buildings, f.Building = append(r.Buildings, b), b
		return nil
	})
	err := app.parse(fs, args[1:])
	if err == nil && by != nil {
		if r.DueAt, err = lifeline.ParseWhen(*by, time.Now()); err == nil {
			r.Pool, err = lifeline.ParsePool(*pool)
		}
	} else if err == nil && *out != "" && (f.RoundID == 0 || !paper.IsMissingFormat(*out)) {
		err = app.usagef("用法：lifeline round missing --round 轮次 [--building 楼栋] --out 名单.xlsx|名单.pdf", "usage: lifeline round missing --round R [--building B] --out missing.xlsx|missing.pdf")
	}
	if err != nil {
		return err
	}
	ctx = lifeline.WithActor(ctx, auth.CommandLineActor(""))
	db, err := app.Store(ctx)
	switch {
	case err != nil:
		return err
	case by != nil:
		err = db.CreateRound(ctx, &r)
		if err == nil {
			fmt.Fprintln(app.Stdout, r.Line(lifeline.BuildingProgress{Total: r.Residents, Missing: r.Residents}, app.Lang))
		}
		return err
	case *out == "":
		lines, err := lifeline.RoundLines(ctx, db, f.RoundID, app.Lang)
		for _, l := range lines {
			fmt.Fprintln(app.Stdout, l)
		}
		return err
	}
	sheet, err := lifeline.NewMissingSheet(ctx, db, f, time.Now(), app.Lang)
	if err == nil {
		err = paper.WriteMissingFile(*out, sheet)
	}
	if err == nil {
		fmt.Fprintf(app.Stdout, app.T("%d 人未采样，已写入 %s\n", "%d not yet sampled, written to %s\n"), len(sheet.Entries), *out)
	}
	return err
}
