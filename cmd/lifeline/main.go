// Command lifeline is the one binary: the staff screen, the SMS gateway,
// imports, paper codes and their verifier, over one store.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
)

// command is one subcommand. Each lives in its own file and adds itself to
// commands from an init function, so subcommands are added without touching
// this file.
type command struct {
	name    string
	summary lifeline.Text
	run     func(ctx context.Context, app *App, args []string) error
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("lifeline: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// App is what every subcommand gets: global flags, standard streams and the
// store, opened on first use.
type App struct {
	DBPath string
	Lang   lifeline.Lang
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	db       *store.DB
	badFlags bool // a flag set failed to parse and already said why
}

// Store opens the store named by --db on first use.
func (a *App) Store(ctx context.Context) (*store.DB, error) {
	if a.db != nil {
		return a.db, nil
	}
	db, err := store.Open(ctx, a.DBPath)
	if err != nil {
		return nil, err
	}
	a.db = db
	return db, nil
}

// reservePageCache readies the process for writing about rows residents
// to a SQLite store (see store.ReservePageCache). Called before Store:
// SQLite takes it only before it starts, so a store opened earlier in the
// process, as in tests, leaves the writing as it was.
func (a *App) reservePageCache(rows int) {
	if !store.IsPostgres(a.DBPath) {
		store.ReservePageCache(rows)
	}
}

// Close closes whatever the App opened.
func (a *App) Close() error {
	if a.db != nil {
		return a.db.Close()
	}
	return nil
}

// T picks the message for the App's language.
func (a *App) T(zh, en string) string { return a.Lang.Pick(zh, en) }

// usageError is a mistake in how a command was called: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef reports a bad command line in the App's language.
func (a *App) usagef(zh, en string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(a.T(zh, en), args...)}
}

// exitError carries an exit status without a message (verify: 1 when any
// code is invalid, already reported).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// newFlagSet returns a flag set that reports errors instead of exiting.
func (a *App) newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("lifeline "+name, flag.ContinueOnError)
	fs.SetOutput(a.Stderr)
	// The flag package calls Usage when parsing fails, after printing what
	// was wrong: remember that, so the error is reported as a bad command
	// line (exit 2) rather than as an internal error.
	fs.Usage = func() {
		a.badFlags = true
		fmt.Fprintf(a.Stderr, a.T("用法：lifeline %s [参数]\n", "usage: lifeline %s [flags]\n"), name)
		fs.PrintDefaults()
	}
	return fs
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
	global := flag.NewFlagSet("lifeline", flag.ContinueOnError)
	global.SetOutput(stderr)
	dbDefault := os.Getenv("LIFELINE_DB")
	if dbDefault == "" {
		dbDefault = "lifeline.db"
	}
	langDefault := os.Getenv("LIFELINE_LANG")
	global.StringVar(&app.DBPath, "db", dbDefault, "store: a SQLite file path or a postgres:// URL (env LIFELINE_DB)")
	lang := global.String("lang", langDefault, "language for messages: zh or en (env LIFELINE_LANG)")
	global.Usage = func() { printUsage(app) }
	// Global flags may come before or after the subcommand name.
	args, err := splitGlobal(global, args)
	if err != nil {
		return 2
	}
	if app.Lang, err = lifeline.ParseLang(*lang); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(app)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, app.T("未知命令“%s”。运行 lifeline help 查看全部命令。\n", "unknown command %q; run lifeline help to see them all.\n"), args[0])
		return 2
	}
	err = cmd.run(ctx, app, args[1:])
	if cerr := app.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return report(app, err)
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
	case app.badFlags:
		return 2
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

// splitGlobal parses --db and --lang wherever they stand and returns the
// remaining arguments in order.
func splitGlobal(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest, globals []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name := strings.TrimLeft(a, "-")
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		if strings.HasPrefix(a, "-") && (name == "db" || name == "lang" || strings.HasPrefix(name, "db=") || strings.HasPrefix(name, "lang=")) {
			globals = append(globals, a)
			if !strings.Contains(name, "=") && i+1 < len(args) {
				globals = append(globals, args[i+1])
				i++
			}
			continue
		}
		rest = append(rest, a)
	}
	if err := fs.Parse(globals); err != nil {
		return nil, err
	}
	return rest, nil
}

func printUsage(app *App) {
	w := app.Stderr
	fmt.Fprintln(w, app.T("用法：lifeline [--db 路径] [--lang zh|en] 命令 [参数]", "usage: lifeline [--db PATH] [--lang zh|en] COMMAND [ARGS]"))
	fmt.Fprintln(w)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary.In(app.Lang))
	}
}
