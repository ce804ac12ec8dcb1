package faults

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/internal/pgtest"
	"github.com/lifeline-health/lifeline/store"
)

// TestKillDuringRegistrations kills a process registering samples in a
// loop, again and again. After each kill every registration it reported
// as accepted is stored exactly once, the keys have no gaps, and at most
// the one in flight when it died was stored without being reported.
func TestKillDuringRegistrations(t *testing.T) {
	n := kills(t)
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "lifeline.db")
		killRegistrations(t, n, path, func() *sql.DB { return checkSQLite(t, path) })
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.DSN(t)
		killRegistrations(t, n, dsn, func() *sql.DB {
			db, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			return db
		})
	})
}

// killRegistrations runs the registering child on the store at dsn n
// times, killing it each time, and checks the store through raw (whose
// handle it closes) after each kill.
func killRegistrations(t *testing.T, n int, path string, raw func() *sql.DB) {
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	res := &lifeline.Resident{Name: "李建国", Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: "110105194912310011"}}
	if err := db.CreateResident(ctx, res); err != nil {
		t.Fatal(err)
	}
	db.Close()

	accepted := map[string]bool{}
	next := 0
	killedMidway := 0
	unreported := 0
	for i := range n {
		p := start(t, child("register", "FAULTS_DB="+path, fmt.Sprintf("FAULTS_RESIDENT=%d", res.ID), fmt.Sprintf("FAULTS_START=%d", next)))
		p.waitReady(t)
		p.killAfter(t, randDelay(time.Millisecond, 250*time.Millisecond))
		got := 0
		for _, line := range p.output() {
			key, ok := strings.CutPrefix(line, "ok ")
			if !ok {
				t.Fatalf("kill %d: unexpected output %q", i, line)
			}
			accepted[key] = true
			got++
		}
		if got > 0 {
			killedMidway++
		}

		sq := raw()
		rows, err := sq.Query("SELECT idempotency_key, COUNT(*) FROM registrations GROUP BY idempotency_key")
		if err != nil {
			t.Fatal(err)
		}
		stored := map[string]int{}
		for rows.Next() {
			var k string
			var c int
			rows.Scan(&k, &c)
			stored[k] = c
		}
		rows.Close()
		sq.Close()
		for k := range accepted {
			if stored[k] != 1 {
				t.Fatalf("kill %d: accepted registration %s stored %d times", i, k, stored[k])
			}
		}
		for k, c := range stored {
			if c != 1 {
				t.Fatalf("kill %d: %s stored %d times", i, k, c)
			}
		}
		// The registration in flight when the process died may have been
		// stored without being reported: at most one per kill.
		if extra := len(stored) - len(accepted) - unreported; extra < 0 || extra > 1 {
			t.Fatalf("kill %d: %d stored, %d accepted, %d stored unreported before: at most the one in flight may be stored unreported", i, len(stored), len(accepted), unreported)
		}
		unreported = len(stored) - len(accepted)
		for j := range len(stored) {
			if stored[regKey(j)] != 1 {
				t.Fatalf("kill %d: %s missing while %d are stored", i, regKey(j), len(stored))
			}
		}
		next = len(stored)
	}
	if killedMidway < n/2 {
		t.Fatalf("only %d of %d kills hit the loop while it was registering; the test is not testing", killedMidway, n)
	}
	t.Logf("%d kills, %d registrations accepted", n, len(accepted))
}
