package tui

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/internal/benchenv"
	"github.com/lifeline-health/lifeline/seed"
	"github.com/lifeline-health/lifeline/store"
)

// BenchmarkFindAsYouType measures one keystroke on the find screen at
// scale: the search the keystroke starts, the screen taking its results,
// and drawing them, for queries typed one character at a time as a worker
// types them (ID tail, phone tail, name, building-unit-room).
//
// The store is LIFELINE_BENCH_DB if set (for example package store's
// cached million-resident benchmark file), otherwise one of
// LIFELINE_BENCH_RESIDENTS (default 1,000,000) seeded residents built once
// under the temp dir and reused. Target: p99 under 50 ms per keystroke.
//
//	go test ./tui -run '^$' -bench FindAsYouType -benchtime 400x
func BenchmarkFindAsYouType(b *testing.B) {
	db, n := openBenchStore(b)
	ctx := lifeline.WithActor(context.Background(), lifeline.Actor{User: "staff:bench"})
	rng := rand.New(rand.NewPCG(3, 4))
	// Queries from residents actually stored, each typed key by key.
	var typed [][]string
	for len(typed) < 200 {
		r, err := db.Resident(ctx, int64(1+rng.IntN(n)))
		if lifeline.ErrorCode(err) == lifeline.ENOTFOUND {
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range []string{r.Doc.Tail(4), r.Name, r.Address.Short()} {
			if q != "" {
				typed = append(typed, prefixes(q))
			}
		}
		if len(r.Phones) > 0 {
			typed = append(typed, prefixes(lifeline.PhoneTail(r.Phones[0])))
		}
	}
	e := &env{cfg: Config{Debounce: time.Millisecond}, store: db, lang: lifeline.Zh, keys: newKeyMap(lifeline.Zh),
		staff: &lifeline.Staff{User: "bench", Role: lifeline.RoleAdmin}, ctx: ctx, width: 80, height: 24}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		keys := typed[i%len(typed)]
		q := keys[(i/len(typed))%len(keys)]
		s := newFindScreen(e)
		s.focus()
		s.input.SetValue(q[:len(q)-len(lastRune(q))])
		start := time.Now()
		s, _ = s.update(runes(lastRune(q)))
		msg := s.search(s.seq, q)().(findResultMsg)
		if msg.err != nil {
			b.Fatal(msg.err)
		}
		s, _ = s.update(msg)
		_ = s.view(80, 21)
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	pct := func(p float64) float64 {
		return float64(times[int(p*float64(len(times)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(n), "residents")
}

// prefixes returns what the search box holds after each keystroke.
func prefixes(s string) []string {
	var out []string
	for i := range s {
		if i > 0 {
			out = append(out, s[:i])
		}
	}
	return append(out, s)
}

func lastRune(s string) string {
	r := []rune(s)
	return string(r[len(r)-1])
}

func openBenchStore(b *testing.B) (*store.DB, int) {
	b.Helper()
	ctx := context.Background()
	if path := os.Getenv("LIFELINE_BENCH_DB"); path != "" {
		db, err := store.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		n, err := db.CountResidents(ctx)
		if err != nil || n == 0 {
			b.Fatalf("LIFELINE_BENCH_DB %s: %d residents, %v", path, n, err)
		}
		return db, n
	}
	n := benchenv.Int(b, "LIFELINE_BENCH_RESIDENTS", 1_000_000, 1000)
	path := filepath.Join(os.TempDir(), fmt.Sprintf("lifeline-tui-bench-v1-%d.db", n))
	if _, err := os.Stat(path); err != nil {
		b.Logf("seeding %s with %d residents (once; later runs reuse it)", path, n)
		tmp := path + ".building"
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(tmp + suffix)
		}
		db, err := store.Open(ctx, tmp)
		if err != nil {
			b.Fatal(err)
		}
		var batch lifeline.ImportBatch
		flush := func() error {
			_, err := db.Import(ctx, &batch)
			batch = lifeline.ImportBatch{}
			return err
		}
		err = seed.Generate(seed.Config{Residents: n, Seed: 1}, func(h *seed.Household) error {
			batch.Residents = append(batch.Residents, h.Members...)
			batch.Updates = append(batch.Updates, h.Updates...)
			if len(batch.Residents) >= 20000 {
				return flush()
			}
			return nil
		})
		if err == nil {
			err = flush()
		}
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	n, err = db.CountResidents(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return db, n
}
