package sms

import (
	"strings"
	"testing"
	"unicode/utf8"

	lifeline "github.com/lifeline-health/lifeline"
)

func TestParse(t *testing.T) {
	zh, en := lifeline.Zh, lifeline.En
	cases := []struct {
		in   string
		kind Kind
		page int
		lang lifeline.Lang
	}{
		{"查询", KindStatus, 1, zh},
		{"查詢", KindStatus, 1, zh},
		{" 查 询 。", KindStatus, 1, zh},
		{"CX", KindStatus, 1, zh},
		{"cx", KindStatus, 1, zh},
		{"ｃｘ", KindStatus, 1, zh},
		{"1", KindStatus, 1, zh},
		{"１", KindStatus, 1, zh},
		{"STATUS", KindStatus, 1, en},
		{"Status!", KindStatus, 1, en},
		{"ＳＴＡＴＵＳ", KindStatus, 1, en},
		{"s t a t u s", KindStatus, 1, en},
		{"2", KindStatus, 2, zh},
		{"９", KindStatus, 9, zh},
		{"帮助", KindHelp, 0, zh},
		{"幫助", KindHelp, 0, zh},
		{"bz", KindHelp, 0, zh},
		{"?", KindHelp, 0, zh},
		{"？？", KindHelp, 0, zh},
		{"HELP", KindHelp, 0, en},
		{"help.", KindHelp, 0, en},
		{"离线码", KindCode, 0, zh},
		{"離線碼", KindCode, 0, zh},
		{"「离线码」", KindCode, 0, zh},
		{"CODE", KindCode, 0, en},
		{"code ", KindCode, 0, en},
		{"退订", KindStop, 0, zh},
		{"退訂", KindStop, 0, zh},
		{"TD", KindStop, 0, zh},
		{"t", KindStop, 0, zh},
		{"STOP", KindStop, 0, en},
		{"stop\n", KindStop, 0, en},
		{"订阅", KindStart, 0, zh},
		{"訂閱", KindStart, 0, zh},
		{"START", KindStart, 0, en},
		{"Start", KindStart, 0, en},
		{"", KindUnknown, 0, zh},
		{"你好", KindUnknown, 0, zh},
		{"hello", KindUnknown, 0, en},
		{"查询 status", KindStatus, 1, zh},
		{"110105194912310021", KindUnknown, 0, zh},
		{"11010519491231002X", KindUnknown, 0, zh},
		{"10", KindUnknown, 0, zh},
		{"0", KindUnknown, 0, zh},
		{"stopped", KindUnknown, 0, en},
	}
	for _, c := range cases {
		got := Parse(c.in)
		if got.Kind != c.kind || got.Page != c.page || got.Lang != c.lang {
			t.Errorf("Parse(%q) = %v page %d %s, want %v page %d %s", c.in, got.Kind, got.Page, got.Lang, c.kind, c.page, c.lang)
		}
	}
}

// TestParseRealPhrasings is what elderly texters and their children
// actually send, from a mainland number (+86) and from abroad: each must
// get the answer its sender wants, in the language they read.
func TestParseRealPhrasings(t *testing.T) {
	const mainland, abroad = "+8613800000001", "+447700900123"
	zh, en := lifeline.Zh, lifeline.En
	cases := []struct {
		from, in string
		kind     Kind
		lang     lifeline.Lang
	}{
		{mainland, "查健康码", KindStatus, zh},
		{mainland, "查一下", KindStatus, zh},
		{mainland, "查询查询", KindStatus, zh},
		{mainland, "健康码", KindStatus, zh},
		{mainland, "我的码", KindStatus, zh},
		{mainland, "我的码是什么颜色", KindStatus, zh},
		{mainland, "帮我查查", KindStatus, zh},
		{mainland, "请问我的核酸结果出了吗？", KindStatus, zh},
		{mainland, "查詢健康碼", KindStatus, zh},
		{mainland, "chaxun", KindStatus, zh},
		{mainland, "Chaxun", KindStatus, zh},
		{mainland, "cha xun", KindStatus, zh},
		{mainland, "chaxun yixia", KindStatus, zh},
		{mainland, "cx", KindStatus, zh},
		{mainland, "CX ", KindStatus, zh},
		{mainland, "我要离线码", KindCode, zh},
		{mainland, "申请纸质码", KindCode, zh},
		{mainland, "查离线码", KindCode, zh},
		// A command word beside another is not guessed: the help lists
		// them.
		{mainland, "我要退订", KindUnknown, zh},
		{mainland, "取消订阅", KindUnknown, zh},
		{mainland, "退订查询", KindUnknown, zh},
		{mainland, "帮助查询", KindUnknown, zh},
		{mainland, "你好", KindUnknown, zh},
		{mainland, "谢谢", KindUnknown, zh},
		// ASCII that is no English command, from a mainland number: the
		// Chinese help, not the English one.
		{mainland, "nihao", KindUnknown, zh},
		{mainland, "ok", KindUnknown, zh},
		{mainland, "hello", KindUnknown, zh},
		{mainland, "110105194912310021", KindUnknown, zh},
		// English commands stay English whoever sends them.
		{mainland, "STATUS", KindStatus, en},
		{mainland, "help", KindHelp, en},
		{mainland, "stop", KindStop, en},
		{abroad, "hello", KindUnknown, en},
		{abroad, "what is this", KindUnknown, en},
		{abroad, "status", KindStatus, en},
		{abroad, "查健康码", KindStatus, zh},
		{"", "hello", KindUnknown, en},
	}
	for _, c := range cases {
		got := ParseFrom(c.in, c.from)
		if got.Kind != c.kind || got.Lang != c.lang {
			t.Errorf("ParseFrom(%q, %s) = %v %s, want %v %s", c.in, c.from, got.Kind, got.Lang, c.kind, c.lang)
		}
		if (got.Kind == KindStatus) != (got.Page == 1) && got.Kind == KindStatus {
			t.Errorf("ParseFrom(%q): status page %d, want 1", c.in, got.Page)
		}
	}
}

