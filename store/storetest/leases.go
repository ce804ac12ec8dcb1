package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-health/lifeline/store"
)

func init() {
	register("leases/claim_renew_expire", testLease)
	register("leases/one_winner", testLeaseRace)
}

// testLease: a lease is held by one holder until it runs out or is
// released; the holder renews it; another name is independent.
func testLease(t *testing.T, db *store.DB) {
	c := ctx(t)
	now := time.UnixMilli(1649462400000)
	db.Now = func() time.Time { return now }
	claim := func(name, holder string, want bool) {
		t.Helper()
		ok, err := db.ClaimLease(c, name, holder, time.Minute)
		must(t, err)
		if ok != want {
			t.Fatalf("ClaimLease(%s, %s) = %v, want %v", name, holder, ok, want)
		}
	}
	claim("upstream", "a", true)
	claim("upstream", "b", false)
	claim("upstream", "a", true) // renewal
	claim("other", "b", true)
	now = now.Add(59 * time.Second)
	claim("upstream", "b", false) // a renewed a minute ago: not yet
	now = now.Add(time.Second)
	claim("upstream", "b", true) // a stopped renewing: b takes over
	claim("upstream", "a", false)
	must(t, db.ReleaseLease(c, "upstream", "a")) // not a's: changes nothing
	claim("upstream", "a", false)
	must(t, db.ReleaseLease(c, "upstream", "b"))
	claim("upstream", "a", true)
	_, err := db.ClaimLease(c, "", "a", time.Minute)
	wantCode(t, err, "invalid")
}

// testLeaseRace: many holders claim one free lease at the same moment;
// exactly one wins.
func testLeaseRace(t *testing.T, db *store.DB) {
	c := ctx(t)
	for round := range 5 {
		name := fmt.Sprintf("race-%d", round)
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := db.ClaimLease(c, name, fmt.Sprintf("holder-%d", i), time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("round %d: %d holders won the lease, want 1", round, wins)
		}
	}
}
