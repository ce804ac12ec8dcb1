package sms

import (
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
)

func TestAdviceSet(t *testing.T) {
	a := DefaultAdvice
	for _, s := range []string{"yellow=24小时内做核酸", "红码=请不要外出", "red.en=Do not go out.", " yellow.en = Test today. "} {
		if err := a.Set(s); err != nil {
			t.Fatalf("Set(%q): %v", s, err)
		}
	}
	want := Advice{Yellow: lifeline.T("24小时内做核酸", "Test today."), Red: lifeline.T("请不要外出", "Do not go out.")}
	if a != want {
		t.Fatalf("advice %+v, want %+v", a, want)
	}
	for _, bad := range []string{"", "yellow", "yellow=", "green=走吧", "blue=x", "red=" + strings.Repeat("很", MaxAdvice+1), "red=\x1b[31m危险"} {
		if err := a.Set(bad); lifeline.ErrorCode(err) != lifeline.EINVALID {
			t.Errorf("Set(%q) = %v, want EINVALID", bad, err)
		}
	}
	if a != want {
		t.Fatalf("a refused setting changed the advice: %+v", a)
	}
}

// TestAdviceInTheRoomLeft: a yellow or red line carries its advice when
// the page still fits one segment, and loses it rather than grow a second
// segment or move a person to another page.
func TestAdviceInTheRoomLeft(t *testing.T) {
	zh := lifeline.Zh
	a := DefaultAdvice.Yellow.Zh
	one := statusPages([]string{"张*丰 黄码 4/6 08:00采样 阴性"}, []string{a}, zh)
	if len(one) != 1 || one[0] != "张*丰 黄码 4/6 08:00采样 阴性，请尽快做核酸" {
		t.Fatalf("one yellow line: %q", one)
	}
	// Two lines that fill the segment between them: no room for advice.
	long := []string{"欧阳*华 黄码 4/6 08:00采样 阴性 截至4/7 20:30", "欧阳*明 绿码 4/6 08:00采样 阴性 截至4/7 20:30"}
	without := statusPages(long, nil, zh)
	with := statusPages(long, []string{a, ""}, zh)
	if len(with) != len(without) {
		t.Fatalf("advice changed the pages: %q, without %q", with, without)
	}
	for i := range with {
		if !FitsOne(with[i]) {
			t.Fatalf("page %d does not fit one segment: %q", i+1, with[i])
		}
		if strings.Contains(with[i], a) && !strings.HasPrefix(without[i], strings.Split(with[i], "，")[0]) {
			t.Fatalf("page %d: %q", i+1, with[i])
		}
	}
	// Many people: the pages advice is added to are the same pages.
	var lines, advice []string
	for i := 0; i < 6; i++ {
		lines = append(lines, "王*"+strings.Repeat("码", i%3)+" 红码 无核酸记录")
		advice = append(advice, DefaultAdvice.Red.Zh)
	}
	plain, advised := statusPages(lines, nil, zh), statusPages(lines, advice, zh)
	if len(plain) != len(advised) {
		t.Fatalf("%d pages with advice, %d without", len(advised), len(plain))
	}
	some := false
	for i := range plain {
		if strings.Count(plain[i], "\n") != strings.Count(advised[i], "\n") || !FitsOne(advised[i]) {
			t.Fatalf("page %d: %q, without advice %q", i+1, advised[i], plain[i])
		}
		some = some || strings.Contains(advised[i], "社区会联系您")
	}
	if !some {
		t.Fatalf("no page had room for the advice: %q", advised)
	}
}

// TestWhoLabelsTellAlikeNamesApart: two people whose masked names are
// alike are told apart by what the phone's holder calls them, or by their
// documents' last two characters when that is alike too; others stay as
// they are, and stored control characters are escaped.
func TestWhoLabelsTellAlikeNamesApart(t *testing.T) {
	p := func(name string, sex lifeline.Sex, tie lifeline.PhoneTie) *lifeline.Resident {
		return &lifeline.Resident{Name: name, Sex: sex, Tie: tie}
	}
	cases := []struct {
		people []*lifeline.Resident
		want   string
	}{
		{[]*lifeline.Resident{p("王芳", lifeline.Female, lifeline.PhoneTie{Relation: "子女", DocTail: "21"}), p("王强", lifeline.Male, lifeline.PhoneTie{Relation: "子女", DocTail: "35"})},
			"王*(母亲) 王*(父亲)"},
		{[]*lifeline.Resident{p("王芳", lifeline.Female, lifeline.PhoneTie{Own: true, DocTail: "21"}), p("王丽", lifeline.Female, lifeline.PhoneTie{Relation: "兄弟姐妹", DocTail: "4X"})},
			"王*(本人) 王*(姐妹)"},
		// A couple sharing one handset: both the phone's own.
		{[]*lifeline.Resident{p("王芳", lifeline.Female, lifeline.PhoneTie{Own: true, DocTail: "21"}), p("王强", lifeline.Male, lifeline.PhoneTie{Own: true, DocTail: "35"})},
			"王*(尾号21) 王*(尾号35)"},
		{[]*lifeline.Resident{p("王芳", lifeline.Female, lifeline.PhoneTie{Own: true}), p("李强", lifeline.Male, lifeline.PhoneTie{Relation: "配偶"})},
			"王* 李*"},
		{[]*lifeline.Resident{p("\x1b王芳", lifeline.Female, lifeline.PhoneTie{Own: true})}, `\x1b*芳`},
	}
	for _, c := range cases {
		if got := strings.Join(whoLabels(c.people, lifeline.Zh), " "); got != c.want {
			t.Errorf("whoLabels = %q, want %q", got, c.want)
		}
	}
	en := whoLabels(cases[0].people, lifeline.En)
	if strings.Join(en, " ") != "王*(mother) 王*(father)" {
		t.Errorf("English: %q", en)
	}
}
