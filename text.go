package lifeline

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable returns s safe to show on a terminal, a page or in a message:
// every character that could move the cursor, change colours, reorder text
// or hide itself (C0 and C1 controls, DEL, bidirectional overrides and
// isolates, other invisible format characters, invalid UTF-8) is replaced by
// a visible escape such as \x1b or \u202e. Stored data may predate the
// checks at import, so every place that renders stored text passes it
// through here; ordinary text, Chinese included, comes back unchanged.
func Printable(s string) string {
	if _, bad := UnprintableRune(s); !bad {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case hidden(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case hidden(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// PrintableLines is Printable for a text of several lines, such as an
// SMS reply shown on a terminal: its line breaks stay, every other
// control is escaped.
func PrintableLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Printable(l)
	}
	return strings.Join(lines, "\n")
}

// UnprintableRune returns the first character of s that Printable would
// escape, and whether there is one: what an import refuses.
func UnprintableRune(s string) (rune, bool) {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return r, true
			}
		}
		if hidden(r) {
			return r, true
		}
	}
	return 0, false
}

// hidden reports whether r is a control or an invisible format character
// (category Cc or Cf: ESC, BEL, NUL, C1 controls, U+202E and the other
// bidirectional controls, zero-width characters, the BOM), or the line and
// paragraph separators U+2028 and U+2029, which break a line as a newline
// does.
func hidden(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}
