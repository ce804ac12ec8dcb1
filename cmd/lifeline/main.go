// Command lifeline is the one binary: the staff screen, the SMS gateway,
// imports, paper codes and their verifier, over one store. Each
// subcommand parses its flags, calls the domain or the store, and prints;
// the rules live below it.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/cmdline"
)

// command is one subcommand.
type command struct {
	name    string
	summary lifeline.Text
	run     func(ctx context.Context, app *App, args []string) error
}

// commands is every subcommand, in the order help lists them.
var commands = []command{
	{"code", lifeline.T("为一位居民签发离线码并打印其内容", "issue an offline code for one resident and print its payload"), runCode},
	{"demo", lifeline.T("一条命令试用：生成演示数据、账号和密钥，启动本地短信网关并打开工作人员界面", "try it in one command: demo data, login and key, a local SMS gateway, then the staff screen"), runDemo},
	{"find", lifeline.T("按姓名、证件号、手机号或门牌号查找居民", "find residents by name, document, phone or address"), runFind},
	{"import", lifeline.T("导入花名册或健康码、核酸结果（CSV、XLSX）", "import rosters or code colours and test results (CSV, XLSX)"), runImport},
	{"keys", lifeline.T("离线码密钥：new 新建、list 列出、export 导出签名的信任列表、root new|export 根密钥", "offline code keys: new, list, export the signed trust list, root new|export the root key"), runKeys},
	{"print", lifeline.T("打印纸质离线码：一人、一户、一栋楼或整个社区", "print paper offline codes: one person, a household, a building or a whole community"), runPrint},
	{"revocations", lifeline.T("导出由根密钥签名的吊销列表：revocations export --out 文件 [--since 版本]", "export the revocation list signed by the root key: revocations export --out FILE [--since VERSION]"), runRevocations},
	{"revoke", lifeline.T("吊销离线码：一张（--serial）、一人的全部（--resident）或某密钥在某时间前签发的全部（--key --before）", "revoke offline codes: one (--serial), all of a resident's (--resident), or all a key signed before a time (--key --before)"), runRevoke},
	{"round", lifeline.T("检测轮次：new 开启，missing 进度及未采样名单（xlsx/pdf）", "testing rounds: new, missing (progress, and who is not sampled yet as xlsx or pdf)"), runRound},
	{"seed", lifeline.T("生成演示用的居民数据（可重复）", "generate demo residents (reproducible)"), runSeed},
	{"serve", lifeline.T("运行短信网关（Twilio 短信回调与通知发送）", "run the SMS gateway (Twilio webhooks and outbound notifications)"), runServe},
	{"sms", lifeline.T("扮演 Twilio 向网关发短信或打电话：lifeline sms send --url 地址 --from 手机号 内容，lifeline sms call --url 地址 --from 电话", "play Twilio and text or call the gateway: lifeline sms send --url URL --from PHONE TEXT, lifeline sms call --url URL --from PHONE"), runSMS},
	{"staff", lifeline.T("管理工作人员账号：add、list、disable、enable、remove、password、unlock、key add|list|remove", "manage staff accounts: add, list, disable, enable, remove, password, unlock, key add|list|remove"), runStaff},
	{"tui", lifeline.T("社区工作人员终端界面：查找、打印、现场登记、亲属、验码（--ssh-addr 通过 SSH 提供）", "the staff screen: find, print, on-site registration, relatives, code checks (over SSH with --ssh-addr)"), runTUI},
	{"upstream", lifeline.T("与市级平台对接：上送现场登记，接收推送的检测结果", "connect to the city platform: deliver on-site registrations, take pushed results"), runUpstream},
	{"verify", lifeline.T("离线核验纸质码（无需网络）；不给码时从标准输入逐行读取（扫码枪）", "check paper codes offline; with no code given, reads one per line from standard input (a barcode scanner)"), runVerify},
	{"version", lifeline.T("显示版本", "print the version"), runVersion},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: it parses global flags, runs one
// subcommand and turns its error into one sentence and an exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := &App{Stdin: stdin, Stdout: stdout, Stderr: stderr}
	app.Lang, _ = lifeline.ParseLang(os.Getenv("LIFELINE_LANG"))
	args, err := app.global(args)
	if err != nil {
		return report(app, err)
	}
	if len(args) == 0 {
		printUsage(app, stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		// Not a row of the table: it reads the table.
		return report(app, runHelp(ctx, app, args[1:]))
	case "-version", "--version":
		args[0] = "version"
	}
	for _, c := range commands {
		if c.name == args[0] {
			err = c.run(ctx, app, args[1:])
			if cerr := app.Close(); err == nil && cerr != nil {
				err = cerr
			}
			return report(app, err)
		}
	}
	fmt.Fprintf(stderr, app.T("没有“%s”这个命令。运行 lifeline help 查看全部命令。\n", "unknown command %q; run lifeline help to see them all.\n"), args[0])
	return 2
}

// global reads --db and --lang wherever they stand, and returns the other
// arguments in order.
func (a *App) global(args []string) ([]string, error) {
	g, rest, err := cmdline.Globals(args, "db", "lang")
	if err != nil {
		return nil, a.flagError(flag.NewFlagSet("lifeline", flag.ContinueOnError), err)
	}
	a.DBPath = cmp.Or(g["db"], os.Getenv("LIFELINE_DB"), "lifeline.db")
	a.dbGiven = g["db"] != "" || os.Getenv("LIFELINE_DB") != ""
	if lang, ok := g["lang"]; ok {
		if a.Lang, err = lifeline.ParseLang(lang); err != nil {
			return nil, a.usagef("--lang 的值“%s”无效：应为 zh 或 en", "invalid value %q for --lang: want zh or en", lang)
		}
	}
	return rest, nil
}

// report prints err as one sentence and returns the exit status.
func report(app *App, err error) int {
	if err == nil {
		return 0
	}
	var ue *usageError
	var ee *exitError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintln(app.Stderr, ue.msg)
		return 2
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(app.Stderr, app.T("已中断，未完成的操作没有写入。", "interrupted; nothing unfinished was written."))
		return 130
	}
	fmt.Fprintln(app.Stderr, lifeline.ErrorMessage(err, app.Lang))
	if os.Getenv("LIFELINE_DEBUG") != "" {
		fmt.Fprintln(app.Stderr, "debug:", err)
	}
	return 1
}
