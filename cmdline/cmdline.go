// Package cmdline reads a command's flags and explains them in the
// reader's language. The flag package's own parser and help speak English
// only ("flag provided but not defined", "(default 20)"), and a worker who
// reads Chinese must understand why a command line was refused: Parse
// reads the same syntax (-x, --x, -x=v, --x v, -- ends the flags) and
// words every mistake as an Error in both languages, and WriteHelp writes a
// command's help with its defaults in the reader's words.
package cmdline

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/mattn/go-runewidth"

	lifeline "github.com/lifeline-health/lifeline"
)

// Error is a mistake in a command line, worded for a person: a command
// reports it and exits with status 2.
type Error struct {
	Message lifeline.Text
}

func (e *Error) Error() string { return e.Message.En }

func errorf(zh, en string, args ...any) *Error {
	return &Error{Message: lifeline.T(fmt.Sprintf(zh, args...), fmt.Sprintf(en, args...))}
}

// Parse parses args into fs as the flag package would, setting each flag
// with fs.Set, and returns the arguments that are not flags (also left in
// fs.Args). With interleaved, flags may follow them (lifeline import
// a.csv --dry-run); otherwise the first argument that is not a flag ends
// the flags. -h, -help and --help, unless fs defines them, return
// flag.ErrHelp; any other mistake is an *Error.
func Parse(fs *flag.FlagSet, args []string, interleaved bool) ([]string, error) {
	var rest []string
	for len(args) > 0 {
		a := args[0]
		if len(a) < 2 || a[0] != '-' {
			if !interleaved {
				break
			}
			rest, args = append(rest, a), args[1:]
			continue
		}
		args = args[1:]
		if a == "--" {
			rest = append(rest, args...)
			args = nil
			break
		}
		name := strings.TrimPrefix(a[1:], "-")
		if name == "" || name[0] == '-' || name[0] == '=' {
			return nil, errorf("参数格式错误：%s", "bad flag syntax: %s", a)
		}
		value, hasValue := "", false
		if i := strings.IndexByte(name, '='); i > 0 {
			name, value, hasValue = name[:i], name[i+1:], true
		}
		f := fs.Lookup(name)
		if f == nil {
			if name == "h" || name == "help" {
				return nil, flag.ErrHelp
			}
			return nil, errorf("没有 --%s 这个参数", "unknown flag --%s", name)
		}
		if isBool(f) {
			if !hasValue {
				value = "true"
			}
		} else if !hasValue {
			if len(args) == 0 {
				return nil, errorf("参数 --%s 需要一个值", "flag --%s needs a value", name)
			}
			value, args = args[0], args[1:]
		}
		if err := fs.Set(name, value); err != nil {
			return nil, invalid(f, value, err)
		}
	}
	rest = append(rest, args...)
	// The flag set's own parse, of no flags, makes Args and Parsed right.
	if err := fs.Parse(append([]string{"--"}, rest...)); err != nil {
		return nil, err
	}
	return rest, nil
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// invalid words a value a flag refused: what the flag wants, from the type
// of its value, or the flag's own sentence when it has one.
func invalid(f *flag.Flag, value string, err error) error {
	var le *lifeline.Error
	if errors.As(err, &le) {
		return &Error{Message: lifeline.T(
			fmt.Sprintf("--%s 的值“%s”无效：%s", f.Name, value, lifeline.ErrorMessage(err, lifeline.Zh)),
			fmt.Sprintf("invalid value %q for --%s: %s", value, f.Name, lifeline.ErrorMessage(err, lifeline.En)))}
	}
	want := lifeline.T("其他写法", "another form")
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case bool:
			want = lifeline.T("true 或 false", "true or false")
		case int, int64:
			want = lifeline.T("整数", "a whole number")
		case uint, uint64:
			want = lifeline.T("不小于 0 的整数", "a whole number, 0 or more")
		case float64:
			want = lifeline.T("数字", "a number")
		case time.Duration:
			want = lifeline.T("时长，如 90s、5m、2h", "a duration such as 90s, 5m or 2h")
		}
	}
	if want.Zh[0] < 0x80 {
		want.Zh = " " + want.Zh // 应为 true 或 false
	}
	return &Error{Message: lifeline.T(
		fmt.Sprintf("--%s 的值“%s”无效：应为%s", f.Name, value, want.Zh),
		fmt.Sprintf("invalid value %q for --%s: want %s", value, f.Name, want.En))}
}

