package seed_test

import (
	"context"
	"path/filepath"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/seed"
	"github.com/lifeline-health/lifeline/store"
)

// TestWrite: a seed of more than one chunk is written whole to a real
// store, every relative link made to the right residents, progress told
// after each full chunk.
func TestWrite(t *testing.T) {
	ctx := lifeline.WithActor(context.Background(), lifeline.Actor{User: "seed"})
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "seed.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := seed.Config{Residents: seed.Chunk + 700, Seed: 3}
	links, inside := 0, 0
	if err := seed.Generate(cfg, func(h *seed.Household) error {
		links += len(h.Links)
		for _, l := range h.Links {
			if l.Relative >= 0 {
				inside++
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var told []seed.Written
	w, err := seed.Write(ctx, db, cfg, func(w seed.Written) { told = append(told, w) })
	if err != nil {
		t.Fatal(err)
	}
	if w.Residents != cfg.Residents || w.Stats.Inserted != cfg.Residents || w.Links != links {
		t.Fatalf("wrote %+v, want %d residents inserted and %d links", w, cfg.Residents, links)
	}
	if len(told) != 1 || told[0].Residents < seed.Chunk || told[0].Residents >= cfg.Residents {
		t.Fatalf("progress %+v, want once, after the first chunk", told)
	}
	if n, _ := db.CountResidents(ctx); n != cfg.Residents {
		t.Fatalf("%d residents stored", n)
	}
	// Links between two members join two residents of one household; those
	// of the second chunk check that its members' ids were not mixed up
	// with the first's.
	checked := 0
	err = db.EachResident(ctx, lifeline.ResidentFilter{Building: "1"}, func(r *lifeline.Resident) error {
		rels, err := db.Relatives(ctx, r.ID)
		for _, rel := range rels {
			if rel.RelativeResidentID == 0 || rel.ResidentID != r.ID {
				continue
			}
			other, err := db.Resident(ctx, rel.RelativeResidentID)
			if err != nil {
				return err
			}
			if other.HouseholdID != r.HouseholdID {
				t.Errorf("%s is linked to %s of another household", r.Name, other.Name)
			}
			checked++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 || inside == 0 {
		t.Fatalf("%d links between members checked, of %d", checked, inside)
	}
}
