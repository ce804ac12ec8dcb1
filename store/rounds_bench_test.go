package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

// The round benchmarks run on a store of LIFELINE_BENCH_RESIDENTS
// residents (default a million) of whom the first 50,000 live in one big
// community, 万家社区: 100 buildings of 500, two units each. A round of
// that community is under way: three in five sampled, one in a hundred of
// them in a positive pool.
const (
	bigCommunity      = "万家社区"
	bigResidents      = 50000
	bigPerBuilding    = 500
	roundsBenchSchema = 4 // bump when the store or the synthetic data change
)

// bigAddress is where resident i of the big community lives: 3 to a room,
// 4 rooms a floor, 250 people a unit.
func bigAddress(i int) lifeline.Address {
	inUnit := i % (bigPerBuilding / 2)
	return lifeline.Address{
		Community: bigCommunity,
		Building:  fmt.Sprint(i/bigPerBuilding + 1),
		Unit:      fmt.Sprint(i%bigPerBuilding/(bigPerBuilding/2) + 1),
		Room:      fmt.Sprintf("%d%02d", inUnit/12+1, inUnit%12/3+1),
	}
}

// openRoundsBench opens the benchmark store and its round, built once into
// os.TempDir() and reused by later runs.
func openRoundsBench(b *testing.B) (*store.DB, int64) {
	b.Helper()
	n := benchResidents(b)
	path := filepath.Join(os.TempDir(), fmt.Sprintf("lifeline-bench-rounds-v%d-%d.db", roundsBenchSchema, n))
	if _, err := os.Stat(path); err != nil {
		b.Logf("building %s with %d residents (once; later runs reuse it)", path, n)
		buildRoundsBench(b, path, n)
	}
	db, err := store.Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db, 1
}

func buildRoundsBench(b *testing.B, path string, n int) {
	tmp := path + ".building"
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(tmp + suffix)
	}
	db, err := store.Open(context.Background(), tmp)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	const step = 50000
	for from := 0; from < n; from += step {
		rs := synth.Residents(from, min(step, n-from))
		for k := range rs {
			if from+k < bigResidents {
				rs[k].Address = bigAddress(from + k)
			}
		}
		if _, err := db.Import(ctx, &lifeline.ImportBatch{Residents: rs}); err != nil {
			b.Fatal(err)
		}
	}
	r := &lifeline.Round{Community: bigCommunity, Pool: 10, DueAt: time.Now().Add(24 * time.Hour)}
	if err := db.CreateRound(ctx, r); err != nil || r.ID != 1 || r.Residents != bigResidents {
		b.Fatalf("round %+v: %v", r, err)
	}
	db.Close()
	// The day's progress is written with SQL: filling 30,000 swabs one
	// at a time would take the benchmark's build most of an hour.
	raw, err := sql.Open("sqlite", "file:"+tmp)
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE round_members SET state = 'sampled' WHERE resident_id % 5 < 3`,
		`UPDATE round_members SET state = 'missing', retest = 1 WHERE resident_id % 100 = 1`,
	} {
		if _, err := raw.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	raw.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(store.LogPath(tmp) + suffix)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRoundProgress reads the big round's progress per building, as
// the staff screen does on every visit to it, and reports latency
// percentiles in milliseconds.
func BenchmarkRoundProgress(b *testing.B) {
	db, round := openRoundsBench(b)
	ctx := lifeline.WithActor(b.Context(), lifeline.Actor{User: "staff:bench", Community: bigCommunity})
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		ps, err := db.RoundProgress(ctx, round)
		times = append(times, time.Since(start))
		if err != nil || len(ps) != bigResidents/bigPerBuilding {
			b.Fatalf("%d buildings, %v", len(ps), err)
		}
	}
	cpu := cpuTime() - cpu0
	b.StopTimer()
	reportLatency(b, times)
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkMissingListBuilding reads the missing list of a random building
// of the big round, door to door with visits, audited, as a volunteer's
// list is made, and reports latency percentiles in milliseconds.
func BenchmarkMissingListBuilding(b *testing.B) {
	db, round := openRoundsBench(b)
	ctx := lifeline.WithActor(b.Context(), lifeline.Actor{User: "staff:bench", Community: bigCommunity})
	rng := rand.New(rand.NewPCG(3, 4))
	times := make([]time.Duration, 0, b.N)
	listed := 0
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		f := lifeline.MissingFilter{RoundID: round, Building: fmt.Sprint(rng.IntN(bigResidents/bigPerBuilding) + 1)}
		start := time.Now()
		list, err := db.MissingList(ctx, f)
		times = append(times, time.Since(start))
		if err != nil || len(list) == 0 {
			b.Fatalf("building %s: %d missing, %v", f.Building, len(list), err)
		}
		listed += len(list)
	}
	cpu := cpuTime() - cpu0
	b.StopTimer()
	reportLatency(b, times)
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(listed)/float64(b.N), "people/list")
}
