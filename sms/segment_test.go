package sms

import (
	"strings"
	"testing"
)

func TestSegments(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		n     int
		enc   Encoding
		units int
	}{
		{"empty", "", 0, GSM7, 0},
		{"status example", "张*丰 绿码 4/9 08:00采样 阴性", 1, UCS2, 21},
		{"160 latin", strings.Repeat("a", 160), 1, GSM7, 160},
		{"161 latin", strings.Repeat("a", 161), 2, GSM7, 161},
		{"306 latin", strings.Repeat("a", 306), 2, GSM7, 306},
		{"307 latin", strings.Repeat("a", 307), 3, GSM7, 307},
		{"gsm accents", "àèéùìòÇØøÅåÆæßÉÄÖÑÜäöñü¡¿£¥§", 1, GSM7, 28},
		{"80 euro signs", strings.Repeat("€", 80), 1, GSM7, 160},
		{"81 euro signs", strings.Repeat("€", 81), 2, GSM7, 162},
		// 152 septets of 'a' then an escape pair: the pair does not fit the
		// 153 left in part one and moves whole to part two.
		{"escape not split", strings.Repeat("a", 152) + "{" + strings.Repeat("a", 7), 2, GSM7, 161},
		{"escape forces part 3", strings.Repeat("a", 152) + "{" + strings.Repeat("a", 152) + "{", 3, GSM7, 308},
		{"70 han", strings.Repeat("码", 70), 1, UCS2, 70},
		{"71 han", strings.Repeat("码", 71), 2, UCS2, 71},
		{"134 han", strings.Repeat("码", 134), 2, UCS2, 134},
		{"135 han", strings.Repeat("码", 135), 3, UCS2, 135},
		{"one han makes it UCS-2", strings.Repeat("a", 69) + "码", 1, UCS2, 70},
		{"latin over 70 with han", strings.Repeat("a", 70) + "码", 2, UCS2, 71},
		{"35 emoji", strings.Repeat("😀", 35), 1, UCS2, 70},
		// 36 emoji are 72 units; a part holds 67, so 33 emoji (66 units) go
		// in part one rather than split a surrogate pair.
		{"36 emoji", strings.Repeat("😀", 36), 2, UCS2, 72},
		{"ç is not GSM (only Ç is)", "ç", 1, UCS2, 1},
		{"backtick is not GSM", "`", 1, UCS2, 1},
	}
	for _, c := range cases {
		n, enc, units := Segments(c.in)
		if n != c.n || enc != c.enc || units != c.units {
			t.Errorf("%s: Segments = %d, %s, %d; want %d, %s, %d", c.name, n, enc, units, c.n, c.enc, c.units)
		}
	}
}
