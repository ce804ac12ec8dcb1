package paper

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
)

// TestSelectionSource: each way of naming residents gives them, in print
// order and counted, from a real store; a name that matches nobody, or an
// address two communities share, is an error with its code.
func TestSelectionSource(t *testing.T) {
	ctx := lifeline.WithActor(context.Background(), lifeline.Actor{User: "test"})
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rs []*lifeline.Resident
	for i, a := range []lifeline.Address{
		{Community: "阳光社区", Building: "1", Unit: "1", Room: "102"},
		{Community: "阳光社区", Building: "1", Unit: "1", Room: "101"},
		{Community: "阳光社区", Building: "1", Unit: "1", Room: "101"},
		{Community: "月亮社区", Building: "1", Unit: "1", Room: "101"},
		{Community: "阳光社区", Building: "2", Room: "301"},
		{Community: "阳光社区", Building: "1", Unit: "1", Room: "1001"},
	} {
		c, _ := lifeline.MainlandIDCheckDigit(fmt.Sprintf("11010519700101%03d", i))
		r := &lifeline.Resident{Name: fmt.Sprintf("居民%d", i), Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: fmt.Sprintf("11010519700101%03d", i) + string(c)}, Address: a}
		if err := db.CreateResident(ctx, r); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	ids := func(sel Selection) ([]int64, int, error) {
		src, n, err := sel.Source(ctx, db)
		if err != nil {
			return nil, 0, err
		}
		var got []int64
		err = src(ctx, func(r *lifeline.Resident) error { got = append(got, r.ID); return nil })
		return got, n, err
	}
	for _, c := range []struct {
		name string
		sel  Selection
		want []*lifeline.Resident
	}{
		{"document", Selection{Document: rs[3].Doc.Number}, rs[3:4]},
		{"household id", Selection{HouseholdID: rs[1].HouseholdID}, rs[1:3]},
		{"address", Selection{Address: lifeline.Address{Building: "1", Unit: "1", Room: "101"}, Community: "月亮社区"}, rs[3:4]},
		{"address without a unit", Selection{Address: lifeline.Address{Building: "2", Room: "301"}}, rs[4:5]},
		{"list, in print order", Selection{Residents: []*lifeline.Resident{rs[0], rs[2]}}, []*lifeline.Resident{rs[2], rs[0]}},
		// Door to door: 1001 after 101 and 102, not before them.
		{"building of a community", Selection{Building: "1", Community: "阳光社区"}, []*lifeline.Resident{rs[1], rs[2], rs[0], rs[5]}},
		{"community", Selection{Community: "月亮社区"}, rs[3:4]},
	} {
		got, n, err := ids(c.sel)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if n != len(c.want) || len(got) != len(c.want) {
			t.Errorf("%s: %d residents (said %d), want %d", c.name, len(got), n, len(c.want))
			continue
		}
		for i, r := range c.want {
			if got[i] != r.ID {
				t.Errorf("%s: resident %d is %d, want %d", c.name, i, got[i], r.ID)
			}
		}
	}
	for _, c := range []struct {
		sel  Selection
		code string
	}{
		{Selection{Address: lifeline.Address{Building: "1", Unit: "1", Room: "101"}}, lifeline.ECONFLICT},
		{Selection{Address: lifeline.Address{Building: "9", Room: "1"}}, lifeline.ENOTFOUND},
		{Selection{HouseholdID: 999}, lifeline.ENOTFOUND},
		{Selection{Building: "99"}, lifeline.ENOTFOUND},
		{Selection{Document: "E99999999"}, lifeline.ENOTFOUND},
	} {
		if _, _, err := ids(c.sel); lifeline.ErrorCode(err) != c.code {
			t.Errorf("%+v: %v, want %s", c.sel, err, c.code)
		}
	}
}
