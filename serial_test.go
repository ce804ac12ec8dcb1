package lifeline

import (
	"strings"
	"testing"
)

// TestFormatSerial: one form everywhere, in groups of four; the card's
// short form is its start.
func TestFormatSerial(t *testing.T) {
	for _, c := range []struct {
		serial      []byte
		full, short string
	}{
		{[]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, "AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4", "AAAQ-EAYE"},
		{[]byte{0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00}, "77XN-3TF3-VKMY-Q53G-KVCD-GIQR-AA", "77XN-3TF3"},
		{[]byte{1, 2, 3}, "AEBA-G", "AEBA-G"},
	} {
		full, short := FormatSerial(c.serial), ShortSerial(c.serial)
		if full != c.full || short != c.short || !strings.HasPrefix(full, short) {
			t.Errorf("FormatSerial(%x) = %q, ShortSerial %q; want %q, %q", c.serial, full, short, c.full, c.short)
		}
	}
}
