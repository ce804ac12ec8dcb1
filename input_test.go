package lifeline

import (
	"strings"
	"testing"
)

// TestNormalizeInput: what a Chinese input method types reads as the same
// keys on a half-width keyboard; everything else is kept.
func TestNormalizeInput(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"３-４-９０１", "3-4-901"},
		{"3－4－901", "3-4-901"},
		{"３栋４单元", "3栋4单元"},
		{"12—3—501", "12-3-501"},
		{"12——3——501", "12-3-501"},
		{"12–3‐501", "12-3-501"},
		{"3--102", "3--102"},
		{"　张三丰　", "张三丰"},
		{"ＡＢ１２ｘ", "AB12x"},
		{"＋８６ １３８（０）", "+86 138(0)"},
		{"110105195603021234", "110105195603021234"},
		{"  plain  ", "plain"},
		{"李秀英", "李秀英"},
		{"张·三", "张·三"},
		{"", ""},
	} {
		if got := NormalizeInput(c.in); got != c.want {
			t.Errorf("NormalizeInput(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// The normaliser reaches every reader of typed numbers and addresses.
func TestNormalizeInputEverywhere(t *testing.T) {
	if a, err := ParseAddress("３－４－９０１"); err != nil || a != (Address{Building: "3", Unit: "4", Room: "901"}) {
		t.Errorf("ParseAddress of full-width: %+v, %v", a, err)
	}
	if n := NormalizeDocNumber("１１０１０５ １９５６０３０２１２３ｘ"); n != "11010519560302123X" {
		t.Errorf("NormalizeDocNumber of full-width: %q", n)
	}
	if p, err := NormalizePhone("１３８－１２３４－５６７８"); err != nil || p != "+8613812345678" {
		t.Errorf("NormalizePhone of full-width: %q, %v", p, err)
	}
}

func FuzzNormalizeInput(f *testing.F) {
	for _, s := range []string{"３-４-９０１", "12——3", "　ＡＢ", "张三"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeInput(s)
		if again := NormalizeInput(n); again != n {
			t.Fatalf("NormalizeInput is not idempotent on %q: %q then %q", s, n, again)
		}
		for _, r := range n {
			if (r >= '！' && r <= '～') || r == '\u3000' || isDash(r) {
				t.Fatalf("NormalizeInput(%q) = %q still holds %q", s, n, r)
			}
		}
		if strings.TrimSpace(n) != n {
			t.Fatalf("NormalizeInput(%q) = %q is not trimmed", s, n)
		}
	})
}
