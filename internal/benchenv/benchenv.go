// Package benchenv reads the sizes benchmarks take from the environment
// (LIFELINE_BENCH_RESIDENTS, LIFELINE_BENCH_IMPORT_ROWS), so that one rule
// and one message serve every benchmark that takes one.
package benchenv

import (
	"fmt"
	"os"
	"strconv"
	"testing"
)

// Int returns the number in the environment variable name, or def when it
// is unset; anything but a whole number of at least min fails the
// benchmark, naming the variable.
func Int(tb testing.TB, name string, def, min int) int {
	tb.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min {
		want := "a positive number"
		if min != 1 {
			want = fmt.Sprintf("a number >= %d", min)
		}
		tb.Fatalf("%s=%q: want %s", name, s, want)
	}
	return n
}
