package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/cmdline"
)

// synopses are the usage lines help shows, by command (and verb: "keys
// new"); a command without one is "lifeline NAME [flags]".
var synopses = map[string]lifeline.Text{
	"code":   lifeline.T("lifeline code --resident 证件号码 [参数]", "lifeline code --resident DOCUMENT [flags]"),
	"find":   lifeline.T("lifeline find [--json] [--limit N] [--reveal] 查询内容\n查询内容：姓名或其中几个字、完整证件号码或末 4-6 位、完整手机号或末 4 位、门牌号如 12-3-501", "lifeline find [--json] [--limit N] [--reveal] QUERY\nQUERY: a name or part of it, a full document number or its last 4-6 characters, a full phone number or its last 4 digits, or an address such as 12-3-501"),
	"import": lifeline.T("lifeline import [--dry-run] [--skip-invalid --rejects 文件] [--encoding 编码] 文件...", "lifeline import [--dry-run] [--skip-invalid --rejects FILE] [--encoding ENC] FILE..."),
	"keys": lifeline.T("lifeline keys new [--not-before 时间] [--not-after 时间]\n      lifeline keys list\n      lifeline keys export --out 文件 [--unsigned]\n      lifeline keys root new\n      lifeline keys root export --out root.pub [--qr 文件.png]\n（lifeline keys new --help 等查看各自的参数）",
		"lifeline keys new [--not-before TIME] [--not-after TIME]\n       lifeline keys list\n       lifeline keys export --out FILE [--unsigned]\n       lifeline keys root new\n       lifeline keys root export --out root.pub [--qr FILE.png]\n(lifeline keys new --help and so on for their flags)"),
	"print":       lifeline.T("lifeline print --out 文件.pdf (--resident 证件号码 | --household 户 | --building 楼 | --community 社区 | --from 清单) [参数]", "lifeline print --out FILE.pdf (--resident DOC | --household ID | --building B | --community C | --from LIST) [flags]"),
	"revocations": lifeline.T("lifeline revocations export --out 文件 [--since 版本]", "lifeline revocations export --out FILE [--since VERSION]"),
	"revoke":      lifeline.T("lifeline revoke (--serial 序列号 | --resident 证件号码 | --key 密钥 --before 时间) [--reason 原因]", "lifeline revoke (--serial S | --resident DOC | --key KID --before TIME) [--reason R]"),
	"round":       lifeline.T("lifeline round new --community 社区 [--building 楼...] --by 时间 [--pool 10|20|1]\n      lifeline round missing [--round 轮次 [--building 楼] [--out 名单.xlsx|名单.pdf] [--reveal]]", "lifeline round new --community C [--building B...] --by TIME [--pool 10|20|1]\n       lifeline round missing [--round R [--building B] [--out missing.xlsx|missing.pdf] [--reveal]]"),
	"sms":         lifeline.T("lifeline sms send --url 地址 --from 手机号 内容\n      lifeline sms call --url 地址 --from 电话 [--digits 按键]", "lifeline sms send --url URL --from PHONE TEXT\n       lifeline sms call --url URL --from PHONE [--digits KEYS]"),
	"staff":       lifeline.T("lifeline staff add --user 用户名 --community 社区 [--admin] [--password-stdin]\n      lifeline staff list | disable | enable | remove | unlock | password --user 用户名\n      lifeline staff key add|list|remove --user 用户名 [--key 公钥] [--fingerprint 指纹]", "lifeline staff add --user USER --community COMMUNITY [--admin] [--password-stdin]\n       lifeline staff list | disable | enable | remove | unlock | password --user USER\n       lifeline staff key add|list|remove --user USER [--key KEY] [--fingerprint FP]"),
	"verify":      lifeline.T("lifeline verify [--root root.pub] [--trust trust.cose] [--revoked 吊销列表...] [--at 时间] [--json] [码...]", "lifeline verify [--root root.pub] [--trust trust.cose] [--revoked FILE...] [--at TIME] [--json] [PAYLOAD...]"),
	"version":     lifeline.T("lifeline version", "lifeline version"),
}

