// Command lifeline-bench measures lifeline against the limits of the
// machine it runs on and prints the ratios its targets are stated in:
//
//	go run ./cmd/lifeline-bench verify   # offline verification vs bare Ed25519
//	go run ./cmd/lifeline-bench print    # printing vs go-qrcode alone
//	go run ./cmd/lifeline-bench sms      # the real `lifeline serve` vs a bare net/http handler
//	go run ./cmd/lifeline-bench ssh      # 100 SSH sessions of the real `lifeline tui --ssh-addr` typing searches
//
// It is a command of its own so that the shipped lifeline binary carries
// no load generator and no profiler: the SMS benchmark builds the real
// lifeline and runs it as a child process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	lifeline "github.com/lifeline-health/lifeline"
)

// benchmark is one subcommand.
type benchmark struct {
	name    string
	summary lifeline.Text
	run     func(ctx context.Context, b *Bench, args []string) error
}

// benchmarks is every benchmark, in the order usage lists them.
var benchmarks = []benchmark{
	{"print", lifeline.T("批量打印：端到端速率与仅 go-qrcode 的比值、内存", "batch printing: end-to-end rate against go-qrcode alone, memory"), runPrint},
	{"ssh", lifeline.T("SSH 上的工作人员界面：多个会话同时输入查找时每次按键的延迟，每个会话的内存", "the staff screen over SSH: per-keystroke latency with many sessions typing searches at once, memory per session"), runSSH},
	{"sms", lifeline.T("短信网关：收下一条短信的 CPU 与空白 net/http 处理器之比、全程、10 倍过载下的处理器 p99、收下即作答、发件箱排空", "SMS gateway: CPU to take in a text against a bare net/http handler, the whole path, handler p99 at 10x overload, accepted = answered, the outbox drain"), runSMS},
	{"verify", lifeline.T("离线核验：与裸 Ed25519 之比；吊销列表的大小与载入时间", "offline verification against bare Ed25519; the revocation list's size and load time"), runVerify},
}

// Bench is what every benchmark gets: the language and the output.
type Bench struct {
	Lang   lifeline.Lang
	Stdout io.Writer
	Stderr io.Writer
}

// T picks the message for the language.
func (b *Bench) T(zh, en string) string { return b.Lang.Pick(zh, en) }

// say prints a message in the language to standard output.
func (b *Bench) say(zh, en string, args ...any) { fmt.Fprintf(b.Stdout, b.T(zh, en), args...) }

// usageError is a bad command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func (b *Bench) usagef(zh, en string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(b.T(zh, en), args...)}
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func (b *Bench) newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("lifeline-bench "+name, flag.ContinueOnError)
	fs.SetOutput(b.Stderr)
	return fs
}

// parse parses a benchmark's flags; a mistake, which the flag package has
// already explained, is a usage error.
func parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return &usageError{}
	}
	return err
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := &Bench{Stdout: stdout, Stderr: stderr}
	global := flag.NewFlagSet("lifeline-bench", flag.ContinueOnError)
	global.SetOutput(stderr)
	lang := global.String("lang", os.Getenv("LIFELINE_LANG"), "language for messages: zh or en (env LIFELINE_LANG)")
	global.Usage = func() { usage(b) }
	if err := global.Parse(args); err != nil {
		return 2
	}
	var err error
	if b.Lang, err = lifeline.ParseLang(*lang); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	args = global.Args()
	if len(args) == 0 {
		usage(b)
		return 2
	}
	for _, bm := range benchmarks {
		if bm.name == args[0] {
			return report(b, bm.run(ctx, b, args[1:]))
		}
	}
	usage(b)
	fmt.Fprintf(stderr, b.T("未知的性能测试“%s”\n", "unknown benchmark %q\n"), args[0])
	return 2
}

// report prints err and returns the exit status.
func report(b *Bench, err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		if ue.msg != "" {
			fmt.Fprintln(b.Stderr, ue.msg)
		}
		return 2
	case errors.Is(err, context.Canceled):
		return 130
	}
	fmt.Fprintln(b.Stderr, lifeline.ErrorMessage(err, b.Lang))
	// The benchmark is an engineer's tool: an error of no known kind says
	// what it was, where lifeline itself would only say "internal error".
	if lifeline.ErrorCode(err) == lifeline.EINTERNAL || os.Getenv("LIFELINE_DEBUG") != "" {
		fmt.Fprintln(b.Stderr, "debug:", err)
	}
	return 1
}

func usage(b *Bench) {
	fmt.Fprintln(b.Stderr, b.T("用法：lifeline-bench [--lang zh|en] 名称 [参数]，名称为：", "usage: lifeline-bench [--lang zh|en] NAME [flags], where NAME is one of:"))
	for _, bm := range benchmarks {
		fmt.Fprintf(b.Stderr, "  %-8s %s\n", bm.name, bm.summary.In(b.Lang))
	}
}
