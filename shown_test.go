package lifeline

import (
	"slices"
	"testing"
)

// TestShownNumbers: masked by default, whole when revealed; a resident
// without a document or phone shows nothing.
func TestShownNumbers(t *testing.T) {
	r := &Resident{Doc: Document{Type: DocMainlandID, Number: "11010519491231002X"}, Phones: []string{"+8613812345678", "+861012345678"}}
	doc, phones := r.ShownNumbers(false)
	if doc != "110105********002X" || !slices.Equal(phones, []string{MaskPhone("+8613812345678"), MaskPhone("+861012345678")}) || phones[0] == r.Phones[0] {
		t.Errorf("masked: %q %q", doc, phones)
	}
	doc, phones = r.ShownNumbers(true)
	if doc != r.Doc.Number || !slices.Equal(phones, r.Phones) {
		t.Errorf("revealed: %q %q", doc, phones)
	}
	if doc, phones := (&Resident{}).ShownNumbers(false); doc != "" || len(phones) != 0 {
		t.Errorf("nothing to show: %q %q", doc, phones)
	}
}