// synopsis is the usage line of a command or verb (a verb of a command
// with only one has the command's).
func (a *App) synopsis(name string) string {
	if s, ok := synopses[name]; ok {
		return s.In(a.Lang)
	}
	if s, ok := synopses[strings.Fields(name)[0]]; ok && !strings.Contains(s.Zh, "\n") {
		return s.In(a.Lang)
	}
	return fmt.Sprintf(a.T("lifeline %s [参数]", "lifeline %s [flags]"), name)
}

// wantsHelp reports whether a command with verbs (keys, staff, …) was
// asked for its help, having printed it: lifeline keys --help.
func (a *App) wantsHelp(name string, args []string) bool {
	if len(args) == 0 || !slices.Contains([]string{"-h", "-help", "--help", "help"}, args[0]) {
		return false
	}
	fmt.Fprintln(a.Stdout, a.T("用法：", "usage: ")+a.synopsis(name))
	return true
}

// runHelp is lifeline help [COMMAND [VERB]]: the list of commands, or one
// command's help, as COMMAND --help shows it.
func runHelp(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 {
		printUsage(app, app.Stdout)
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, app, append(args[1:len(args):len(args)], "--help"))
		}
	}
	return app.usagef("没有“%s”这个命令。运行 lifeline help 查看全部命令。", "unknown command %q; run lifeline help to see them all.", args[0])
}

// printUsage lists the commands and the global flags.
func printUsage(app *App, w io.Writer) {
	fmt.Fprintln(w, app.T("用法：lifeline [--db 路径] [--lang zh|en] 命令 [参数]", "usage: lifeline [--db PATH] [--lang zh|en] COMMAND [ARGS]"))
	fmt.Fprintln(w)
	rows := make([][2]string, 0, len(commands))
	for _, c := range commands {
		rows = append(rows, [2]string{c.name, c.summary.In(app.Lang)})
	}
	cmdline.WriteRows(w, rows)
	fmt.Fprintln(w)
	fmt.Fprintln(w, app.T("全局参数（放在命令前后均可）：", "global flags (before or after the command):"))
	cmdline.WriteRows(w, [][2]string{
		{app.T("--db 路径", "--db PATH"), app.T("数据库：SQLite 文件或 postgres:// 地址（默认 lifeline.db；环境变量 LIFELINE_DB）", "the store: a SQLite file or a postgres:// URL (default lifeline.db; env LIFELINE_DB)")},
		{"--lang zh|en", app.T("提示和错误的语言（默认中文；环境变量 LIFELINE_LANG）", "the language of messages (default Chinese; env LIFELINE_LANG)")},
		{"--help", app.T("显示帮助；lifeline help 命令 或 命令 --help 显示该命令的参数", "show this; lifeline help COMMAND or COMMAND --help shows a command's flags")},
		{"--version", app.T("显示版本", "show the version")},
	})
}

// version is set when a release is built (go build -ldflags "-X
// main.version=1.4.0"); otherwise the build's own information says what it
// can: the module's version, or the commit it was built from.
var version string

// runVersion prints the version and the Go release.
func runVersion(ctx context.Context, app *App, args []string) error {
	if err := app.parse(app.newFlagSet("version"), args); err != nil {
		return err
	}
	fmt.Fprintln(app.Stdout, cmdline.Version("lifeline", version))
	return nil
}

// flagError turns a mistake in a command line into a usage error (exit
// status 2) that says where to read the flags, and help into the command's
// help on standard output.
func (a *App) flagError(fs *flag.FlagSet, err error) error {
	name := strings.TrimPrefix(fs.Name(), "lifeline ")
	if errors.Is(err, flag.ErrHelp) {
		cmdline.WriteHelp(a.Stdout, a.synopsis(name), fs, a.Lang)
		return err
	}
	var e *cmdline.Error
	if errors.As(err, &e) {
		return &usageError{msg: e.Message.In(a.Lang) + a.T("。运行 lifeline help "+name+" 查看全部参数。", "; run lifeline help "+name+" for its flags.")}
	}
	return err
}
