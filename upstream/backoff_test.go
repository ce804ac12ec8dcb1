package upstream

import (
	"testing"
	"time"
)

// TestBackoff: the wait doubles per consecutive failure from MinBackoff up
// to MaxBackoff, less at most a fifth at random.
func TestBackoff(t *testing.T) {
	d := &Deliverer{MinBackoff: time.Second, MaxBackoff: 8 * time.Second}
	for _, tt := range []struct {
		failures int
		max      time.Duration
	}{
		{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 8 * time.Second}, {5, 8 * time.Second}, {30, 8 * time.Second},
	} {
		d.failures = tt.failures
		for range 50 {
			w := d.backoff()
			if w > tt.max || w < tt.max*4/5 {
				t.Fatalf("after %d failures: wait %s, want between %s and %s", tt.failures, w, tt.max*4/5, tt.max)
			}
		}
	}
}
