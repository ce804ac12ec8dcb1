package roster

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// id completes 17 digits with their GB 11643 check character.
func id(t testing.TB, first17 string) string {
	t.Helper()
	c, ok := lifeline.MainlandIDCheckDigit(first17)
	if !ok {
		t.Fatalf("bad test ID prefix %q", first17)
	}
	return first17 + string(c)
}

// badCheck returns the ID with a wrong check character.
func badCheck(t testing.TB, first17 string) string {
	good := id(t, first17)
	if good[17] == '0' {
		return good[:17] + "1"
	}
	return good[:17] + "0"
}

var testNow = time.Date(2022, 4, 10, 12, 0, 0, 0, ChinaTime)

func parse(t *testing.T, files map[string]string) *Parser {
	t.Helper()
	p := NewParser(Options{Now: testNow})
	for _, name := range sortedKeys(files) {
		if err := p.AddCSV(name, strings.NewReader(files[name])); err != nil {
			t.Fatalf("AddCSV(%s): %v", name, err)
		}
	}
	return p
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

func problems(p *Parser, l lifeline.Lang) []string {
	var out []string
	for _, pr := range p.Problems() {
		out = append(out, pr.In(l))
	}
	return out
}

func chineseRoster(t *testing.T) string {
	return "姓名,证件类型,证件号码,手机号码,社区,楼栋,单元,房号\r\n" +
		"张三丰," + "身份证," + id(t, "11010519491231001") + ",13812345678；021-12345678,幸福里社区,12号楼,3单元,501室\r\n" +
		"李四,," + id(t, "31010419850607123") + ",13912345678,幸福里社区,12,3,502\r\n" +
		"John Smith,护照,E12345678,+1 415 555 0100,幸福里社区,12,3,503\r\n"
}

func TestEncodings(t *testing.T) {
	text := chineseRoster(t)
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	u16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal([]byte(gb), []byte(text)) {
		t.Fatal("GB18030 test input is identical to UTF-8: the test would prove nothing")
	}
	for _, tc := range []struct {
		name string
		data string
		want Encoding
	}{
		{"utf8", text, UTF8},
		{"bom", "\ufeff" + text, UTF8BOM},
		{"gb18030", gb, GB18030},
		{"utf16", u16, UTF16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, enc, err := Decode([]byte(tc.data))
			if err != nil || enc != tc.want {
				t.Fatalf("Decode: %v %v, want %v", enc, err, tc.want)
			}
			p := NewParser(Options{Now: testNow})
			if err := p.AddCSV("roster.csv", strings.NewReader(tc.data)); err != nil {
				t.Fatal(err)
			}
			if ps := problems(p, lifeline.En); len(ps) != 0 {
				t.Fatalf("problems: %q", ps)
			}
			if p.Tables[0].Encoding != tc.want {
				t.Errorf("table encoding %v, want %v", p.Tables[0].Encoding, tc.want)
			}
			b := p.Batch()
			if len(b.Residents) != 3 {
				t.Fatalf("got %d residents, want 3", len(b.Residents))
			}
			r := b.Residents[0]
			if r.Name != "张三丰" || r.Address != (lifeline.Address{Community: "幸福里社区", Building: "12", Unit: "3", Room: "501"}) {
				t.Errorf("resident 0 = %q %+v", r.Name, r.Address)
			}
			if want := []string{"+8613812345678", "+862112345678"}; strings.Join(r.Phones, ",") != strings.Join(want, ",") {
				t.Errorf("phones = %v, want %v", r.Phones, want)
			}
			if r.Sex != lifeline.Male || r.Birth.Format("2006-01-02") != "1949-12-31" {
				t.Errorf("sex/birth from ID = %v %v", r.Sex, r.Birth)
			}
			if b.Residents[2].Doc.Type != lifeline.DocPassport || b.Residents[2].Doc.Number != "E12345678" {
				t.Errorf("passport = %+v", b.Residents[2].Doc)
			}
		})
	}
}