// WriteHelp writes a command's help in l: the synopsis ("lifeline import
// [--dry-run] FILE..."), then every flag of fs with what it does and its
// default, aligned.
func WriteHelp(w io.Writer, synopsis string, fs *flag.FlagSet, l lifeline.Lang) {
	fmt.Fprintln(w, l.Pick("用法：", "usage: ")+synopsis)
	var rows [][2]string
	fs.VisitAll(func(f *flag.Flag) {
		rows = append(rows, [2]string{"--" + f.Name + valueName(f, l), usage(f, l)})
	})
	if len(rows) > 0 {
		fmt.Fprintln(w)
		WriteRows(w, rows)
	}
}

// WriteRows writes pairs of a name and what it means, indented, two
// columns aligned (see WriteTable).
func WriteRows(w io.Writer, rows [][2]string) {
	table := make([][]string, len(rows))
	for i, r := range rows {
		table[i] = []string{"", r[0], r[1]}
	}
	WriteTable(w, table)
}

// WriteTable prints rows as columns two spaces apart, measuring width in
// terminal cells so Chinese characters (two cells each) line up.
func WriteTable(w io.Writer, rows [][]string) {
	var widths []int
	for _, row := range rows {
		for i, c := range row {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], runewidth.StringWidth(c))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		b.Reset()
		for i, c := range row {
			if i == len(row)-1 {
				b.WriteString(c)
				break
			}
			b.WriteString(runewidth.FillRight(c, widths[i]))
			b.WriteString("  ")
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// Globals takes the flags named (--db, --lang) out of args wherever they
// stand, before or after the command, as --name value or --name=value,
// and returns their values and the other arguments in order. A -- ends
// the search.
func Globals(args []string, names ...string) (map[string]string, []string, error) {
	values := map[string]string{}
	var rest []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !strings.HasPrefix(args[i], "-") || !slices.Contains(names, name) {
			rest = append(rest, args[i])
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return nil, nil, errorf("参数 --%s 需要一个值", "flag --%s needs a value", name)
			}
			i++
			value = args[i]
		}
		values[name] = value
	}
	return values, rest, nil
}

// Version is the version line of a program built from this module:
// release when a release build set it, else the module's version, with
// the commit it was built from when the build recorded one, and the Go
// release.
func Version(program, release string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return program + " " + release
	}
	v := info.Main.Version
	if release != "" {
		v = release
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if rev != "" {
		v += " " + rev[:min(12, len(rev))] + modified
	}
	return program + " " + v + " " + info.GoVersion
}

// valueName is what a flag's value is called in help: the word in back
// quotes in its usage ("write bad rows to this `FILE`"), else a word for
// its type.
func valueName(f *flag.Flag, l lifeline.Lang) string {
	if isBool(f) {
		return ""
	}
	if name, _ := flag.UnquoteUsage(f); strings.Contains(f.Usage, "`") {
		return " " + name
	}
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case int, int64, uint, uint64, float64:
			return " N"
		case time.Duration:
			return l.Pick(" 时长", " DURATION")
		}
	}
	return l.Pick(" 值", " VALUE")
}

// usage is a flag's usage without back quotes, and its default unless that
// is the zero value, in l.
func usage(f *flag.Flag, l lifeline.Lang) string {
	_, u := flag.UnquoteUsage(f)
	def := f.DefValue
	switch {
	case def == "" || def == "0" || def == "false" || def == "0s":
		return u
	case isBool(f) && def == "true":
		def = l.Pick("是", "true")
	}
	return u + l.Pick("（默认 "+def+"）", " (default "+def+")")
}
