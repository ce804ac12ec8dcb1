//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/lifeline-health/lifeline/internal/benchenv"
)

// asCommand, set in a child's environment, makes the test binary run as
// lifeline itself: its arguments are lifeline's.
const asCommand = "LIFELINE_TEST_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(asCommand) == "1" {
		main() // exits
	}
	os.Exit(m.Run())
}

// BenchmarkImportProcess is `lifeline import` of 50,000 roster rows into a
// fresh SQLite file, run as people run it: a new process each time. Unlike
// BenchmarkImportCommand, which imports in the benchmark's own warm
// process, it counts the program's start and the page faults of a fresh
// heap. It reports the process's peak RSS too.
func BenchmarkImportProcess(b *testing.B) {
	n := benchenv.Int(b, "LIFELINE_BENCH_IMPORT_ROWS", 50000, 1)
	dir := b.TempDir()
	f := seedCSV(b, dir, n)
	var peak int64
	var wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db := filepath.Join(dir, "proc"+strconv.Itoa(i)+".db")
		cmd := exec.Command(os.Args[0], "--db", db, "import", f)
		cmd.Env = append(os.Environ(), asCommand+"=1")
		start := time.Now()
		out, err := cmd.CombinedOutput()
		wall += time.Since(start)
		if err != nil {
			b.Fatalf("lifeline import: %v\n%s", err, out)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			peak = max(peak, ru.Maxrss) // KiB on Linux
		}
	}
	b.ReportMetric(float64(n*b.N)/wall.Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
}