// toFullWidth turns printable ASCII into its full-width form, as a Chinese
// input method in full-width mode types it.
func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r < 0x7f {
			r += 0xFF01 - '!'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// FuzzParse checks what must hold for any message: Parse never panics,
// always picks a language, pages only status, and is not swayed by the
// spaces, punctuation and full-width forms people add.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"查询", "CX", "1", "2", "status", "帮助", "?", "離線碼", "CODE", "退订", "TD", "STOP", "订阅", "START", "", "你好", "110105194912310021", "\x00\xff", "ＳＴＯＰ", "查健康码", "我要离线码", "chaxun"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Parse(s)
		if c.Lang != lifeline.Zh && c.Lang != lifeline.En {
			t.Fatalf("Parse(%q): language %q", s, c.Lang)
		}
		if (c.Kind == KindStatus) != (c.Page >= 1 && c.Page <= 9) || (c.Kind != KindStatus && c.Page != 0) {
			t.Fatalf("Parse(%q): kind %v with page %d", s, c.Kind, c.Page)
		}
		if c.Kind.String() == "" {
			t.Fatalf("Parse(%q): unnamed kind", s)
		}
		if !utf8.ValidString(s) {
			return
		}
		if d := Parse(" " + s + " 。！ "); d.Kind != c.Kind || d.Page != c.Page || d.Lang != c.Lang {
			t.Fatalf("padding changed Parse(%q) from %+v to %+v", s, c, d)
		}
		if d := Parse(toFullWidth(s)); d.Kind != c.Kind || d.Page != c.Page {
			t.Fatalf("full width changed Parse(%q) from %+v to %+v", s, c, d)
		}
	})
}

// TestCommandEncoding: what the inbound log keeps of a command reads back
// as the same command; what earlier versions kept, and anything else,
// reads as something the answerer can answer.
func TestCommandEncoding(t *testing.T) {
	for _, body := range []string{"查询", "2", "9", "STATUS", "帮助", "help", "离线码", "code", "退订", "STOP", "订阅", "start", "你好", "what"} {
		c := Parse(body)
		if got := DecodeCommand(c.Encode()); got != c {
			t.Errorf("%q: %+v encoded %q reads back as %+v", body, c, c.Encode(), got)
		}
	}
	for _, c := range []struct {
		stored string
		want   Command
	}{
		{"status", Command{Kind: KindStatus, Page: 1, Lang: lifeline.Zh}},
		{"code", Command{Kind: KindCode, Lang: lifeline.Zh}},
		{"", Command{Kind: KindUnknown, Lang: lifeline.Zh}},
		{"status/99/xx", Command{Kind: KindStatus, Page: 1, Lang: lifeline.Zh}},
		{"stop/3/en", Command{Kind: KindStop, Lang: lifeline.En}},
	} {
		if got := DecodeCommand(c.stored); got != c.want {
			t.Errorf("DecodeCommand(%q) = %+v, want %+v", c.stored, got, c.want)
		}
	}
}

func FuzzDecodeCommand(f *testing.F) {
	for _, s := range []string{"status/2/zh", "help/0/en", "status", "", "/", "code//"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := DecodeCommand(s)
		if c.Kind == KindStatus && (c.Page < 1 || c.Page > 9) || c.Kind != KindStatus && c.Page != 0 {
			t.Fatalf("%q reads as %+v", s, c)
		}
		if again := DecodeCommand(c.Encode()); again != c {
			t.Fatalf("%q: %+v does not read back: %+v", s, c, again)
		}
	})
}
