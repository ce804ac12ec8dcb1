package cmdline

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

type flags struct {
	fs     *flag.FlagSet
	dry    *bool
	limit  *int
	out    *string
	expiry *time.Duration
}

func newFlags() *flags {
	fs := flag.NewFlagSet("lifeline test", flag.ContinueOnError)
	return &flags{
		fs:     fs,
		dry:    fs.Bool("dry-run", false, "check and report, write nothing"),
		limit:  fs.Int("limit", 20, "how many results at most"),
		out:    fs.String("out", "", "write to this `FILE`"),
		expiry: fs.Duration("validity", 0, "how long"),
	}
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		args        []string
		interleaved bool
		rest        []string
		dry         bool
		limit       int
		out         string
	}{
		{[]string{"--dry-run", "a.csv"}, false, []string{"a.csv"}, true, 20, ""},
		{[]string{"-limit=5", "--out", "x.pdf"}, false, nil, false, 5, "x.pdf"},
		{[]string{"a.csv", "--dry-run"}, false, []string{"a.csv", "--dry-run"}, false, 20, ""},
		{[]string{"a.csv", "--dry-run", "b.csv", "--limit", "3"}, true, []string{"a.csv", "b.csv"}, true, 3, ""},
		{[]string{"--dry-run=false", "--", "--limit"}, true, []string{"--limit"}, false, 20, ""},
		{[]string{"-", "张三"}, true, []string{"-", "张三"}, false, 20, ""},
	} {
		f := newFlags()
		rest, err := Parse(f.fs, c.args, c.interleaved)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if strings.Join(rest, "|") != strings.Join(c.rest, "|") || strings.Join(f.fs.Args(), "|") != strings.Join(c.rest, "|") ||
			*f.dry != c.dry || *f.limit != c.limit || *f.out != c.out {
			t.Errorf("%q: rest %q args %q dry %v limit %d out %q", c.args, rest, f.fs.Args(), *f.dry, *f.limit, *f.out)
		}
	}
}

func TestParseErrorsInBothLanguages(t *testing.T) {
	for _, c := range []struct {
		args   []string
		zh, en string
	}{
		{[]string{"--no-such-flag"}, "没有 --no-such-flag 这个参数", "unknown flag --no-such-flag"},
		{[]string{"--limit"}, "参数 --limit 需要一个值", "flag --limit needs a value"},
		{[]string{"--limit", "many"}, "--limit 的值“many”无效：应为整数", `invalid value "many" for --limit: want a whole number`},
		{[]string{"--validity=soon"}, "--validity 的值“soon”无效：应为时长", `invalid value "soon" for --validity: want a duration`},
		{[]string{"--dry-run=perhaps"}, "应为 true 或 false", "want true or false"},
		{[]string{"---x"}, "参数格式错误：---x", "bad flag syntax: ---x"},
	} {
		_, err := Parse(newFlags().fs, c.args, true)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Message.Zh, c.zh) || !strings.Contains(e.Message.En, c.en) {
			t.Errorf("%q: %v (%+v)", c.args, err, e)
		}
	}
	for _, h := range []string{"-h", "--help", "-help"} {
		if _, err := Parse(newFlags().fs, []string{"a.csv", h}, true); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%s: %v", h, err)
		}
	}
}

func TestWriteHelp(t *testing.T) {
	var zh, en bytes.Buffer
	WriteHelp(&zh, "lifeline test [--dry-run] 文件", newFlags().fs, lifeline.Zh)
	WriteHelp(&en, "lifeline test [--dry-run] FILE", newFlags().fs, lifeline.En)
	for _, want := range []string{"用法：lifeline test", "  --dry-run", "--limit N", "（默认 20）", "--out FILE", "--validity 时长"} {
		if !strings.Contains(zh.String(), want) {
			t.Errorf("Chinese help lacks %q:\n%s", want, zh.String())
		}
	}
	if strings.Contains(zh.String(), "default") {
		t.Errorf("English in the Chinese help:\n%s", zh.String())
	}
	for _, want := range []string{"usage: lifeline test", "(default 20)", "--validity DURATION"} {
		if !strings.Contains(en.String(), want) {
			t.Errorf("English help lacks %q:\n%s", want, en.String())
		}
	}
}

// FuzzParse: any command line is parsed or refused with a sentence in
// both languages, never a panic; what is left are arguments given.
func FuzzParse(f *testing.F) {
	f.Add("--dry-run\x00a.csv\x00--limit=3\x00--\x00-x")
	f.Add("--limit\x00--out")
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\x00")
		for _, interleaved := range []bool{false, true} {
			rest, err := Parse(newFlags().fs, args, interleaved)
			var e *Error
			switch {
			case err == nil:
				if len(rest) > len(args) {
					t.Fatalf("%q: more left (%q) than given", args, rest)
				}
			case errors.Is(err, flag.ErrHelp):
			case !errors.As(err, &e) || e.Message.Zh == "" || e.Message.En == "":
				t.Fatalf("%q: %v", args, err)
			}
		}
	})
}