func TestEnglishHeaders(t *testing.T) {
	p := parse(t, map[string]string{"en.csv": "Name,ID Number,id_type,Nationality,Phone,Community,Building,Unit,Room,Birth,Sex,Notes\n" +
		"Wang Fang," + id(t, "44010619900101002") + ",,,138 1234 5678,Sunny,1,1,101,1990-01-01,F,likes tea\n" +
		"Kim Minsu,M12345678,passport,KOR,,Sunny,1,1,102,,,\n" +
		"小明,,none,,,Sunny,1,1,101,2018/6/1,M,\n"})
	if ps := problems(p, lifeline.En); len(ps) != 0 {
		t.Fatalf("problems: %q", ps)
	}
	if p.Tables[0].Kind != KindRoster {
		t.Fatalf("kind = %v", p.Tables[0].Kind)
	}
	b := p.Batch()
	if got := b.Residents[1].Doc; got.Nationality != "KOR" || got.Type != lifeline.DocPassport {
		t.Errorf("passport = %+v", got)
	}
	child := b.Residents[2]
	if child.Doc.Type != lifeline.DocNone || !child.NeedsManual || child.Birth.Format("2006-01-02") != "2018-06-01" {
		t.Errorf("child = %+v", child)
	}
	if len(b.Updates) != 0 {
		t.Errorf("a plain roster produced %d updates", len(b.Updates))
	}
}

