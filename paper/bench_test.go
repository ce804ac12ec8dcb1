package paper

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/seed"
	"github.com/lifeline-health/lifeline/store"
)

// seedStore opens a SQLite store in dir holding n generated residents.
func seedStore(tb testing.TB, dir string, n int) *store.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "bench.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	var batch lifeline.ImportBatch
	flush := func() {
		if len(batch.Residents) == 0 {
			return
		}
		if _, err := db.Import(ctx, &batch); err != nil {
			tb.Fatal(err)
		}
		batch = lifeline.ImportBatch{}
	}
	err = seed.Generate(seed.Config{Residents: n, Seed: 7}, func(h *seed.Household) error {
		batch.Residents = append(batch.Residents, h.Members...)
		if len(batch.Residents) >= 5000 {
			flush()
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	flush()
	return db
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// qrOnlyRate is how many of the payloads go-qrcode alone encodes per
// second on all cores, the ceiling for the whole batch, and per second of
// CPU time.
func qrOnlyRate(payloads []string) (wall, cpu float64) {
	workers := runtime.GOMAXPROCS(0)
	var next atomic.Int64
	var wg sync.WaitGroup
	start, cpu0 := time.Now(), cpuTime()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(payloads) {
					return
				}
				q, err := qrcode.New(payloads[i], Level)
				if err != nil {
					panic(err)
				}
				q.Bitmap()
			}
		}()
	}
	wg.Wait()
	n := float64(len(payloads))
	return n / time.Since(start).Seconds(), n / (cpuTime() - cpu0).Seconds()
}

// peakRSS returns the process's peak resident set (VmHWM) in bytes;
// resetPeakRSS starts counting again from now (Linux).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			kb, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// BenchmarkPrint prints b.N cards end to end, from a SQLite store to PDF
// files on disk with every code recorded, and reports beside it the rate
// at which go-qrcode alone encodes the same payloads on all cores in the
// same run. -benchtime=100000x gives the memory figures at 100,000 codes.
//
//	go test ./paper/ -run '^$' -bench Print -benchtime 5000x
func BenchmarkPrint(b *testing.B) {
	n := b.N
	dir := b.TempDir()
	db := seedStore(b, dir, n)
	ctx := context.Background()
	key := testKey(b)
	iss := fixedIssuer{key}

	// The baseline: the same payloads the batch will encode (fixedIssuer
	// gives each resident the same code every time), up to 3,000 of them.
	var payloads []string
	err := db.EachResident(ctx, lifeline.ResidentFilter{}, func(r *lifeline.Resident) error {
		if len(payloads) < 3000 {
			c, err := iss.Issue(r)
			if err != nil {
				return err
			}
			payloads = append(payloads, c.Payload)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	qrWall1, qrCPU1 := qrOnlyRate(payloads)

	out := filepath.Join(dir, "out", "cards.pdf")
	os.MkdirAll(filepath.Dir(out), 0o755)
	opt := Options{Out: out, Font: testFont(b), Location: time.UTC, IssuedBy: "bench", Total: n}
	var peakHeap uint64
	var ms runtime.MemStats
	progress := func(p Progress) {
		if p.Done%1000 == 0 {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peakHeap {
				peakHeap = ms.HeapInuse
			}
		}
	}
	src := Selected(db, lifeline.ResidentFilter{})
	runtime.GC()
	resetPeakRSS()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	res, err := Batch(ctx, src, iss, db, opt, progress)
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	// The machine may be shared: the baseline is taken before and after
	// and averaged, and both are also given per second of CPU time, which
	// other processes do not disturb.
	qrWall2, qrCPU2 := qrOnlyRate(payloads)
	qrRate, qrCPU := (qrWall1+qrWall2)/2, (qrCPU1+qrCPU2)/2
	if err != nil {
		b.Fatal(err)
	}
	if res.Codes != n {
		b.Fatalf("printed %d codes, want %d", res.Codes, n)
	}
	var size int64
	for _, f := range res.Files {
		st, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}
		size += st.Size()
	}
	rate := float64(n) / elapsed.Seconds()
	b.ReportMetric(rate, "codes/s")
	b.ReportMetric(qrRate, "qr-only/s")
	b.ReportMetric(100*rate/qrRate, "%-of-qr")
	b.ReportMetric(100*(float64(n)/cpu.Seconds())/qrCPU, "%-of-qr-cpu")
	b.ReportMetric(cpu.Seconds()/elapsed.Seconds(), "cores")
	b.ReportMetric(float64(size)/float64(n), "B/code")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MB")
	b.ReportMetric(float64(len(res.Files)), "files")
}
