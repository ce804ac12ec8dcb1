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

// TestLeaseRaceReplicas has several replicas (separate connection pools
// on one database) claim one free lease at the same moment: exactly one may
// win. The single-pool cases are in the store suite (storetest/leases.go).
func TestLeaseRaceReplicas(t *testing.T) {
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
