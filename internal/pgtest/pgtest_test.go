package pgtest

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// TestClusterStopRestart checks a private cluster really goes away and comes
// back with its data, which the "database stopped for a while" fault tests
// rely on.
func TestClusterStopRestart(t *testing.T) {
	c := Start(t)
	db, err := sql.Open("pgx", c.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE kept (v INT); INSERT INTO kept VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err = db.QueryRowContext(qctx, "SELECT 1").Scan(new(int))
	cancel()
	if err == nil {
		t.Fatal("query succeeded while the cluster was stopped")
	}
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	var v int
	deadline := time.Now().Add(10 * time.Second)
	for {
		err = db.QueryRowContext(ctx, "SELECT v FROM kept").Scan(&v)
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || v != 42 {
		t.Fatalf("after restart: v=%d err=%v", v, err)
	}
}

func TestSchemaIsolated(t *testing.T) {
	a, b := DSN(t), DSN(t)
	if a == b {
		t.Fatal("two calls gave the same schema")
	}
	ctx := context.Background()
	da, _ := sql.Open("pgx", a)
	defer da.Close()
	db, _ := sql.Open("pgx", b)
	defer db.Close()
	if _, err := da.ExecContext(ctx, "CREATE TABLE only_in_a (v INT)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "SELECT * FROM only_in_a"); err == nil {
		t.Fatal("a table made in one schema is visible from another")
	}
}
