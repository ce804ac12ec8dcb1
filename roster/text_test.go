package roster

import (
	"fmt"
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
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

// TestUnclosedQuote: a quote opened on line 4 and never closed used to
// swallow every later row into one cell and report "1 bad row"; it stops
// the file, naming the line. A quote that closes many lines later names
// the lines it took.
func TestUnclosedQuote(t *testing.T) {
	var b strings.Builder
	b.WriteString("姓名,证件号码,楼栋,房号\n")
	for i := range 1000 {
		name := "居民"
		if i == 2 {
			name = `"居民` // line 4
		}
		b.WriteString(name + "," + id(t, "110105195001"+string(rune('1'+i%9))+"1"+string(rune('0'+i/100%10))+string(rune('0'+i/10%10))+string(rune('0'+i%10))) + ",1,101\n")
	}
	for _, name := range []string{"open.csv", "open-crlf.csv"} {
		in := b.String()
		if name == "open-crlf.csv" {
			in = strings.ReplaceAll(in, "\n", "\r\n")
		}
		p := NewParser(Options{Now: testNow})
		err := p.AddCSV(name, strings.NewReader(in))
		if msg := lifeline.ErrorMessage(err, lifeline.En); msg != name+": unclosed quote from line 4 runs to the end of the file; close it or remove it" {
			t.Errorf("%s: %v", name, err)
		}
		if !strings.Contains(lifeline.ErrorMessage(err, lifeline.Zh), "第 4 行的引号没有闭合") {
			t.Errorf("%s in Chinese: %v", name, lifeline.ErrorMessage(err, lifeline.Zh))
		}
	}
	// Closed: quotes in quotes, a quoted last cell, a quote inside a cell.
	for _, in := range []string{
		"姓名,证件号码\n\"张\"\"三\"\"\"," + id(t, "11010519491231002") + "\n",
		"姓名,证件号码\n张三,\"" + id(t, "11010519491231002") + "\"",
		"姓名,证件号码\n张\"三," + id(t, "11010519491231002") + "\n",
	} {
		if err := NewParser(Options{Now: testNow}).AddCSV("ok.csv", strings.NewReader(in)); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
	in := "姓名,证件号码,楼栋,房号\n\"张三\n李四\n王五\"," + id(t, "11010519491231002") + ",1,101\n"
	got := problems(parse(t, map[string]string{"late.csv": in}), lifeline.En)
	if len(got) != 1 || got[0] != "late.csv:2: 姓名: contains line breaks: lines 2 to 4 are all in this cell (a quote left open?)" {
		t.Errorf("a quote closed lines later: %q", got)
	}
}

// TestUndeclaredEncodingAsked: a Latin-1 file read as GB18030 turned
// "Müller" into "M黮ler"; such a file is refused with the cell read both
// ways, and imports as it was written once the encoding is given. A
// Chinese file with a rare character in a name is still read as GB18030.
func TestUndeclaredEncodingAsked(t *testing.T) {
	latin, _ := charmap.ISO8859_1.NewEncoder().String("name,id_type,id_number,nationality\nJürgen Müller,passport,E12345678,DEU\nFrançois Lefèvre,passport,E12345679,FRA\n")
	err := NewParser(Options{Now: testNow}).AddCSV("de.csv", strings.NewReader(latin))
	msg := lifeline.ErrorMessage(err, lifeline.En)
	if !strings.HasPrefix(msg, "de.csv: cannot tell the file's encoding: line 2 reads \"J") || !strings.Contains(msg, `"Jürgen Müller" as windows-1252`) || !strings.Contains(msg, "--encoding") {
		t.Fatalf("err = %q", msg)
	}
	if zh := lifeline.ErrorMessage(err, lifeline.Zh); !strings.Contains(zh, "请用 --encoding 指明") {
		t.Errorf("in Chinese: %q", zh)
	}
	for _, label := range []string{"latin1", "windows-1252", "ISO-8859-1"} {
		p := NewParser(Options{Now: testNow, Encoding: label})
		if err := p.AddCSV("de.csv", strings.NewReader(latin)); err != nil {
			t.Fatalf("--encoding %s: %v", label, err)
		}
		if rs := p.Batch().Residents; len(rs) != 2 || rs[0].Name != "Jürgen Müller" || rs[1].Name != "François Lefèvre" {
			t.Errorf("--encoding %s: %+v", label, rs)
		}
	}
	if err := NewParser(Options{Encoding: "klingon"}).AddCSV("x.csv", strings.NewReader(latin)); !strings.Contains(lifeline.ErrorMessage(err, lifeline.En), `unknown encoding "klingon"`) {
		t.Errorf("unknown encoding: %v", err)
	}
	if err := NewParser(Options{Encoding: "utf-8"}).AddCSV("x.csv", strings.NewReader(latin)); !strings.Contains(lifeline.ErrorMessage(err, lifeline.En), "x.csv: is not text in UTF-8") {
		t.Errorf("utf-8 given for Latin-1: %v", err)
	}
	gb, _ := simplifiedchinese.GB18030.NewEncoder().String(strings.Replace(chineseRoster(t), "李四", "王堃", 1))
	p := NewParser(Options{Now: testNow})
	if err := p.AddCSV("gb.csv", strings.NewReader(gb)); err != nil || p.Tables[0].Encoding != GB18030 || p.Batch().Residents[1].Name != "王堃" {
		t.Fatalf("a GB18030 roster with a rare character: %v", err)
	}
}

// TestChangesListsRenamesByLine: what an import changed, part by part, and
// its renames by file and line, the first 20 of them.
func TestChangesListsRenamesByLine(t *testing.T) {
	var b strings.Builder
	b.WriteString("姓名,证件号码\n")
	var st lifeline.ImportStats
	for i := range 25 {
		doc := id(t, fmt.Sprintf("110105195001%02d%03d", 1+i, i))
		b.WriteString(fmt.Sprintf("新名%d,%s\n", i, doc))
		st.Renamed = append(st.Renamed, lifeline.Rename{Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: doc}, Old: fmt.Sprintf("旧名%d", i), New: fmt.Sprintf("新名%d", i)})
	}
	st.Changed = lifeline.FieldChanges{Name: 30, Address: 2}
	p := parse(t, map[string]string{"n.csv": b.String()})
	got := p.Changes(st, true, lifeline.Zh)
	if len(got) != 23 || got[0] != "将更改：姓名 30 人，住址 2 人" || got[2] != "  n.csv:2  旧名0 → 新名0" || got[21] != "  n.csv:21  旧名19 → 新名19" || got[22] != "  ……另有 10 人改名" {
		t.Errorf("changes:\n%s", strings.Join(got, "\n"))
	}
	if got := p.Changes(lifeline.ImportStats{Updated: 0}, false, lifeline.En); got != nil {
		t.Errorf("nothing changed: %q", got)
	}
}
