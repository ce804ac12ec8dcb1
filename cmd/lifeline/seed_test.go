package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
)

// dump lists who lives where, in a stable order.
func dump(t *testing.T, path string) string {
	t.Helper()
	s := openStore(t, path)
	var b strings.Builder
	err := s.EachResident(context.Background(), lifeline.ResidentFilter{}, func(r *lifeline.Resident) error {
		fmt.Fprintf(&b, "%s|%s|%s|%s|%v\n", r.Name, r.Doc.Key(), r.Address.Community, r.Address.Short(), r.Phones)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSeed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	code, out, errOut := cli(t, ctx, a, "--lang", "en", "seed", "--residents", "1000", "--seed", "9")
	if code != 0 || !strings.Contains(out, "generated 1000 residents (1000 inserted") || !strings.Contains(errOut, "1000/1000 residents written") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if n := count(t, a); n != 1000 {
		t.Fatalf("%d residents stored", n)
	}
	// Seeding again with the same seed changes nobody.
	code, out, _ = cli(t, ctx, a, "--lang", "en", "seed", "--residents", "1000", "--seed", "9", "--quiet")
	if code != 0 || !strings.Contains(out, "(0 inserted, 0 updated, 1000 unchanged)") {
		t.Fatalf("second seed: exit %d %s", code, out)
	}
	if code, _, errOut := cli(t, ctx, b, "seed", "--residents", "1000", "--seed", "9", "--quiet"); code != 0 {
		t.Fatal(errOut)
	}
	if da, db := dump(t, a), dump(t, b); da != db {
		t.Fatal("the same seed gave different stores")
	}

	s := openStore(t, a)
	pending, err := s.PendingRelatives(ctx, "")
	if err != nil || len(pending) == 0 {
		t.Fatalf("no relative links waiting for review: %v", err)
	}
	for _, p := range pending[:1] {
		if p.Phone == "" {
			t.Errorf("pending link without a phone: %+v", p)
		}
	}
	ms, err := s.FindResidents(ctx, lifeline.ResidentFilter{Query: "1-1-101"})
	if err != nil || len(ms) == 0 {
		t.Fatalf("seeded household 1-1-101 not found: %v", err)
	}
}

// BenchmarkSeed writes 20,000 generated residents with their statuses and
// relative links into a fresh SQLite file.
func BenchmarkSeed(b *testing.B) {
	const n = 20000
	dir := b.TempDir()
	for i := 0; i < b.N; i++ {
		db := filepath.Join(dir, fmt.Sprintf("seed%d.db", i))
		if code, _, errOut := cli(b, context.Background(), db, "seed", "--residents", fmt.Sprint(n), "--quiet"); code != 0 {
			b.Fatal(errOut)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "residents/s")
}
