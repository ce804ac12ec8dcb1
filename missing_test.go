package lifeline

import (
	"strings"
	"testing"
	"time"
)

func TestMissingSheetLines(t *testing.T) {
	at := time.Date(2022, 4, 10, 9, 30, 0, 0, ChinaTime)
	r := &Resident{Name: "王秀英\x1b[2J", Sex: Female, Birth: time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC),
		Phones:  []string{"+8613812345678", "+862112345678"},
		Address: Address{Community: "幸福里", Building: "12", Unit: "3", Room: "501"}}
	s := &MissingSheet{Round: Round{ID: 3, Community: "幸福里", DueAt: at.Add(8 * time.Hour)}, Building: "12", At: at, Lang: Zh,
		Entries: []MissingEntry{{Resident: r, Retest: true, Visits: []Visit{
			{Mark: VisitNotHome, At: at.Add(-time.Hour), Note: "邻居说\u202e上午回"},
			{Mark: VisitAway, At: at.Add(-10 * time.Minute)},
		}}}}
	l := s.Lines()[0]
	if l.Name != `王*\x1b[2J` && !strings.HasPrefix(l.Name, "王*") {
		t.Errorf("masked name %q", l.Name)
	}
	if strings.ContainsAny(strings.Join(l.Cells(), ""), "\x1b\u202e") {
		t.Fatalf("a control character reached the cells: %q", l.Cells())
	}
	want := MissingLine{Building: "12", Unit: "3", Floor: "5", Room: "501", Sex: "女", Age: "72", Phone: "+86 138****5678 +1",
		Status: "混管阳性，需单管复检", Retest: true, LastVisit: "外出不在 04-10 09:20",
		Visits: `04-10 08:30 上门未遇（邻居说\u202e上午回）；04-10 09:20 外出不在`}
	want.Name = l.Name
	if l != want {
		t.Errorf("line\n%+v\nwant\n%+v", l, want)
	}
	s.Reveal = true
	l = s.Lines()[0]
	if l.Phone != "+8613812345678 +862112345678" || !strings.HasPrefix(l.Name, "王秀英") {
		t.Errorf("revealed: %q %q", l.Name, l.Phone)
	}
	if got := s.Title(); got != "第 3 轮核酸 幸福里 12栋 未采样名单（截止 04-10 17:30，04-10 09:30 制表，共 1 人）" {
		t.Errorf("title %q", got)
	}
	if n := len(s.Header()); n != len(l.Cells()) {
		t.Errorf("%d headers for %d cells", n, len(l.Cells()))
	}
}
