package paper

import (
	"bytes"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// TestProgressWaitsForARate: no line with the first code, whose rate says
// nothing yet; the last one is always shown.
func TestProgressWaitsForARate(t *testing.T) {
	var errOut bytes.Buffer
	p := NewProgressWriter(&errOut, lifeline.En)
	p.Update(Progress{Done: 1, Total: 411, Rate: 18, Left: 23 * time.Second})
	if errOut.Len() != 0 {
		t.Fatalf("a line after the first code: %q", errOut.String())
	}
	p.Update(Progress{Done: 411, Total: 411, Rate: 889})
	p.End()
	if got := errOut.String(); got != "411/411 codes laid out, 889/s\n" {
		t.Fatalf("at the end: %q", got)
	}
}

// TestProgressLine: the count, the rate, the time left once known, and
// the files written, in both languages.
func TestProgressLine(t *testing.T) {
	p := Progress{Done: 120, Total: 5000, Rate: 880.4, Left: 5544 * time.Millisecond, Files: []string{"a-001.pdf"}}
	for l, want := range map[lifeline.Lang]string{
		lifeline.En: "120/5000 codes laid out, 880/s, about 6s left, 1 file written",
		lifeline.Zh: "已排版 120/5000 个码，每秒 880 个，约剩 6s，已写好 1 个文件",
	} {
		if got := p.Line(l); got != want {
			t.Errorf("%s: %q, want %q", l, got, want)
		}
	}
	if got := (Progress{Done: 7, Rate: 3}).Line(lifeline.En); got != "7 codes laid out, 3/s" {
		t.Errorf("no total: %q", got)
	}
}
