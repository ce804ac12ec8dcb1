package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/paper"
	"github.com/lifeline-health/lifeline/seed"
	"github.com/lifeline-health/lifeline/store"
	qrcode "github.com/skip2/go-qrcode"
)

// runPrint prints a generated community end to end, from a SQLite store
// to PDF files with every code recorded, and prints its rate beside the
// rate at which go-qrcode alone encodes the same payloads on all cores,
// measured before and after in the same run; then memory (peak heap and
// peak RSS, which stay flat however many codes) and bytes per code.
func runPrint(ctx context.Context, app *Bench, args []string) error {
	fs := app.newFlagSet("print")
	n := fs.Int("codes", 5000, app.T("打印的码数", "number of codes to print"))
	perFile := fs.Int("pages-per-file", paper.DefaultPagesPerFile, app.T("每个文件的页数", "pages per file"))
	keep := fs.String("dir", "", app.T("保留数据库和 PDF 的目录（默认用临时目录并删除）", "directory to keep the store and PDFs in (default: a temporary one, removed)"))
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || *perFile < 1 {
		return app.usagef("参数必须为正", "the numbers must be positive")
	}
	font, err := paper.LoadFont()
	if err != nil {
		return err
	}
	dir := *keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "lifeline-bench-print-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	db, err := seedPrintStore(ctx, app, filepath.Join(dir, "bench.db"), *n)
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now()
	key, err := code.NewKey(now.Add(-time.Hour), now.Add(code.DefaultMaxValidity+24*time.Hour))
	if err != nil {
		return err
	}
	iss := &payloadKeeper{Issuer: paper.CodeIssuer{Issuer: &code.Issuer{Key: key}}, keep: 3000}
	// Before: go-qrcode alone on codes of the first residents.
	before, err := firstPayloads(ctx, db, iss.Issuer, iss.keep)
	if err != nil {
		return err
	}
	qrWall1, qrCPU1 := qrOnly(before)
	opt := paper.Options{Out: filepath.Join(dir, "cards.pdf"), Font: font, PagesPerFile: *perFile, IssuedBy: "bench", Total: *n}
	m, err := measureBatch(ctx, app, db, iss, opt)
	if err != nil {
		return err
	}
	// After: go-qrcode alone on exactly the payloads the batch printed.
	qrWall2, qrCPU2 := qrOnly(iss.payloads)
	m.qrWall, m.qrCPU = (qrWall1+qrWall2)/2, (qrCPU1+qrCPU2)/2
	m.report(app, iss.payloads[0])
	return nil
}

