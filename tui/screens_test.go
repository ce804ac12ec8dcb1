package tui

import "testing"

// TestEveryScreenHasARow: a screen added to the list of ids without its
// row in the table would have no title, no update and no view.
func TestEveryScreenHasARow(t *testing.T) {
	for id := range screenCount {
		sc := screens[id]
		if sc.title.Zh == "" || sc.title.En == "" {
			t.Errorf("screen %d has no title in both languages: %+v", id, sc.title)
		}
		if sc.model.update == nil || sc.model.view == nil || sc.model.keys == nil {
			t.Errorf("screen %d (%s) cannot be updated, drawn or helped", id, sc.title.En)
		}
	}
}
