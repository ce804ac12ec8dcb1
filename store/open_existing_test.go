package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
)

// openExisting: OpenExisting refuses an address with no store and creates
// nothing there; once Open has made the store, it opens it.
func openExisting(t *testing.T, dsn string) {
	ctx := context.Background()
	if db, err := store.OpenExisting(ctx, dsn); lifeline.ErrorCode(err) != lifeline.ENOTFOUND {
		if db != nil {
			db.Close()
		}
		t.Fatalf("OpenExisting on nothing: %v", err)
	}
	if db, err := store.OpenExisting(ctx, dsn); err == nil {
		db.Close()
		t.Fatal("the first OpenExisting made a store")
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = store.OpenExisting(ctx, dsn)
	if err != nil {
		t.Fatalf("OpenExisting on a store: %v", err)
	}
	db.Close()
}

func TestOpenExistingSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lifeline.db")
	// An empty file (touched by hand, or left by a crash before the first
	// page) is no store either.
	os.WriteFile(path, nil, 0o600)
	openExisting(t, path)
	os.Remove(path + "-log")
	missing := filepath.Join(t.TempDir(), "missing.db")
	store.OpenExisting(context.Background(), missing)
	if _, err := os.Stat(missing); err == nil {
		t.Error("OpenExisting created a file")
	}
}

func TestOpenExistingPostgres(t *testing.T) {
	if pgtestDSNUnset() {
		t.Skip("LIFELINE_TEST_POSTGRES is not set; run scripts/test-postgres.sh")
	}
	openExisting(t, openPostgresDSN(t))
}

// TestOpenRefusesAnotherBuildsSchema: a store whose schema change of some
// number is another one than this build's (a store made by a build whose
// migrations were numbered otherwise) is refused in words, and left as it
// was, rather than given the rest of this build's changes on top.
func TestOpenRefusesAnotherBuildsSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lifeline.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err == nil {
		_, err = raw.ExecContext(ctx, `UPDATE schema_migrations SET name = '0006_other.sql' WHERE version = 6`)
		raw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	db, err = store.Open(ctx, path)
	if err == nil {
		db.Close()
		t.Fatal("a store of another build's schema opened")
	}
	if lifeline.ErrorCode(err) != lifeline.EINVALID || !strings.Contains(lifeline.ErrorMessage(err, lifeline.En), "0006_other.sql") {
		t.Fatalf("refused with %v", err)
	}
}
