package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/internal/benchenv"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

// BenchmarkImport imports roster rows into a store that grows by one batch
// per iteration and reports rows per second. LIFELINE_BENCH_IMPORT_ROWS
// sets the batch size (default 20,000).
func BenchmarkImport(b *testing.B) {
	rows := benchenv.Int(b, "LIFELINE_BENCH_IMPORT_ROWS", 20000, 1)
	db, err := store.Open(b.Context(), filepath.Join(b.TempDir(), "import.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var elapsed, cpu time.Duration
	for i := 0; i < b.N; i++ {
		batch := &lifeline.ImportBatch{Residents: synth.Residents(i*rows, rows)}
		start, cpu0 := time.Now(), cpuTime()
		st, err := db.Import(b.Context(), batch)
		elapsed, cpu = elapsed+time.Since(start), cpu+cpuTime()-cpu0
		if err != nil {
			b.Fatal(err)
		}
		if st.Inserted != rows {
			b.Fatalf("inserted %d", st.Inserted)
		}
	}
	b.ReportMetric(float64(b.N*rows)/elapsed.Seconds(), "rows/s")
	// The box is shared: rows per second of CPU this process used says
	// what one free core would do.
	b.ReportMetric(float64(b.N*rows)/cpu.Seconds(), "rows/cpu-s")
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchResidents is the size of the store the find benchmarks search:
// LIFELINE_BENCH_RESIDENTS, default a million.
func benchResidents(b *testing.B) int {
	return benchenv.Int(b, "LIFELINE_BENCH_RESIDENTS", 1_000_000, 1000)
}

// benchCacheVersion changes when the schema or the synthetic data change,
// so an old cached store is not reused.
const benchCacheVersion = 3

// openBenchStore opens a store of n synthetic residents with statuses and
// tests, built once into a file under os.TempDir() and reused by later runs
// (building a million rows takes a while).
func openBenchStore(b *testing.B, n int) *store.DB {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("lifeline-bench-v%d-%d.db", benchCacheVersion, n))
	if _, err := os.Stat(path); err != nil {
		b.Logf("building %s with %d residents (once; later runs reuse it)", path, n)
		tmp := path + ".building"
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(tmp + suffix)
		}
		db, err := store.Open(context.Background(), tmp)
		if err != nil {
			b.Fatal(err)
		}
		at := time.Date(2022, 4, 9, 8, 0, 0, 0, time.UTC)
		const step = 50000
		for from := 0; from < n; from += step {
			batch := &lifeline.ImportBatch{Residents: synth.Residents(from, min(step, n-from))}
			for k, r := range batch.Residents {
				if (from+k)%2 == 0 {
					batch.Updates = append(batch.Updates, lifeline.StatusUpdate{Doc: r.Doc, Color: lifeline.Green, At: at,
						Test: &lifeline.TestResult{SampledAt: at.Add(time.Duration(k) * time.Second), Result: lifeline.Negative, Site: "站点1"}})
				}
			}
			if _, err := db.Import(context.Background(), batch); err != nil {
				db.Close()
				b.Fatal(err)
			}
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
		// The build's log file (its audit line) stays behind: the store
		// at path starts a log of its own.
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(store.LogPath(tmp) + suffix)
		}
	}
	db, err := store.Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// benchFind runs one search per iteration, with queries made from random
// stored residents, and reports latency percentiles in milliseconds.
func benchFind(b *testing.B, query func(i int) string) {
	n := benchResidents(b)
	db := openBenchStore(b, n)
	ctx := lifeline.WithActor(b.Context(), lifeline.Actor{User: "bench"})
	rng := rand.New(rand.NewPCG(1, 2))
	times := make([]time.Duration, 0, b.N)
	found := 0
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		q := query(rng.IntN(n))
		start := time.Now()
		ms, err := db.FindResidents(ctx, lifeline.ResidentFilter{Query: q})
		times = append(times, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if len(ms) > 0 {
			found++
		}
	}
	cpu := cpuTime() - cpu0
	b.StopTimer()
	if found == 0 {
		b.Fatal("no query found anything")
	}
	reportLatency(b, times)
	b.ReportMetric(float64(found)/float64(b.N), "hit-ratio")
	// The box is shared: wall-clock percentiles move with the neighbours'
	// load, the CPU this process spent per search does not.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// reportLatency reports the 50th and 99th percentiles of times in
// milliseconds.
func reportLatency(b *testing.B, times []time.Duration) {
	slices.Sort(times)
	pct := func(p float64) float64 {
		return float64(times[min(len(times)-1, int(p*float64(len(times))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

func BenchmarkFindDocument(b *testing.B) { benchFind(b, synth.ID) }

func BenchmarkFindDocTail(b *testing.B) {
	benchFind(b, func(i int) string { return synth.ID(i)[12:] })
}

func BenchmarkFindPhone(b *testing.B) {
	benchFind(b, func(i int) string { return synth.Phone(i)[3:] })
}

// A 4-digit tail is ambiguous: it searches ID tails and phone tails.
func BenchmarkFindPhoneTail(b *testing.B) {
	benchFind(b, func(i int) string { p := synth.Phone(i); return p[len(p)-4:] })
}

func BenchmarkFindAddress(b *testing.B) {
	benchFind(b, func(i int) string { return synth.Address(i).Short() })
}

// A whole building, written the Chinese way (the synthetic buildings of
// later communities have 4-digit numbers, which bare would read as ID tails).
func BenchmarkFindAddressBuilding(b *testing.B) {
	benchFind(b, func(i int) string { return synth.Address(i).Building + "栋" })
}

func BenchmarkFindName(b *testing.B) { benchFind(b, synth.Name) }

// Part of a name: the given name alone, found through the gram index.
func BenchmarkFindNamePart(b *testing.B) {
	benchFind(b, func(i int) string { return string([]rune(synth.Name(i))[1:]) })
}

// One character: the most common surname-sized query.
func BenchmarkFindNameChar(b *testing.B) {
	benchFind(b, func(i int) string { return string([]rune(synth.Name(i))[:1]) })
}

// BenchmarkBeginInbound records MessageSids that look random, as Twilio's
// do, from 64 callers at once (the gateway's group commit), into an SMS
// log that already holds stored=N of them (LIFELINE_BENCH_INBOUND_STORED,
// default 600,000, recorded first the same way). Kept in one table with an
// index on sid, each random sid landed on an index leaf of its own and
// every group commit wrote those pages to the WAL, so the CPU a message
// cost grew with the log; in generations (store/sqlite_inbound.go) a commit
// appends, and stored=0 and stored=N should cost about the same.
func BenchmarkBeginInbound(b *testing.B) {
	stored := benchenv.Int(b, "LIFELINE_BENCH_INBOUND_STORED", 600_000, 0)
	sizes := []int{0}
	if stored > 0 {
		sizes = append(sizes, stored)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("stored=%d", n), func(b *testing.B) { benchBeginInbound(b, n) })
	}
}

func benchBeginInbound(b *testing.B, stored int) {
	const reply = "张*丰 绿码 4/9 08:00采样 阴性"
	sid := func(rng *rand.Rand) string { return fmt.Sprintf("SM%016x%016x", rng.Uint64(), rng.Uint64()) }
	db, err := store.Open(b.Context(), filepath.Join(b.TempDir(), "inbound.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	// The log is filled the way the gateway fills it, 64 callers at once.
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 3))
			for i := g; i < stored; i += 64 {
				m := &lifeline.InboundMessage{Sid: sid(rng), From: "+8613800000000", Command: "status", State: lifeline.InboundInline, Reply: reply}
				if _, _, err := db.BeginInbound(context.Background(), m); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	var seed atomic.Uint64
	b.SetParallelism(32) // 64 callers on 2 cores
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(seed.Add(1), 5))
		for pb.Next() {
			m := &lifeline.InboundMessage{Sid: sid(rng), From: "+8613800000001", Command: "status", State: lifeline.InboundInline, Reply: reply}
			if _, first, err := db.BeginInbound(context.Background(), m); err != nil || !first {
				b.Errorf("BeginInbound: first=%v err=%v", first, err)
				return
			}
		}
	})
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/msg")
}
