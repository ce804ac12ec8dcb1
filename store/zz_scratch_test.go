package store

import (
	"fmt"
	"os"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

func TestZZScratch(t *testing.T) {
	db, err := Open(t.Context(), os.TempDir()+"/lifeline-bench-v2-1000000.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, i := range []int{1, 2, 3, 4, 5, 6} {
		q := synth.ID(i * 104729)[12:]
		steps, _ := db.searchSteps(t.Context(), q, lifeline.ResidentFilter{}, 20)
		for _, s := range steps {
			plan, _ := planScans(t, db, s.sql, s.args)
			start := time.Now()
			rows, _ := db.r.Query(s.sql, s.args...)
			n := 0
			var ids []int64
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				ids = append(ids, id)
				n++
			}
			rows.Close()
			d := time.Since(start)
			start = time.Now()
			db.residentsByID(t.Context(), ids)
			fmt.Printf("%s %s n=%d %v load=%v %v\n", q, s.kind, n, d, time.Since(start), plan)
		}
		start := time.Now()
		ms, _ := db.FindResidents(t.Context(), lifeline.ResidentFilter{Query: q})
		fmt.Println("  total", len(ms), time.Since(start))
	}
}
