package main

import (
	"context"
	"fmt"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/seed"
	"github.com/lifeline-health/lifeline/store"
)

func init() {
	register(&command{
		name:    "seed",
		summary: lifeline.T("生成演示用的居民数据（可重复）", "generate demo residents (reproducible)"),
		run:     runSeed,
	})
}

// seedChunk is how many residents go into one transaction: big enough that
// per-transaction cost vanishes, small enough that Ctrl-C loses little and
// a reader never waits long.
const seedChunk = 10000

// runSeed writes synthetic residents through the same Import path a real
// roster takes, chunk by chunk, then links relatives.
func runSeed(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("seed")
	n := fs.Int("residents", 1000, app.T("生成多少位居民", "how many residents to generate"))
	s := fs.Int64("seed", 1, app.T("随机种子：相同的种子生成相同的居民", "random seed: the same seed gives the same residents"))
	quiet := fs.Bool("quiet", false, app.T("不显示进度", "do not show progress"))
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return app.usagef("多余的参数：%s", "unexpected argument: %s", fs.Arg(0))
	}
	if *n < 1 {
		return app.usagef("--residents 应至少为 1", "--residents must be at least 1")
	}
	app.reservePageCache(*n)
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	ctx = lifeline.WithActor(ctx, lifeline.Actor{User: "seed"})
	start := time.Now()
	w := &seedWriter{db: db, ctx: ctx}
	progress := func() {
		if *quiet {
			return
		}
		el := time.Since(start).Seconds()
		fmt.Fprintf(app.Stderr, app.T("已写入 %d/%d 位居民，%d 条亲属关联（%.1f 秒，每秒 %.0f 人）\n", "%d/%d residents written, %d relative links (%.1fs, %.0f residents/s)\n"),
			w.total, *n, w.links, el, float64(w.total)/max(el, 1e-9))
	}
	err = seed.Generate(seed.Config{Residents: *n, Seed: *s, Now: time.Now()}, func(h *seed.Household) error {
		w.add(h)
		if len(w.batch.Residents) < seedChunk {
			return nil
		}
		if err := w.flush(); err != nil {
			return err
		}
		progress()
		return nil
	})
	if err == nil {
		err = w.flush()
	}
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(app.Stderr, app.T("已中断：之前写入的 %d 位居民已保存。\n", "interrupted: the %d residents written before are kept.\n"), w.total)
		}
		return err
	}
	progress()
	fmt.Fprintf(app.Stdout, app.T("已生成 %d 位居民（新增 %d，更新 %d，未变 %d），%d 条亲属关联，种子 %d。\n",
		"generated %d residents (%d inserted, %d updated, %d unchanged), %d relative links, seed %d.\n"),
		w.total, w.stats.Inserted, w.stats.Updated, w.total-w.stats.Inserted-w.stats.Updated, w.links, *s)
	return nil
}

// seedWriter gathers households into one import batch and remembers where
// each household's members start, to link relatives once they have ids.
type seedWriter struct {
	db     *store.DB
	ctx    context.Context
	batch  lifeline.ImportBatch
	starts []int
	hs     []*seed.Household

	total, links int
	stats        lifeline.ImportStats
}

func (w *seedWriter) add(h *seed.Household) {
	w.starts = append(w.starts, len(w.batch.Residents))
	w.hs = append(w.hs, h)
	w.batch.Residents = append(w.batch.Residents, h.Members...)
	w.batch.Updates = append(w.batch.Updates, h.Updates...)
}

func (w *seedWriter) flush() error {
	if len(w.batch.Residents) == 0 {
		return nil
	}
	st, err := w.db.Import(w.ctx, &w.batch)
	if err != nil {
		return err
	}
	w.stats.Inserted += st.Inserted
	w.stats.Updated += st.Updated
	w.total += len(w.batch.Residents)
	for i, h := range w.hs {
		for _, l := range h.Links {
			rel := &lifeline.Relative{ResidentID: w.batch.Residents[w.starts[i]+l.Member].ID, Relation: l.Relation, Phone: l.Phone}
			if l.Relative >= 0 {
				rel.RelativeResidentID = w.batch.Residents[w.starts[i]+l.Relative].ID
			}
			if err := w.db.LinkRelative(w.ctx, rel); err != nil {
				return err
			}
			w.links++
		}
	}
	w.batch = lifeline.ImportBatch{Residents: w.batch.Residents[:0], Updates: w.batch.Updates[:0]}
	w.starts, w.hs = w.starts[:0], w.hs[:0]
	return nil
}
