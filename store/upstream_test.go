package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-health/lifeline/store"
)

// eachBackend runs fn on a fresh SQLite store and, when
// LIFELINE_TEST_POSTGRES is set, on a fresh PostgreSQL schema.
func eachBackend(t *testing.T, fn func(t *testing.T, open func() *store.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "lifeline.db")
		fn(t, func() *store.DB {
			db, err := store.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		})
	})
	t.Run("postgres", func(t *testing.T) {
		var once sync.Once
		var dsn string
		fn(t, func() *store.DB {
			once.Do(func() { dsn = openPostgresDSN(t) })
			db, err := store.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		})
	})
}

func TestLease(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		a, b := open(), open()
		now := time.UnixMilli(1649462400000)
		a.Now = func() time.Time { return now }
		b.Now = a.Now

		if ok, err := a.ClaimLease(ctx, "upstream", "a", time.Minute); err != nil || !ok {
			t.Fatalf("first claim: ok=%v err=%v", ok, err)
		}
		if ok, err := b.ClaimLease(ctx, "upstream", "b", time.Minute); err != nil || ok {
			t.Fatalf("claim while a holds it: ok=%v err=%v, want false", ok, err)
		}
		if ok, err := a.ClaimLease(ctx, "upstream", "a", time.Minute); err != nil || !ok {
			t.Fatalf("renewal: ok=%v err=%v", ok, err)
		}
		// Another lease name is independent.
		if ok, err := b.ClaimLease(ctx, "other", "b", time.Minute); err != nil || !ok {
			t.Fatalf("other lease: ok=%v err=%v", ok, err)
		}
		// a stops renewing: once its lease runs out, b takes over.
		now = now.Add(time.Minute)
		if ok, err := b.ClaimLease(ctx, "upstream", "b", time.Minute); err != nil || !ok {
			t.Fatalf("claim after expiry: ok=%v err=%v", ok, err)
		}
		if ok, _ := a.ClaimLease(ctx, "upstream", "a", time.Minute); ok {
			t.Fatal("a got the lease back while b holds it")
		}
		// Release hands it over at once; releasing someone else's does nothing.
		if err := a.ReleaseLease(ctx, "upstream", "a"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := a.ClaimLease(ctx, "upstream", "a", time.Minute); ok {
			t.Fatal("a's release of b's lease freed it")
		}
		if err := b.ReleaseLease(ctx, "upstream", "b"); err != nil {
			t.Fatal(err)
		}
		if ok, err := a.ClaimLease(ctx, "upstream", "a", time.Minute); err != nil || !ok {
			t.Fatalf("claim after release: ok=%v err=%v", ok, err)
		}
	})
}

// TestLeaseRace has many replicas claim one free lease at the same moment:
// exactly one may win.
func TestLeaseRace(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		dbs := []*store.DB{open(), open(), open(), open()}
		for round := range 5 {
			name := fmt.Sprintf("race-%d", round)
			var wg sync.WaitGroup
			var mu sync.Mutex
			wins := 0
			for i := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := dbs[i%len(dbs)].ClaimLease(ctx, name, fmt.Sprintf("holder-%d", i), time.Minute)
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
	})
}
