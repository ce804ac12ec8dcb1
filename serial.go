package lifeline

import (
	"encoding/base32"
	"strings"
)

// serialEncoding is RFC 4648 base32 without padding: upper-case letters
// and the digits 2-7 only, so a serial is read aloud and typed without
// confusing 0 with O or 1 with I.
var serialEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// FormatSerial is a paper code's serial as people read it, wherever it is
// shown (staff screen, card, command line, messages, audit log): base32 in
// groups of four, ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ for the 16 bytes of a
// serial. The card prints its first two groups (ShortSerial), so what a
// resident reads off their card is the start of what staff see. Dashes
// and case do not matter when it is typed back (code.ParseSerial).
func FormatSerial(serial []byte) string {
	s := serialEncoding.EncodeToString(serial)
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// ShortSerial is the part of FormatSerial printed large on a card and
// read aloud over the phone: its first two groups, ABCD-EFGH.
func ShortSerial(serial []byte) string {
	s := FormatSerial(serial)
	if len(s) > 9 {
		s = s[:9]
	}
	return s
}
