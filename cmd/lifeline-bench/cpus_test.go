package main

import (
	"slices"
	"testing"
)

func TestParseCPUList(t *testing.T) {
	for in, want := range map[string][]int{"0": {0}, "0-2": {0, 1, 2}, "3,0-1": {3, 0, 1}, "1,1-2": {1, 2}, " 2 ": {2}} {
		got, err := parseCPUList(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("parseCPUList(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, _ := parseCPUList(cpuList(got)); !slices.Equal(back, got) {
			t.Errorf("cpuList(%v) = %q reads back as %v", got, cpuList(got), back)
		}
	}
	for _, in := range []string{"", "a", "2-1", "-1", "0,", "1-", "1024"} {
		if got, err := parseCPUList(in); err == nil {
			t.Errorf("parseCPUList(%q) = %v, want an error", in, got)
		}
	}
}
