package main

import (
	"context"
	"fmt"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"github.com/lifeline-health/lifeline/seed"
)

// runSeed writes synthetic residents through the same Import path a real
// roster takes (seed.Write), showing progress chunk by chunk.
func runSeed(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("seed")
	n := fs.Int("residents", 1000, app.T("生成多少位居民", "how many residents to generate"))
	s := fs.Int64("seed", 1, app.T("随机种子：相同的种子生成相同的居民", "random seed: the same seed gives the same residents"))
	quiet := fs.Bool("quiet", false, app.T("不显示进度", "do not show progress"))
	if err := app.parse(fs, args); err != nil {
		return err
	}
	if *n < 1 {
		return app.usagef("--residents 应至少为 1", "--residents must be at least 1")
	}
	app.reservePageCache(*n)
	app.creates = true
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	ctx = lifeline.WithActor(ctx, auth.CommandLineActor(""))
	start := time.Now()
	progress := func(w seed.Written) {
		if *quiet {
			return
		}
		el := time.Since(start).Seconds()
		fmt.Fprintf(app.Stderr, app.T("已写入 %d/%d 位居民，%d 条亲属关联（%.1f 秒，每秒 %.0f 人）\n", "%d/%d residents written, %d relative links (%.1fs, %.0f residents/s)\n"),
			w.Residents, *n, w.Links, el, float64(w.Residents)/max(el, 1e-9))
	}
	w, err := seed.Write(ctx, db, seed.Config{Residents: *n, Seed: *s, Now: time.Now()}, progress)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(app.Stderr, app.T("已中断：之前写入的 %d 位居民已保存。\n", "interrupted: the %d residents written before are kept.\n"), w.Residents)
		}
		return err
	}
	progress(w)
	fmt.Fprintf(app.Stdout, app.T("已生成 %d 位居民（新增 %d，更新 %d，未变 %d），%d 条亲属关联，种子 %d。\n",
		"generated %d residents (%d inserted, %d updated, %d unchanged), %d relative links, seed %d.\n"),
		w.Residents, w.Stats.Inserted, w.Stats.Updated, w.Residents-w.Stats.Inserted-w.Stats.Updated, w.Links, *s)
	return nil
}
