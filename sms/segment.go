package sms

import "unicode/utf16"

// Encoding is how a message travels over SMS.
type Encoding int

// Encodings: GSM 03.38 7-bit when every character is in its alphabet
// (160 septets in one segment), otherwise UCS-2 (70 UTF-16 units).
const (
	GSM7 Encoding = iota
	UCS2
)

// String names the encoding.
func (e Encoding) String() string {
	if e == GSM7 {
		return "GSM-7"
	}
	return "UCS-2"
}

// Segment sizes. A message longer than one segment is split into parts
// that each lose room to the concatenation header.
const (
	gsmSingle  = 160
	gsmPart    = 153
	ucs2Single = 70
	ucs2Part   = 67
)

// gsmBasic is the GSM 03.38 default alphabet (one septet each), without
// the escape character itself.
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtension holds the characters sent as escape + one septet (two
// septets each).
const gsmExtension = "\f^{}\\[~]|€"

var gsmSeptets = func() map[rune]int {
	m := map[rune]int{}
	for _, r := range gsmBasic {
		m[r] = 1
	}
	for _, r := range gsmExtension {
		m[r] = 2
	}
	return m
}()

// Segments returns how many SMS segments s takes, in which encoding, and
// its length in that encoding's units (septets or UTF-16 code units). Parts
// never split an escape sequence or a surrogate pair, as phones do not.
func Segments(s string) (n int, enc Encoding, units int) {
	if s == "" {
		return 0, GSM7, 0
	}
	var sizes []int
	enc = GSM7
	for _, r := range s {
		w, ok := gsmSeptets[r]
		if !ok {
			enc = UCS2
			break
		}
		sizes = append(sizes, w)
	}
	single, part := gsmSingle, gsmPart
	if enc == UCS2 {
		sizes = sizes[:0]
		for _, r := range s {
			if utf16.IsSurrogate(r) || r > 0xFFFF {
				sizes = append(sizes, 2)
			} else {
				sizes = append(sizes, 1)
			}
		}
		single, part = ucs2Single, ucs2Part
	}
	for _, w := range sizes {
		units += w
	}
	if units <= single {
		return 1, enc, units
	}
	n, used := 1, 0
	for _, w := range sizes {
		if used+w > part {
			n++
			used = 0
		}
		used += w
	}
	return n, enc, units
}

// FitsOne reports whether s goes out as a single SMS segment.
func FitsOne(s string) bool {
	n, _, _ := Segments(s)
	return n <= 1
}
