package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/cmdline"
	"github.com/lifeline-health/lifeline/store"
)

// App is what every subcommand gets: global flags, standard streams and the
// store, opened on first use.
type App struct {
	DBPath string
	// dbGiven: --db or LIFELINE_DB named the store, rather than the
	// default lifeline.db.
	dbGiven bool
	Lang    lifeline.Lang
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer

	db *store.DB
	// creates: the command makes the store when there is none (import,
	// seed, staff add, demo). Every other command only opens one: a
	// command that reads must not answer from a new, empty store.
	creates bool
}

// open opens the store named by --db on first use. The concrete store
// stays here: commands get lifeline.Store, or one of the small interfaces
// below for what only some of them need.
func (a *App) open(ctx context.Context) (*store.DB, error) {
	if a.db != nil {
		return a.db, nil
	}
	open := store.OpenExisting
	if a.creates {
		open = store.Open
	}
	db, err := open(ctx, a.DBPath)
	if lifeline.ErrorCode(err) == lifeline.ENOTFOUND {
		return nil, lifeline.Wrapf(lifeline.ENOTFOUND, err, lifeline.T(
			lifeline.ErrorMessage(err, lifeline.Zh)+"（请用 --db 指定，如 --db demo.db，或设置 LIFELINE_DB）",
			lifeline.ErrorMessage(err, lifeline.En)+" (use --db demo.db or LIFELINE_DB)"))
	}
	if err != nil {
		return nil, err
	}
	for _, w := range db.Warnings() {
		fmt.Fprintln(a.Stderr, w.In(a.Lang))
	}
	a.db = db
	return db, nil
}

// Store opens the store named by --db on first use.
func (a *App) Store(ctx context.Context) (lifeline.Store, error) {
	db, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	return db, nil
}

// streamImporter is the store's bulk path, which import takes: the rows of
// a file are written while the rest is still being parsed, in one
// transaction, and the documents and tubes of results rows are checked in
// bulk.
type streamImporter interface {
	ImportStream(ctx context.Context, expected int, residents <-chan []lifeline.Resident, finish func() (*lifeline.ImportBatch, error)) (lifeline.ImportStats, error)
	KnownDocuments(ctx context.Context, docs []lifeline.Document) (map[string]bool, error)
	KnownTubes(ctx context.Context, codes []string) (map[string]bool, error)
}

// importer opens the store for import.
func (a *App) importer(ctx context.Context) (streamImporter, error) {
	db, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	return db, nil
}

// gatewayStore is what the SMS gateway and the platform link need beyond
// lifeline.Store: the status read of a texting phone, the delivery lease
// replicas share, and the MessageSids already answered, read before the
// first message comes.
type gatewayStore interface {
	lifeline.Store
	lifeline.LeaseService
	StatusByPhone(ctx context.Context, phone string) ([]*lifeline.Resident, error)
	LoadInboundLog(ctx context.Context) error
}

// gateway opens the store for serve, upstream and demo.
func (a *App) gateway(ctx context.Context) (gatewayStore, error) {
	db, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	return db, nil
}

// reservePageCache readies the process for writing about rows residents
// to a SQLite store (see store.ReservePageCache). Called before the store
// is opened: SQLite takes it only before it starts, so a store opened
// earlier in the process, as in tests, leaves the writing as it was.
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

// newFlagSet returns a flag set for a command or verb ("keys new"),
// parsed with parse or args.
func (a *App) newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("lifeline "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // cmdline words every mistake, in the reader's language
	return fs
}

// parse parses a command's flags and refuses arguments left over.
func (a *App) parse(fs *flag.FlagSet, args []string) error {
	rest, err := a.args(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return a.usagef("多余的参数：%s", "unexpected arguments: %s", strings.Join(rest, " "))
	}
	return nil
}

// args parses a command's flags, which may come before, between or after
// its other arguments (lifeline import roster.csv --dry-run), and returns
// those.
func (a *App) args(fs *flag.FlagSet, args []string) ([]string, error) {
	rest, err := cmdline.Parse(fs, args, true)
	if err != nil {
		return nil, a.flagError(fs, err)
	}
	return rest, nil
}
