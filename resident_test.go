package lifeline

import "testing"

// TestAddressShort: building-unit-room, building-room where there is no
// unit; Key tells apart what Short may not.
func TestAddressShort(t *testing.T) {
	for _, c := range []struct {
		a    Address
		want string
	}{
		{Address{Building: "12", Unit: "3", Room: "501"}, "12-3-501"},
		{Address{Building: "1", Room: "101"}, "1-101"},
		{Address{Building: "7"}, "7"},
		{Address{Building: "7", Unit: "2"}, "7-2"},
	} {
		if got := c.a.Short(); got != c.want {
			t.Errorf("%+v: Short = %q, want %q", c.a, got, c.want)
		}
	}
	a, b := Address{Building: "1-1", Room: "101"}, Address{Building: "1", Unit: "1", Room: "101"}
	if a.Short() != b.Short() || a.Key() == b.Key() {
		t.Errorf("Short %q and %q, Key %q and %q: want the same short form and different keys", a.Short(), b.Short(), a.Key(), b.Key())
	}
}