// seedPrintStore stores n generated residents in a new SQLite store.
func seedPrintStore(ctx context.Context, app *Bench, path string, n int) (*store.DB, error) {
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var batch lifeline.ImportBatch
	flush := func() error {
		if len(batch.Residents) == 0 {
			return nil
		}
		_, err := db.Import(ctx, &batch)
		batch = lifeline.ImportBatch{}
		return err
	}
	err = seed.Generate(seed.Config{Residents: n, Seed: 1}, func(h *seed.Household) error {
		batch.Residents = append(batch.Residents, h.Members...)
		if len(batch.Residents) >= 5000 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	fmt.Fprintf(app.Stderr, app.T("已生成 %d 位居民（%s）\n", "seeded %d residents (%s)\n"), n, time.Since(start).Round(time.Millisecond))
	return db, nil
}

var errEnough = errors.New("enough")

// firstPayloads issues codes for the first n residents of the store.
func firstPayloads(ctx context.Context, db *store.DB, iss paper.Issuer, n int) ([]string, error) {
	var out []string
	err := db.EachResident(ctx, lifeline.ResidentFilter{}, func(r *lifeline.Resident) error {
		if len(out) >= n {
			return errEnough
		}
		c, err := iss.Issue(r)
		out = append(out, c.Payload)
		return err
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	return out, nil
}

// printMeasure is what one batch measured, and go-qrcode alone beside it.
type printMeasure struct {
	res           paper.Result
	elapsed, cpu  time.Duration
	peakHeap      uint64
	rss           int64
	qrWall, qrCPU float64
}

// measureBatch prints every resident of the store as one batch, timing it
// and sampling its heap.
func measureBatch(ctx context.Context, app *Bench, db *store.DB, iss paper.Issuer, opt paper.Options) (*printMeasure, error) {
	m := &printMeasure{}
	var ms runtime.MemStats
	prog := paper.NewProgressWriter(app.Stderr, app.Lang)
	defer prog.End()
	progress := func(p paper.Progress) {
		if p.Done%500 == 0 {
			runtime.ReadMemStats(&ms)
			m.peakHeap = max(m.peakHeap, ms.HeapInuse)
		}
		prog.Update(p)
	}
	runtime.GC()
	resetPeakRSS()
	start, cpu0 := time.Now(), processCPU()
	res, err := paper.Batch(ctx, paper.Selected(db, lifeline.ResidentFilter{}), iss, db, opt, progress)
	m.elapsed, m.cpu = time.Since(start), processCPU()-cpu0
	if err != nil {
		return nil, err
	}
	m.res, m.rss = res, peakRSS()
	return m, nil
}

func (m *printMeasure) report(app *Bench, payload string) {
	var size int64
	for _, f := range m.res.Files {
		if st, err := os.Stat(f); err == nil {
			size += st.Size()
		}
	}
	codes := float64(m.res.Codes)
	rate := codes / m.elapsed.Seconds()
	w := app.Stdout
	q, _ := qrcode.New(payload, paper.Level)
	fmt.Fprintf(w, app.T("打印 %d 个码：%d 个文件，%d 页，用时 %s，QR 版本 %d（Q 级）\n", "printed %d codes: %d files, %d pages in %s, QR version %d at level Q\n"),
		m.res.Codes, len(m.res.Files), m.res.Pages, m.elapsed.Round(time.Millisecond), q.VersionNumber)
	fmt.Fprintf(w, app.T("  端到端（库 → PDF）   %8.0f 码/秒\n", "  end to end (store → PDF) %8.0f codes/s\n"), rate)
	fmt.Fprintf(w, app.T("  仅 go-qrcode（全部核） %8.0f 码/秒\n", "  go-qrcode alone, all cores %6.0f codes/s\n"), m.qrWall)
	fmt.Fprintf(w, app.T("  比值                  %8.1f%%（目标 ≥ 80%%）\n", "  ratio                     %6.1f%% (target at least 80%%)\n"), 100*rate/m.qrWall)
	if m.cpu > 0 && m.qrCPU > 0 {
		fmt.Fprintf(w, app.T("  按 CPU 时间的比值      %8.1f%%（不受其他进程干扰）；用了 %.2f 个核\n", "  ratio per CPU second      %6.1f%% (undisturbed by other load); %.2f cores used\n"),
			100*(codes/m.cpu.Seconds())/m.qrCPU, m.cpu.Seconds()/m.elapsed.Seconds())
	}
	fmt.Fprintf(w, app.T("  每码字节               %8.0f\n", "  bytes per code            %6.0f\n"), float64(size)/codes)
	fmt.Fprintf(w, app.T("  峰值堆内存             %8.1f MB\n", "  peak heap                 %6.1f MB\n"), float64(m.peakHeap)/(1<<20))
	if m.rss > 0 {
		fmt.Fprintf(w, app.T("  峰值常驻内存 (RSS)     %8.1f MB\n", "  peak RSS                  %6.1f MB\n"), float64(m.rss)/(1<<20))
	}
}

// payloadKeeper remembers the first payloads it issues.
type payloadKeeper struct {
	paper.Issuer
	keep     int
	mu       sync.Mutex
	payloads []string
}

func (p *payloadKeeper) Issue(r *lifeline.Resident) (paper.Code, error) {
	c, err := p.Issuer.Issue(r)
	p.mu.Lock()
	if len(p.payloads) < p.keep {
		p.payloads = append(p.payloads, c.Payload)
	}
	p.mu.Unlock()
	return c, err
}

// qrOnly encodes payloads with go-qrcode alone on every core and returns
// codes per second of wall time and per second of CPU time.
func qrOnly(payloads []string) (wall, cpu float64) {
	var next atomic.Int64
	var wg sync.WaitGroup
	start, cpu0 := time.Now(), processCPU()
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(payloads) {
					return
				}
				if q, err := qrcode.New(payloads[i], paper.Level); err == nil {
					q.Bitmap()
				}
			}
		}()
	}
	wg.Wait()
	n := float64(len(payloads))
	wall = n / time.Since(start).Seconds()
	if c := processCPU() - cpu0; c > 0 {
		cpu = n / c.Seconds()
	}
	return wall, cpu
}

// peakRSS returns the process's peak resident set size (VmHWM), 0 where
// /proc is not there.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// resetPeakRSS restarts the peak RSS count from now (Linux).
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }
