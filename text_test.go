package lifeline

import (
	"strings"
	"testing"
)

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
		{"line\u2028sep", `line\u2028sep`},
		{"para\u2029sep", `para\u2029sep`},
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

func TestPrintableLines(t *testing.T) {
	if got := PrintableLines("肖*玉 绿码\n赵* 黄码\x1b[2J"); got != "肖*玉 绿码\n赵* 黄码\\x1b[2J" {
		t.Errorf("PrintableLines = %q", got)
	}
}

func TestCheckText(t *testing.T) {
	for _, c := range []struct {
		s      string
		max    int
		zh, en string
	}{
		{"张桂英", 100, "", ""},
		{"王\x1b[42mGREEN", 100, "含有不可显示的控制字符 U+001B", "contains an unprintable control character, U+001B"},
		{"\u202eevil", 100, "U+202E", "U+202E"},
		{"\x00\x00", 100, "U+0000", "U+0000"},
		{"12号楼\n3单元", 16, "含有换行", "contains a line break"},
		{"M\xfcller", 100, "无法识别的字节", "bytes that are not text"},
		{strings.Repeat("名", 101), 100, "太长：101 个字符，最多 100 个", "too long: 101 characters, at most 100"},
		{strings.Repeat("名", 100), 100, "", ""},
	} {
		err := CheckText(c.s, c.max)
		if (err == nil) != (c.zh == "") || err != nil && (!strings.Contains(ErrorMessage(err, Zh), c.zh) || !strings.Contains(ErrorMessage(err, En), c.en)) {
			t.Errorf("CheckText(%q, %d) = %v", c.s, c.max, err)
		}
	}
	r := &Resident{Name: "李四", Address: Address{Community: "幸福里社区", Building: "5\u202e"}}
	if err := r.CheckTexts(); ErrorCode(err) != EINVALID || !strings.HasPrefix(ErrorMessage(err, En), "building: contains") {
		t.Errorf("Resident.CheckTexts: %v", err)
	}
}