func TestBadRowsReportLines(t *testing.T) {
	good1 := id(t, "11010519491231002")
	good2 := id(t, "31010419850607123")
	in := "幸福里社区居民花名册（2022年4月）\n" + // title row above the header: line 1
		"姓名,证件号码,手机号码,楼栋,单元,房号,性别,出生日期\n" + // line 2
		"张三," + good1 + ",13812345678,1,1,101,,\n" + // 3 good
		"李四," + badCheck(t, "31010419850607123") + ",13812345678,1,1,102,,\n" + // 4 bad check digit
		"\"王\n五\"," + good2 + ",12345,1,1,103,,\n" + // 5-6: a line break in a name; bad phone
		",,,,,,,\n" + // 7 blank: skipped
		"," + id(t, "11010519800101003") + ",,1,1,104,,\n" + // 8 missing name
		"赵六," + good1 + ",,1,1,105,,\n" + // 9 duplicate of line 3
		"钱七," + id(t, "11010519800101011") + ",,1,1,106,女,\n" + // 10 sex mismatch (odd 17th digit: male)
		"孙八," + id(t, "11010519800101020") + ",,1,1,,,1980-01-02\n" + // 11 no room, birth mismatch
		"周九,1.10105E+17,,1,1,107,,\n" // 12 stored as a number by Excel
	p := parse(t, map[string]string{"r.csv": in})
	got := problems(p, lifeline.En)
	want := []string{
		"r.csv:4: 证件号码: the ID number's check digit is wrong: please check the number",
		"r.csv:5: 姓名: contains a line break; remove it and try again",
		"r.csv:5: 手机号码: unrecognised phone number: give an 11-digit mobile or a landline with its area code",
		"r.csv:8: 姓名: name is missing",
		"r.csv:9: 证件号码: duplicate document, same as line 3",
		"r.csv:10: 性别: sex does not match the ID number",
		"r.csv:11: 出生日期: date of birth does not match the ID number (which says 1980-01-01)",
		"r.csv:11: 房号: room is missing",
		"r.csv:12: 证件号码: the document number was stored by Excel as a number and lost its last digits; format the column as text and enter it again",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	zh := problems(p, lifeline.Zh)
	if zh[0] != "r.csv:4: 证件号码: 身份证号码校验位错误，请核对" || zh[4] != "r.csv:9: 证件号码: 证件号码重复，与第 3 行相同" {
		t.Errorf("Chinese problems: %q", zh[:4])
	}
	if c := p.Counts(); c.Residents != 1 || c.Bad != 7 {
		t.Errorf("counts = %+v", c)
	}
}

func TestDuplicateAcrossFiles(t *testing.T) {
	row := "张三," + id(t, "11010519491231002") + ",1,1,101\n"
	h := "姓名,证件号码,楼栋,单元,房号\n"
	p := parse(t, map[string]string{"a.csv": h + row, "b.csv": h + "\n" + row})
	got := problems(p, lifeline.En)
	if len(got) != 1 || got[0] != "b.csv:3: 证件号码: duplicate document, same as a.csv:2" {
		t.Fatalf("problems = %q", got)
	}
}

func TestResults(t *testing.T) {
	a, b, c := id(t, "11010519491231002"), id(t, "31010419850607123"), id(t, "44010619900101002")
	in := "证件号码,健康码,采样时间,检测结果,采样点,试管编码,姓名\n" +
		a + ",绿码,2022-04-09 08:30,阴性,幸福里小学,T001,张三\n" + // 2
		b + ",yellow,2022/4/9 9:05,待出,,,\n" + // 3
		c + ",,2022-04-08T07:00:00+08:00,positive,,,\n" + // 4
		a + ",紫码,,,,,\n" + // 5 unknown colour
		b + ",,2022-04-09 08:30,,,,\n" + // 6 time without result
		c + ",,08:30 9 April,阴性,,,\n" + // 7 bad time
		c + ",green,2022-05-01 08:00,阴性,,,\n" + // 8 future
		a + ",,2022-04-09 08:30,阴性,幸福里小学,,\n" + // 9 same sample as line 2
		b + ",,,,,,\n" // 10 nothing
	p := parse(t, map[string]string{"res.csv": in})
	if p.Tables[0].Kind != KindResults {
		t.Fatalf("a results file with a name column is %v, want results only", p.Tables[0].Kind)
	}
	got := problems(p, lifeline.En)
	want := []string{
		"res.csv:5: 健康码: unknown code colour \"紫码\": use green, yellow or red",
		"res.csv:6: 检测结果: a sample time is given but no result (write pending if there is none yet)",
		"res.csv:7: 采样时间: unrecognised time \"08:30 9 April\": write it as 2022-04-09 08:30",
		"res.csv:8: 采样时间: sample time is in the future",
		"res.csv:9: 采样时间: duplicate sample, same as line 2",
		"res.csv:10: 健康码: the row has neither a code colour nor a result",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	us := p.Batch().Updates
	if len(us) != 3 {
		t.Fatalf("%d updates, want 3", len(us))
	}
	if u := us[0]; u.Color != lifeline.Green || u.Test == nil || u.Test.Result != lifeline.Negative ||
		!u.Test.SampledAt.Equal(time.Date(2022, 4, 9, 8, 30, 0, 0, ChinaTime)) || u.Test.Site != "幸福里小学" || u.Test.Tube != "T001" || !u.At.Equal(testNow) {
		t.Errorf("update 0 = %+v test %+v", u, u.Test)
	}
	if u := us[1]; u.Color != lifeline.Yellow || u.Test.Result != lifeline.Pending || !u.Test.SampledAt.Equal(time.Date(2022, 4, 9, 9, 5, 0, 0, ChinaTime)) {
		t.Errorf("update 1 = %+v test %+v", u, u.Test)
	}
	if u := us[2]; u.Color != "" || u.Test.Result != lifeline.Positive || !u.Test.SampledAt.Equal(time.Date(2022, 4, 7, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("update 2 = %+v test %+v", u, u.Test)
	}
}

func TestCombinedTable(t *testing.T) {
	p := parse(t, map[string]string{"c.csv": "name,id_number,building,room,code_color\n" +
		"Zhang," + id(t, "11010519491231002") + ",1,101,red\n" +
		"Li," + id(t, "31010419850607123") + ",1,102,\n"})
	if p.Tables[0].Kind != KindRoster|KindResults {
		t.Fatalf("kind = %v", p.Tables[0].Kind)
	}
	b := p.Batch()
	if len(b.Residents) != 2 || len(b.Updates) != 1 || b.Updates[0].Color != lifeline.Red {
		t.Fatalf("batch = %d residents, updates %+v", len(b.Residents), b.Updates)
	}
}

func TestUnrecognisedFile(t *testing.T) {
	p := NewParser(Options{})
	err := p.AddCSV("x.csv", strings.NewReader("foo,bar\n1,2\n"))
	if lifeline.ErrorCode(err) != lifeline.EINVALID || !strings.Contains(lifeline.ErrorMessage(err, lifeline.En), "cannot tell what this file holds") {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckResidents(t *testing.T) {
	inRoster, inStore, unknown := id(t, "11010519491231002"), id(t, "31010419850607123"), id(t, "44010619900101002")
	p := parse(t, map[string]string{
		"a.csv": "姓名,证件号码\n张三," + inRoster + "\n",
		"b.csv": "证件号码,健康码\n" + inRoster + ",绿码\n" + inStore + ",绿码\n" + unknown + ",黄码\n" + unknown + ",红码\n",
	})
	var asked []string
	err := p.CheckResidents(context.Background(), func(_ context.Context, docs []lifeline.Document) (map[string]bool, error) {
		known := map[string]bool{}
		for _, d := range docs {
			asked = append(asked, d.Number)
			if d.Number == inStore {
				known[d.Key()] = true
			}
		}
		return known, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != 2 {
		t.Errorf("asked the store about %d documents, want 2 (once each, none on the roster)", len(asked))
	}
	got := problems(p, lifeline.En)
	if len(got) != 2 || !strings.HasPrefix(got[0], "b.csv:4: 证件号码: unknown resident") || !strings.HasPrefix(got[1], "b.csv:5: ") {
		t.Fatalf("problems = %q", got)
	}
}

func TestXLSX(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", "花名册")
	a := id(t, "11010519491231002")
	rows := [][]any{
		{"姓名", "证件号码", "手机号码", "楼栋", "单元", "房号", "出生日期"},
		{"张三", a, 13812345678, 12, 3, 501, 18263}, // 18263 = 1949-12-31 as an Excel serial
		{"李四", badCheck(t, "31010419850607123"), 13912345678, 12, 3, 502, nil},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("花名册", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	f.NewSheet("说明")
	f.SetCellValue("说明", "A1", "本表由社区填写")
	f.NewSheet("结果")
	sampled := time.Date(2022, 4, 9, 8, 30, 0, 0, time.UTC) // excelize stores the wall clock as a serial number
	f.SetSheetRow("结果", "A1", &[]any{"证件号码", "采样时间", "检测结果"})
	f.SetSheetRow("结果", "A3", &[]any{a, sampled, "阴性"}) // row 2 left empty on purpose
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 22})
	f.SetCellStyle("结果", "B3", "B3", style)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}

	p := NewParser(Options{Now: testNow})
	if err := p.AddXLSX("book.xlsx", bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if len(p.Tables) != 2 {
		t.Fatalf("%d tables, want 2 (the notes sheet is skipped)", len(p.Tables))
	}
	got := problems(p, lifeline.En)
	if len(got) != 1 || got[0] != "book.xlsx#花名册:3: 证件号码: the ID number's check digit is wrong: please check the number" {
		t.Fatalf("problems = %q", got)
	}
	b := p.Batch()
	r := b.Residents[0]
	if r.Phones[0] != "+8613812345678" || r.Address.Short() != "12-3-501" || r.Birth.Format("2006-01-02") != "1949-12-31" {
		t.Errorf("resident = %+v", r)
	}
	if len(b.Updates) != 1 || !b.Updates[0].Test.SampledAt.Equal(time.Date(2022, 4, 9, 8, 30, 0, 0, ChinaTime)) {
		t.Fatalf("updates = %+v", b.Updates)
	}
}

func TestRejects(t *testing.T) {
	in := "姓名,证件号码,楼栋,房号,备注\n" +
		"张三," + id(t, "11010519491231002") + ",1,101,\n" +
		"李四," + badCheck(t, "31010419850607123") + ",1,102,\"has, comma\"\n" +
		",,1,103,\n"
	p := parse(t, map[string]string{"r.csv": in})
	var buf bytes.Buffer
	if err := p.WriteRejects(&buf, lifeline.Zh); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\xEF\xBB\xBF")) {
		t.Fatal("rejects file has no UTF-8 BOM")
	}
	recs, err := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"姓名", "证件号码", "楼栋", "房号", "备注", "错误", "来源"},
		{"李四", badCheck(t, "31010419850607123"), "1", "102", "has, comma", "证件号码：身份证号码校验位错误，请核对", "r.csv:3"},
		{"", "", "1", "103", "", "证件号码：证件号码为空（没有证件的儿童请把证件类型填为“无证件”）；姓名：姓名为空", "r.csv:4"},
	}
	if fmt.Sprint(recs) != fmt.Sprint(want) {
		t.Fatalf("rejects:\n%q\nwant\n%q", recs, want)
	}
	// The rejects file is itself importable once fixed: its extra columns are ignored.
	p2 := NewParser(Options{Now: testNow})
	if err := p2.AddCSV("rejects.csv", bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if c := p2.Counts(); c.Bad != 2 {
		t.Errorf("re-reading rejects: %+v", c)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2022, 4, 9, 8, 30, 0, 0, ChinaTime)
	for _, s := range []string{"2022-04-09 08:30", "2022-4-9 8:30", "2022/4/9 8:30", "2022/04/09 08:30:00", "2022-04-09T08:30:00+08:00", "2022-04-09T00:30:00Z", "2022年4月9日 08:30", "202204090830"} {
		got, err := parseTime(s, ChinaTime, false)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v", s, got, err)
		}
	}
	if got, err := parseTime("44660.3541666667", ChinaTime, true); err != nil || !got.Equal(want) {
		t.Errorf("serial: %v %v", got, err)
	}
	if _, err := parseTime("44660.35", ChinaTime, false); err == nil {
		t.Error("a serial number in a CSV was accepted")
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("姓名,证件号码,手机号码\n张三,11010519491231002X,138\n"))
	f.Add([]byte("\xef\xbb\xbfid_number,code_color,tested_at,result\n1,green,2022-01-01 00:00,neg\n"))
	f.Add([]byte("name,id_number,building,room,code_color\n\"a\nb\",\"x\"\"\",1,,r\n"))
	f.Add([]byte("\xd0\xd5\xc3\xfb,\xd6\xa4\xbc\xfe\xba\xc5\xc2\xeb\n"))
	f.Add([]byte("\xff\xfe\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := NewParser(Options{Now: testNow})
		if err := p.AddCSV("f.csv", bytes.NewReader(data)); err != nil {
			return
		}
		lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 1
		for _, pr := range p.Problems() {
			if pr.Line < 1 || pr.Line > lines {
				t.Fatalf("problem on line %d of a %d-line file: %v", pr.Line, lines, pr)
			}
		}
		c := p.Counts()
		b := p.Batch()
		if len(b.Residents) != c.Residents || len(b.Updates) != c.Updates {
			t.Fatalf("batch %d/%d disagrees with counts %+v", len(b.Residents), len(b.Updates), c)
		}
		for _, r := range b.Residents {
			if err := r.Validate(); err != nil {
				t.Fatalf("a good row holds an invalid resident: %v", err)
			}
			if err := r.CheckTexts(); err != nil {
				t.Fatalf("a good row holds a text the store refuses: %v", err)
			}
		}
		var buf bytes.Buffer
		if err := p.WriteRejects(&buf, lifeline.En); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSeveralPhoneColumns(t *testing.T) {
	p := parse(t, map[string]string{"p.csv": "姓名,证件号码,手机号码,固定电话,亲属电话\n" +
		"张三," + id(t, "11010519491231002") + ",13812345678,029-88886666,13900000000\n" +
		"李四," + id(t, "31010419850607123") + ",,12,\n"})
	got := problems(p, lifeline.En)
	if len(got) != 1 || !strings.HasPrefix(got[0], "p.csv:3: 固定电话: ") {
		t.Fatalf("problems = %q", got)
	}
	r := p.Batch().Residents[0]
	if strings.Join(r.Phones, ",") != "+8613812345678,+862988886666" {
		t.Errorf("phones = %v (a relative's phone is not the resident's)", r.Phones)
	}
}

func TestPlaceholders(t *testing.T) {
	p := parse(t, map[string]string{"p.csv": "姓名,证件类型,证件号码,手机号码,楼栋,单元,房号,性别\n" +
		"张三,," + id(t, "11010519491231002") + ",无,1,/,101,-\n" + // nothing to say: fine
		"李四,,无,,1,1,102,\n" + // "无" is no document number: reported
		"王五,无,,-,1,1,103,\n"}) // a child without a document
	got := problems(p, lifeline.En)
	if len(got) != 1 || !strings.HasPrefix(got[0], "p.csv:3: 证件号码: ") {
		t.Fatalf("problems = %q", got)
	}
	b := p.Batch()
	if r := b.Residents[0]; len(r.Phones) != 0 || r.Address.Unit != "" || r.Sex != lifeline.Female {
		t.Errorf("resident = %+v", r)
	}
	if b.Residents[1].Doc.Type != lifeline.DocNone {
		t.Errorf("child = %+v", b.Residents[1])
	}
}

func TestOldExcelFile(t *testing.T) {
	path := t.TempDir() + "/old.xls"
	if err := os.WriteFile(path, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := NewParser(Options{}).AddFile(path)
	if !strings.Contains(lifeline.ErrorMessage(err, lifeline.En), "old Excel (.xls)") {
		t.Fatalf("err = %v", err)
	}
}

// TestParallelParse: a big table is parsed on two cores, and what comes
// out is what one core makes of it: the same rows in the same order, the
// first of two duplicates kept wherever the halves split, and each row's
// problems in the order its columns were checked.
func TestParallelParse(t *testing.T) {
	a, b, c := id(t, "11010519491231002"), id(t, "31010419850607123"), id(t, "44010619900101002")
	combined := "name,id_number,building,room,code_color,tested_at,result\n" +
		"Zhang," + a + ",1,101,red,,\n" + // 2
		"Li," + b + ",1,102,,2022-04-09 08:30,negative\n" + // 3
		"Zhang again," + a + ",1,103,紫码,,\n" + // 4 duplicate document, then the colour
		"Wang," + c + ",1,104,,2022-04-09 08:30,negative\n" + // 5
		"Wang again," + c + ",1,105,,2022-04-09 08:30,negative\n" + // 6 duplicate document only: no sample check
		"Li," + b + ",,102,,2022-04-09 08:30,negative\n" // 7 duplicate document, no building
	want := []string{
		"c.csv:4: id_number: duplicate document, same as line 2",
		"c.csv:4: code_color: unknown code colour \"紫码\": use green, yellow or red",
		"c.csv:6: id_number: duplicate document, same as line 5",
		"c.csv:7: building: building is missing",
		"c.csv:7: id_number: duplicate document, same as line 3",
	}
	results := "证件号码,健康码,采样时间,检测结果\n"
	for i := range 40 {
		results += fmt.Sprintf("%s,,2022-04-0%d 08:30,阴性\n", []string{a, b, c}[i%3], 1+i%7) // repeats every 21 rows
	}
	for _, n := range []int{1 << 30, 2} {
		saved := parallelRows
		parallelRows = n
		p := parse(t, map[string]string{"c.csv": combined})
		got := problems(p, lifeline.En)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("parallel from %d rows: problems:\n%s\nwant:\n%s", n, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if bt := p.Batch(); len(bt.Residents) != 3 || bt.Residents[2].Name != "Wang" || len(bt.Updates) != 3 {
			t.Fatalf("parallel from %d rows: batch %+v", n, bt)
		}
		p = parse(t, map[string]string{"r.csv": results})
		got = problems(p, lifeline.En)
		if len(got) != 19 || got[0] != "r.csv:23: 采样时间: duplicate sample, same as line 2" || got[18] != "r.csv:41: 采样时间: duplicate sample, same as line 20" {
			t.Fatalf("parallel from %d rows: %d problems, %q … %q", n, len(got), got[0], got[len(got)-1])
		}
		parallelRows = saved
	}
}

// TestParseLoaded: loading files and then parsing them a chunk at a time
// (as an import that writes while it parses does) finds the same problems
// as AddFile, hands on exactly the residents of the good roster rows, in
// file order, a chunk at a time, and leaves them out of Batch, which still
// holds every update. Duplicates across chunks and files are caught.
func TestParseLoaded(t *testing.T) {
	a, b, c := id(t, "11010519491231002"), id(t, "31010419850607123"), id(t, "44010619900101002")
	combined := "name,id_number,building,room,code_color,tested_at,result\n" +
		"Zhang," + a + ",1,101,red,,\n" +
		"Li," + b + ",1,102,,2022-04-09 08:30,negative\n" +
		"Zhang again," + a + ",1,103,紫码,,\n" +
		"Wang," + c + ",1,104,,2022-04-09 08:30,negative\n" +
		"Zhao," + badCheck(t, "11010519491231003") + ",1,105,,,\n" +
		"Wang again," + c + ",1,105,,2022-04-09 08:30,negative\n" +
		"Qian," + id(t, "11010519800101001") + ",2,201,green,,\n"
	roster2 := "姓名,证件号码,楼栋,房号\n" +
		"Li again," + b + ",3,301\n" + // duplicate of the other file
		"Sun," + id(t, "11010519800101002") + ",3,302\n"
	stranger := id(t, "11010519800101003") // on no roster
	results := "证件号码,健康码\n" + a + ",绿码\n" + c + ",黄码\n" + stranger + ",绿码\n"
	dir := t.TempDir()
	files := map[string]string{"1.csv": combined, "2.csv": roster2, "3.csv": results}
	whole := parse(t, files)

	saved := streamChunk
	defer func() { streamChunk = saved }()
	streamChunk = 2
	p := NewParser(Options{Now: testNow})
	for _, name := range sortedKeys(files) {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(files[name]), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := p.LoadFile(path); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.Pending(); n != 9 {
		t.Fatalf("Pending = %d, want the 9 rows of the two roster tables", n)
	}
	var chunks [][]lifeline.Resident
	var bads []int
	p.ParseLoaded(func(rs []lifeline.Resident, bad int) {
		if len(rs) > 0 {
			chunks = append(chunks, rs)
		}
		bads = append(bads, bad)
	})
	// Chunks of two rows: 1.csv's lines 2-3, 4-5 (a duplicate), 6-7 (a bad
	// check digit, a duplicate), 8; 2.csv's 2 (a duplicate) and 3; 3.csv's
	// 2 (a colour given twice) and 3, then 4 (the stranger's, not yet
	// checked), no residents.
	if fmt.Sprint(bads) != "[0 1 3 3 4 5 5]" {
		t.Fatalf("bad rows so far at each chunk: %v", bads)
	}
	if p.Pending() != 0 {
		t.Fatalf("Pending = %d after ParseLoaded", p.Pending())
	}

	if got, want := problems(p, lifeline.En), problems(whole, lifeline.En); strings.Join(got, "\n") != strings.Join(want, "\n") || len(want) != 6 {
		t.Fatalf("problems:\n%s\nwant (AddFile's):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var names []string
	for _, ch := range chunks {
		if len(ch) == 0 || len(ch) > 2 {
			t.Fatalf("a chunk of %d residents", len(ch))
		}
		for _, r := range ch {
			names = append(names, r.Name)
		}
	}
	var want []string
	for _, r := range whole.Batch().Residents {
		want = append(want, r.Name)
	}
	if strings.Join(names, ",") != strings.Join(want, ",") || strings.Join(want, ",") != "Zhang,Li,Wang,Qian,Sun" {
		t.Fatalf("residents handed on: %v, want %v", names, want)
	}
	bt := p.Batch()
	if len(bt.Residents) != 0 {
		t.Fatalf("Batch repeats %d residents handed on", len(bt.Residents))
	}
	if wu := whole.Batch().Updates; len(bt.Updates) != len(wu) || len(wu) != 6 {
		t.Fatalf("updates: %d, AddFile's %d", len(bt.Updates), len(wu))
	}
	if got, want := p.Counts(), whole.Counts(); got != want {
		t.Fatalf("counts %+v, AddFile's %+v", got, want)
	}
	// A resident handed on is not kept: the rows do not hold a big roster
	// a second time while it is written.
	// Nor its cells, unless the row has a result too (CheckResidents
	// checks that again): they are kept for the rejects file.
	p.Rows(func(r *Row) {
		if r.OK() && r.Resident != nil && r.table.streamed {
			t.Fatalf("%s:%d still holds its resident after handing it on", r.Source, r.Line)
		}
		if keep := !r.OK() || r.Update != nil; keep != (r.Record != nil) {
			t.Fatalf("%s:%d (ok %v, a result %v) holds its cells: %v", r.Source, r.Line, r.OK(), r.Update != nil, r.Record != nil)
		}
	})
	// Results rows still find the residents handed on; the stranger's
	// does not (the store knows no one).
	none := func(context.Context, []lifeline.Document) (map[string]bool, error) { return nil, nil }
	for _, q := range []*Parser{p, whole} {
		if err := q.CheckResidents(context.Background(), none); err != nil {
			t.Fatal(err)
		}
	}
	got, want := problems(p, lifeline.En), problems(whole, lifeline.En)
	if strings.Join(got, "\n") != strings.Join(want, "\n") || len(want) != 7 || !strings.Contains(want[6], "3.csv:4:") || !strings.Contains(want[6], "unknown resident") {
		t.Fatalf("after CheckResidents:\n%s\nwant (AddFile's), the last the stranger's:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestParseLoadedStopsAtAReadError: a file that cannot be read to its end
// (a CSV file's cells are split as ParseLoaded parses them) stops
// ParseLoaded where it failed, and Err says why, so an import writes
// nothing.
func TestParseLoadedStopsAtAReadError(t *testing.T) {
	saved := streamChunk
	defer func() { streamChunk = saved }()
	streamChunk = 2
	p := NewParser(Options{Now: testNow})
	path := filepath.Join(t.TempDir(), "r.csv")
	body := "name,id_number\n"
	for _, first := range []string{"11010519491231002", "31010419850607123", "44010619900101002", "11010519800101001"} {
		body += "A," + id(t, first) + "\n"
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	broken := errors.New("disk gone")
	tb := p.Tables[0]
	read, calls := tb.more, 0
	tb.more = func() (record, bool, error) {
		if calls++; calls == 4 {
			return record{}, false, broken
		}
		return read()
	}
	var got int
	p.ParseLoaded(func(rs []lifeline.Resident, bad int) { got += len(rs) })
	if !errors.Is(p.Err(), broken) {
		t.Fatalf("Err = %v, want the read error", p.Err())
	}
	if got != 3 || len(tb.Rows) != 3 || p.Pending() != 0 {
		t.Fatalf("%d residents handed on, %d rows, %d pending; want the 3 rows before the error and nothing pending", got, len(tb.Rows), p.Pending())
	}
}

// TestPendingCountsLines: before its rows are parsed, a table counts at
// least the rows it has, by its lines after the header (blank lines and
// a missing last line break included), so an import knows about how big
// it is before it reads them.
func TestPendingCountsLines(t *testing.T) {
	dir := t.TempDir()
	a, b := id(t, "11010519491231002"), id(t, "31010419850607123")
	for name, tc := range map[string]struct {
		body string
		want int
	}{
		"plain.csv":   {"name,id_number\nA," + a + "\nB," + b + "\n", 2},
		"nolast.csv":  {"name,id_number\r\nA," + a + "\r\nB," + b, 2},
		"blank.csv":   {"title\n\nname,id_number\nA," + a + "\n\nB," + b + "\n", 3},
		"results.csv": {"id_number,code_color\n" + a + ",green\n", 0},
	} {
		p := NewParser(Options{Now: testNow})
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := p.LoadFile(path); err != nil {
			t.Fatal(err)
		}
		if got := p.Pending(); got != tc.want {
			t.Errorf("%s: Pending = %d, want %d", name, got, tc.want)
		}
		n := 0
		p.ParseLoaded(func(rs []lifeline.Resident, bad int) { n += len(rs) })
		if p.Err() != nil || p.Pending() != 0 || n > tc.want {
			t.Errorf("%s: %d residents, Pending %d after, Err %v", name, n, p.Pending(), p.Err())
		}
	}
}
