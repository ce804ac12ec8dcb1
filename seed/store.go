package seed

import (
	"context"

	lifeline "github.com/lifeline-health/lifeline"
)

// Store is what Write needs: the import a real roster takes, and relative
// links.
type Store interface {
	Import(ctx context.Context, b *lifeline.ImportBatch) (lifeline.ImportStats, error)
	LinkRelative(ctx context.Context, r *lifeline.Relative) error
}

// Written counts what Write has written so far.
type Written struct {
	Residents int
	Links     int
	Stats     lifeline.ImportStats // Inserted and Updated summed over chunks
}

// Chunk is how many residents Write writes in one transaction: big enough
// that the cost per transaction vanishes, small enough that an interrupt
// loses little and a reader never waits long.
const Chunk = 10000

// Write generates cfg's residents and writes them through s.Import, the
// path a real roster takes, Chunk residents a transaction, then links the
// chunk's relatives once its residents have ids. progress, if not nil, is
// called after every full chunk. On an error the chunks before stay
// written, as the returned count says.
func Write(ctx context.Context, s Store, cfg Config, progress func(Written)) (Written, error) {
	w := &writer{s: s, ctx: ctx}
	err := Generate(cfg, func(h *Household) error {
		w.add(h)
		if len(w.batch.Residents) < Chunk {
			return nil
		}
		if err := w.flush(); err != nil {
			return err
		}
		if progress != nil {
			progress(w.done)
		}
		return nil
	})
	if err == nil {
		err = w.flush()
	}
	return w.done, err
}

// writer gathers households into one import batch and remembers where
// each household's members start, to link relatives once they have ids.
type writer struct {
	s      Store
	ctx    context.Context
	batch  lifeline.ImportBatch
	starts []int
	hs     []*Household
	done   Written
}

func (w *writer) add(h *Household) {
	w.starts = append(w.starts, len(w.batch.Residents))
	w.hs = append(w.hs, h)
	w.batch.Residents = append(w.batch.Residents, h.Members...)
	w.batch.Updates = append(w.batch.Updates, h.Updates...)
}

func (w *writer) flush() error {
	if len(w.batch.Residents) == 0 {
		return nil
	}
	st, err := w.s.Import(w.ctx, &w.batch)
	if err != nil {
		return err
	}
	w.done.Stats.Inserted += st.Inserted
	w.done.Stats.Updated += st.Updated
	w.done.Residents += len(w.batch.Residents)
	for i, h := range w.hs {
		for _, l := range h.Links {
			rel := &lifeline.Relative{ResidentID: w.batch.Residents[w.starts[i]+l.Member].ID, Relation: l.Relation, Phone: l.Phone}
			if l.Relative >= 0 {
				rel.RelativeResidentID = w.batch.Residents[w.starts[i]+l.Relative].ID
			}
			if err := w.s.LinkRelative(w.ctx, rel); err != nil {
				return err
			}
			w.done.Links++
		}
	}
	w.batch = lifeline.ImportBatch{Residents: w.batch.Residents[:0], Updates: w.batch.Updates[:0]}
	w.starts, w.hs = w.starts[:0], w.hs[:0]
	return nil
}
