package paper

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/lifeline-health/lifeline/code"
)

// TestWriteSamples regenerates docs/sample-cards.png and docs/sample-large.png
// when LIFELINE_SAMPLES is set to the docs directory.
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("LIFELINE_SAMPLES")
	if dir == "" {
		t.Skip("set LIFELINE_SAMPLES=docs to regenerate the sample pages")
	}
	key := testKey(t)
	iss := CodeIssuer{&code.Issuer{Key: key, Now: func() time.Time { return t0 }}}
	rs := testResidents(10)
	SortResidents(rs)
	for _, l := range []Layout{Cards, Large} {
		out := filepath.Join(t.TempDir(), "s.pdf")
		opt := testOptions(t, out)
		opt.Layout = l
		src := rs
		if l == Large {
			src = rs[4:5]
		}
		if _, err := Batch(context.Background(), Residents(src), iss, &memRecorder{}, opt, nil); err != nil {
			t.Fatal(err)
		}
		png := filepath.Join(dir, "sample-"+string(l))
		if b, err := exec.Command("pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", out, png).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
	}
}
