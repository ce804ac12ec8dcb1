package lifeline

import "testing"

// TestParseAddress: building-unit-room and building-room, as Short writes
// them, read back; anything else is an invalid address.
func TestParseAddress(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Address
		ok   bool
	}{
		{"12-3-501", Address{Building: "12", Unit: "3", Room: "501"}, true},
		{" 12 - 3 - 501 ", Address{Building: "12", Unit: "3", Room: "501"}, true},
		{"12—3—501", Address{Building: "12", Unit: "3", Room: "501"}, true},
		{"5-101", Address{Building: "5", Room: "101"}, true},
		{"3--102", Address{Building: "3", Room: "102"}, true}, // the old form of a room without a unit
		{"A座-2-1203", Address{Building: "A座", Unit: "2", Room: "1203"}, true},
		{"", Address{}, false},
		{"12", Address{}, false},
		{"5-101-1-2", Address{}, false},
		{"-3-501", Address{}, false},
		{"12-3-", Address{}, false},
		{"12-", Address{}, false},
	} {
		got, err := ParseAddress(c.in)
		if c.ok != (err == nil) || got != c.want {
			t.Errorf("ParseAddress(%q) = %+v, %v; want %+v, ok %v", c.in, got, err, c.want, c.ok)
		}
		if err != nil && ErrorCode(err) != EINVALID {
			t.Errorf("ParseAddress(%q): error code %q, want %q", c.in, ErrorCode(err), EINVALID)
		}
		if err == nil && got.Unit != "" {
			if back, _ := ParseAddress(got.Short()); back != got {
				t.Errorf("ParseAddress(Short of %+v) = %+v", got, back)
			}
		}
	}
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"12-3-501", "5-101", "3--102", "—", "1-2-3-4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			return
		}
		if a.Building == "" || a.Room == "" || a.Community != "" {
			t.Fatalf("ParseAddress(%q) = %+v", s, a)
		}
		if back, err := ParseAddress(a.Short()); err != nil || back != a {
			t.Fatalf("ParseAddress(%q) = %+v, but its Short %q reads back as %+v, %v", s, a, a.Short(), back, err)
		}
	})
}
