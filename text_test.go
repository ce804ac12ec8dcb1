package lifeline

import "testing"

func TestPrintable(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"张桂英", "张桂英"},
		{"Müller 3-4-901", "Müller 3-4-901"},
		{"王\x1b[42mGREEN", `王\x1b[42mGREEN`},
		{"bell\a", `bell\x07`},
		{"a\x00b", `a\x00b`},
		{"\u0085next", `\x85next`},
		{"\u202eevil", `\u202eevil`},
		{"zero\u200bwidth", `zero\u200bwidth`},
		{"tab\there", `tab\x09here`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"\ufeffBOM", `\ufeffBOM`},
	} {
		if got := Printable(c.in); got != c.want {
			t.Errorf("Printable(%q) = %q, want %q", c.in, got, c.want)
		}
		_, bad := UnprintableRune(c.in)
		if bad != (c.in != c.want) {
			t.Errorf("UnprintableRune(%q) says %v", c.in, bad)
		}
	}
}

func FuzzPrintable(f *testing.F) {
	f.Add("王\x1b[42mGREEN\u202e")
	f.Fuzz(func(t *testing.T, s string) {
		p := Printable(s)
		if _, bad := UnprintableRune(p); bad {
			t.Fatalf("Printable(%q) = %q still holds an unprintable character", s, p)
		}
		if _, bad := UnprintableRune(s); !bad && p != s {
			t.Fatalf("Printable changed clean text %q to %q", s, p)
		}
	})
}
