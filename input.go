package lifeline

import (
	"strings"
	"unicode/utf8"
)

// NormalizeInput returns what a person typed as if they had typed it on a
// half-width keyboard: full-width letters, digits and punctuation (what a
// Chinese input method gives: ３-４-９０１, ３栋４单元, ＡＢ１２) become
// ASCII, the ideographic space a space, and every kind of dash (－ — – ‐ −
// and the doubled —— of an input method) one '-'; leading and trailing
// spaces go. Every search box and form field, and every command-line value
// that names a person, an address or a code, passes through it, so that
// what is typed in either width finds the same thing. Chinese characters
// and all other text are kept as they are.
func NormalizeInput(s string) string {
	if isPlainASCII(s) {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	prevWideDash := false
	for _, r := range s {
		wideDash := false
		switch {
		case r == '\u3000':
			r = ' '
		case r >= '！' && r <= '～' && r != '－':
			r = r - '！' + '!'
		case isDash(r):
			// An input method's —— is one dash typed with shift: keep one.
			wideDash = true
			if prevWideDash {
				continue
			}
			r = '-'
		}
		prevWideDash = wideDash
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// isDash reports whether r is a dash other than ASCII's: hyphens, en and
// em dashes, the minus sign, and their small and full-width forms.
func isDash(r rune) bool {
	switch r {
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\ufe58', '\ufe63', '－':
		return true
	}
	return false
}

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
