package store_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/lifeline-health/lifeline/internal/pgtest"
	"github.com/lifeline-health/lifeline/store"
	"github.com/lifeline-health/lifeline/store/storetest"
)

// TestPostgres runs the store suite on PostgreSQL, each test on a fresh
// schema. It is skipped unless LIFELINE_TEST_POSTGRES names a database
// (scripts/test-postgres.sh starts one and sets it).
func TestPostgres(t *testing.T) {
	if pgtestDSNUnset() {
		t.Skip("PostgreSQL store suite skipped: LIFELINE_TEST_POSTGRES is not set; run scripts/test-postgres.sh")
	}
	storetest.Run(t, func(t *testing.T) string { return pgtest.DSN(t) })
}

func pgtestDSNUnset() bool { return os.Getenv(pgtest.EnvDSN) == "" }

// openPostgresDSN returns the URL of a fresh schema in the test PostgreSQL
// database (LIFELINE_TEST_POSTGRES), skipping the test when there is none.
func openPostgresDSN(t testing.TB) string {
	t.Helper()
	return pgtest.DSN(t)
}

// TestPostgresReplicasMigrateOnce starts several stores on one empty database
// at once, as replicas do after a deploy: every one must come up, and the
// schema must be applied once.
func TestPostgresReplicasMigrateOnce(t *testing.T) {
	dsn := openPostgresDSN(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	dbs := make([]*store.DB, 4)
	for i := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = store.Open(ctx, dsn)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	// Opening again after everything is applied changes nothing and succeeds.
	again, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
}
