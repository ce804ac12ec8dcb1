package roster

import (
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
)

// TestUnprintableAndLongCellsRefused: a control character in any column
// lifeline reads, or a cell longer than its field allows, is a problem of
// that cell (file:line: column: reason) and nothing else is said about it;
// other columns, and what lifeline does not read, are as before.
func TestUnprintableAndLongCellsRefused(t *testing.T) {
	doc := func(n int) string { return id(t, "1101051980010100"+string(rune('0'+n))) }
	in := "姓名,证件号码,手机号码,社区,楼栋,单元,房号,备注\n" +
		"张三," + doc(1) + ",13812345678,幸福里社区,1,1,101,\x1b[31m\n" + // 2 good: 备注 is not read
		"王\x1b[1A\x1b[42m GREEN \x1b[0m," + doc(2) + ",13812345678,幸福里社区,1,1,102,\n" + // 3
		"李\a四," + doc(3) + ",,幸福里社区,1,1,103,\n" + // 4 BEL
		"赵\x00六," + doc(4) + ",,幸福里社区,1,1,104,\n" + // 5 NUL
		"钱七," + doc(5) + ",1381234\u00855678,幸福里社区,1,1,105,\n" + // 6 C1 in a phone
		"孙八," + doc(6) + ",,幸福里\u202e区社,1,1,106,\n" + // 7 bidi override
		strings.Repeat("周", 5000) + "," + doc(7) + ",,幸福里社区,1,1,107,\n" + // 8 a 5,000-character name
		"吴九," + doc(8) + ",,幸福里社区,1,1," + strings.Repeat("9", 17) + ",\n" // 9 a room of 17
	p := parse(t, map[string]string{"r.csv": in})
	want := []string{
		"r.csv:3: 姓名: contains an unprintable control character, U+001B; remove it and try again",
		"r.csv:4: 姓名: contains an unprintable control character, U+0007; remove it and try again",
		"r.csv:5: 姓名: contains an unprintable control character, U+0000; remove it and try again",
		"r.csv:6: 手机号码: contains an unprintable control character, U+0085; remove it and try again",
		"r.csv:7: 社区: contains an unprintable control character, U+202E; remove it and try again",
		"r.csv:8: 姓名: too long: 5000 characters, at most 100",
		"r.csv:9: 房号: too long: 17 characters, at most 16",
	}
	if got := problems(p, lifeline.En); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c := p.Counts(); c.Residents != 1 || c.Bad != 7 {
		t.Errorf("counts = %+v", c)
	}
	if zh := problems(p, lifeline.Zh); zh[0] != "r.csv:3: 姓名: 含有不可显示的控制字符 U+001B，请删除后重试" {
		t.Errorf("in Chinese: %q", zh[0])
	}
}
