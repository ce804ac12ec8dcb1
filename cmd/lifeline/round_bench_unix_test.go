//go:build unix

package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lifeline-health/lifeline/internal/benchenv"
	"github.com/lifeline-health/lifeline/store"
)

// BenchmarkImportTubes imports, with the import command, a lab's results
// file of tube rows (LIFELINE_BENCH_TUBES, default 100,000, of
// LIFELINE_BENCH_POOL people each, default 10) into a store where those
// tubes were filled, and beside it, in the same run, a roster of
// LIFELINE_BENCH_IMPORT_ROWS residents (default 50,000) into an empty
// store, as BenchmarkImportCommand does: rows a second by the clock and by
// CPU time, and people's results a second. Each tube import starts from a
// copy of the filled store, made before the clock starts.
func BenchmarkImportTubes(b *testing.B) {
	rows := benchenv.Int(b, "LIFELINE_BENCH_IMPORT_ROWS", 50000, 1)
	tubes := benchenv.Int(b, "LIFELINE_BENCH_TUBES", 100000, 1)
	pool := benchenv.Int(b, "LIFELINE_BENCH_POOL", 10, 1)
	dir := b.TempDir()
	roster := seedCSV(b, dir, rows)
	filled := filledStore(b, tubes, pool)
	var lab bytes.Buffer
	lab.WriteString("试管编码,检测结果,采样时间\r\n")
	for i := 1; i <= tubes; i++ {
		fmt.Fprintf(&lab, "T%07d,阴性,2022-04-10 08:00\r\n", i)
	}
	results := writeFile(b, dir, "lab.csv", lab.Bytes())
	b.Run("roster", func(b *testing.B) {
		timeImports(b, rows, 1, func(i int) string { return filepath.Join(dir, "roster"+strconv.Itoa(i)+".db") }, roster, "")
	})
	b.Run(fmt.Sprintf("tubes-of-%d", pool), func(b *testing.B) {
		timeImports(b, tubes, pool, func(i int) string {
			db := filepath.Join(dir, "tubes"+strconv.Itoa(i)+".db")
			copyFile(b, filled, db)
			return db
		}, results, fmt.Sprintf("试管结果 %d 管", tubes))
	})
}

// timeImports imports file b.N times, into the store at(i) makes before
// the clock starts, and reports rows (and people, pool a row) a second
// by the clock and by CPU time; want is what the import must say.
func timeImports(b *testing.B, rows, pool int, at func(i int) string, file, want string) {
	var elapsed, cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := at(i)
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		code, out, errOut := cli(b, context.Background(), db, "import", file)
		elapsed, cpu = elapsed+time.Since(start), cpu+cpuTime()-cpu0
		if code != 0 || !strings.Contains(out, want) {
			b.Fatalf("import: %d %q %q", code, out, errOut)
		}
	}
	b.ReportMetric(float64(rows*b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(rows*pool*b.N)/elapsed.Seconds(), "people/s")
	// The machine is shared: what one free core would do.
	b.ReportMetric(float64(rows*b.N)/cpu.Seconds(), "rows/cpu-s")
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// filledStore returns a store, built once into os.TempDir and reused, of
// tubes*pool residents in one round, each tube of it closed with pool of
// them. The residents come in through the import; the round's people,
// tubes and swabs are written with SQL, as filling a million swabs one
// at a time at a desk would take the benchmark hours.
func filledStore(b *testing.B, tubes, pool int) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("lifeline-bench-tubes-v4-%d-%d.db", tubes, pool))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	b.Logf("building %s (once; later runs reuse it)", path)
	tmp := path + ".building"
	os.Remove(tmp)
	if code, _, errOut := cli(b, context.Background(), tmp, "import", seedCSV(b, b.TempDir(), tubes*pool)); code != 0 {
		b.Fatal(errOut)
	}
	raw, err := sql.Open("sqlite", "file:"+tmp)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{
		`INSERT INTO rounds (id, community, pool, starts_at, due_at, created_at, residents) SELECT 1, 'bench', ` + strconv.Itoa(pool) + `, 0, 9999999999999, 0, count(*) FROM residents`,
		`INSERT INTO round_members (round_id, resident_id, building, door, state, tube_id, sampled_at) SELECT 1, id, '1', '', 'sampled', (id - 1) / ` + strconv.Itoa(pool) + ` + 1, 1649548800000 + id FROM residents`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ` + strconv.Itoa(tubes) + `)
			INSERT INTO tubes (id, round_id, code, size, members, idempotency_key, opened_at, closed_at, delivered_at) SELECT i, 1, printf('T%07d', i), ` + strconv.Itoa(pool) + `, ` + strconv.Itoa(pool) + `, 'tube-' || i, 1, 2, 3 FROM n`,
		`INSERT INTO registrations (resident_id, tube, site, sampled_at, staff, idempotency_key, created_at, delivered_at, tube_id, round_id)
			SELECT id, printf('T%07d', (id - 1) / ` + strconv.Itoa(pool) + ` + 1), '1号点', 1649548800000 + id, 'bench', 'swab-' || id, 1, 3, (id - 1) / ` + strconv.Itoa(pool) + ` + 1, 1 FROM residents`,
	} {
		if _, err := raw.Exec(q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(store.LogPath(tmp) + suffix) // the import's audit line stays behind
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

func copyFile(b *testing.B, from, to string) {
	b.Helper()
	src, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		b.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		b.Fatal(err)
	}
}
