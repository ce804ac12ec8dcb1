package main

import (
	"context"
	"fmt"
	"io"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"github.com/lifeline-health/lifeline/paper"
)

// runRound opens testing rounds, says how they stand and who is still
// missing: round new | list | missing.
func runRound(ctx context.Context, app *App, args []string) error {
	subs := map[string]func(context.Context, *App, []string) error{"new": runRoundNew, "list": runRoundList, "missing": runRoundMissing}
	if len(args) == 0 || subs[args[0]] == nil {
		return app.usagef("用法：lifeline round new|list|missing [参数]", "usage: lifeline round new|list|missing [flags]")
	}
	return subs[args[0]](lifeline.WithActor(ctx, auth.CommandLineActor("")), app, args[1:])
}

func runRoundNew(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("round new")
	r := lifeline.Round{}
	fs.StringVar(&r.Community, "community", "", app.T("社区（必填）", "community (required)"))
	fs.Func("building", app.T("只含这栋楼，可重复；不给则整个社区", "only this building, repeatable; none for the whole community"), func(b string) error { r.Buildings = append(r.Buildings, b); return nil })
	by := fs.String("by", "", app.T("截止时间（必填），如 18:00 或 2022-04-10 18:00", "deadline (required), e.g. 18:00 or 2022-04-10 18:00"))
	pool := fs.String("pool", "10", app.T("混管人数：10、20 或 1（单管）", "pool size: 10, 20 or 1 (single tubes)"))
	err := app.parse(fs, args)
	if err == nil {
		r.DueAt, err = lifeline.ParseWhen(*by, time.Now())
	}
	if err == nil {
		r.Pool, err = lifeline.ParsePool(*pool)
	}
	if err != nil {
		return err
	}
	db, err := app.Store(ctx)
	if err == nil {
		err = db.CreateRound(ctx, &r)
	}
	if err == nil {
		fmt.Fprintln(app.Stdout, r.Line(lifeline.BuildingProgress{Total: r.Residents, Missing: r.Residents}, app.Lang))
	}
	return err
}

// runRoundList says how the rounds stand, and with --round how one round
// stands in each building.
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
	for _, r := range rounds {
		ps, err := db.RoundProgress(ctx, r.ID)
		if err != nil {
			return err
		}
		if *id == 0 || r.ID == *id {
			fmt.Fprintln(app.Stdout, r.Line(lifeline.Sum(ps), app.Lang))
		}
		for _, p := range ps {
			if r.ID == *id {
				fmt.Fprintf(app.Stdout, "  %s%s  %s\n", lifeline.Printable(p.Building), app.T("栋", ""), p.Counts(app.Lang))
			}
		}
	}
	return err
}

// runRoundMissing writes who is still to be sampled, door to door, as a
// workbook for the office or a large-type PDF for a clipboard.
func runRoundMissing(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("round missing")
	f := lifeline.MissingFilter{}
	fs.Int64Var(&f.RoundID, "round", 0, app.T("轮次（必填）", "round (required)"))
	fs.StringVar(&f.Building, "building", "", app.T("只列这栋楼", "this building only"))
	fs.BoolVar(&f.Reveal, "reveal", false, app.T("显示完整姓名和电话（记入审计日志）", "show full names and phones (audited)"))
	out := fs.String("out", "", app.T("名单文件（必填）：.xlsx 或 .pdf", "the list's file (required): .xlsx or .pdf"))
	if err := app.parse(fs, args); err != nil {
		return err
	}
	if f.RoundID == 0 || !paper.IsMissingFormat(*out) {
		return app.usagef("用法：lifeline round missing --round 轮次 [--building 楼栋] --out 名单.xlsx|名单.pdf", "usage: lifeline round missing --round R [--building B] --out missing.xlsx|missing.pdf")
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
	// The list names people: readable by its owner alone.
	err = writeAtomic(*out, 0o600, func(w io.Writer) error { return paper.WriteMissing(w, sheet, *out) })
	if lifeline.ErrorCode(err) == lifeline.EINTERNAL {
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法写入 "+*out, "cannot write "+*out))
	} else if err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, app.T("%d 人未采样，已写入 %s\n", "%d not yet sampled, written to %s\n"), len(list), *out)
	return nil
}
