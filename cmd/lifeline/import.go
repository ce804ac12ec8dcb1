package main

import (
	"context"
	"fmt"
	"io"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"github.com/lifeline-health/lifeline/outfile"
	"github.com/lifeline-health/lifeline/roster"
)

// importRun is one import: its flags, the files' parser, and what the
// parse found once it is done.
type importRun struct {
	app           *App
	dryRun, skip  bool
	rejects       string
	encoding      string
	files         []string
	p             *roster.Parser
	counts        roster.Counts
	knownDocument func(ctx context.Context, docs []lifeline.Document) (map[string]bool, error)
	knownTubes    func(ctx context.Context, codes []string) (map[string]bool, error)
}

func parseImport(app *App, args []string) (*importRun, error) {
	fs := app.newFlagSet("import")
	r := &importRun{app: app}
	fs.BoolVar(&r.dryRun, "dry-run", false, app.T("只检查并报告，不写入", "check and report, write nothing"))
	fs.BoolVar(&r.skip, "skip-invalid", false, app.T("跳过有错误的行，导入其余的行（需要 --rejects）", "skip bad rows and import the rest (needs --rejects)"))
	fs.StringVar(&r.encoding, "encoding", "", app.T("CSV 文件的`编码`，文件本身无法判断时使用，如 gb18030、big5、windows-1252（西欧）", "the CSV files' `ENCODING`, for when their bytes cannot tell: gb18030, big5, windows-1252 (Western European)…"))
	fs.StringVar(&r.rejects, "rejects", "", app.T("把有错误的行写入此 CSV `文件`，便于在 Excel 中修正", "write bad rows to this CSV `FILE`, to fix in Excel"))
	var err error
	if r.files, err = app.args(fs, args); err != nil {
		return nil, err
	}
	if len(r.files) == 0 {
		return nil, app.usagef("请给出要导入的文件：lifeline import 花名册.csv", "name the files to import: lifeline import roster.csv")
	}
	if r.skip && r.rejects == "" {
		return nil, app.usagef("--skip-invalid 需要同时给出 --rejects 文件，错误的行不能丢弃", "--skip-invalid needs --rejects FILE: bad rows must not be thrown away")
	}
	if r.encoding != "" {
		if _, _, err := roster.Lookup(r.encoding); err != nil {
			return nil, app.usagef("%s", "%s", lifeline.ErrorMessage(err, app.Lang))
		}
	}
	if r.rejects != "" {
		// A folder or a link to nothing is refused before any row is read.
		if err := outfile.Check(r.rejects); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// runImport reads every file and recognises its tables first (a file that
// cannot be read or recognised stops it before the store is touched), then
// parses the rows on one core while the residents of the rows before are
// written on the other, all in one transaction committed only once every
// row is checked: a bad row anywhere, a crash or Ctrl-C leaves the store
// as it was.
func runImport(ctx context.Context, app *App, args []string) error {
	r, err := parseImport(app, args)
	if err != nil {
		return err
	}
	start := time.Now()
	r.p = roster.NewParser(roster.Options{Encoding: r.encoding})
	defer r.p.Close()
	for _, f := range r.files {
		if err := r.p.LoadFile(f); err != nil {
			return err
		}
	}
	app.reservePageCache(r.p.PendingWrites())
	app.creates = true
	db, err := app.importer(ctx)
	if err != nil {
		return err
	}
	r.knownDocument, r.knownTubes = db.KnownDocuments, db.KnownTubes
	ctx = lifeline.WithActor(ctx, auth.CommandLineActor(""))
	st, err := db.ImportStream(ctx, r.p.Pending(), r.parse(), func() (*lifeline.ImportBatch, error) { return r.finish(ctx) })
	if err != nil {
		return err
	}
	for _, line := range r.p.Report(st, r.dryRun, r.counts.Bad, r.files, time.Since(start), app.Lang) {
		fmt.Fprintln(app.Stdout, line)
	}
	return nil
}

// parse parses the loaded rows on a goroutine of its own, sending their
// residents on. With a bad row and no --skip-invalid nothing will be
// written: the writer is given no more, but the rows are still all
// parsed, so every problem is reported.
func (r *importRun) parse() <-chan []lifeline.Resident {
	residents := make(chan []lifeline.Resident, 4)
	go func() {
		defer close(residents)
		r.p.ParseLoaded(func(rs []lifeline.Resident, bad int) {
			if len(rs) > 0 && (bad == 0 || r.skip) {
				residents <- rs
			}
		})
	}()
	return residents
}

// finish runs once every row is parsed, before anything is committed: it
// reports the problems, writes the rejects, and gives the rest of the
// batch, or the error that rolls it all back.
func (r *importRun) finish(ctx context.Context) (*lifeline.ImportBatch, error) {
	app := r.app
	if err := r.p.Err(); err != nil {
		return nil, err
	}
	if err := r.p.CheckResidents(ctx, r.knownDocument); err != nil {
		return nil, err
	}
	if err := r.p.CheckTubes(ctx, r.knownTubes); err != nil {
		return nil, err
	}
	for _, pr := range r.p.Problems() {
		fmt.Fprintln(app.Stderr, pr.In(app.Lang))
	}
	r.counts = r.p.Counts()
	bad := r.counts.Bad
	if bad > 0 && r.rejects != "" && !r.dryRun {
		if err := outfile.Write(r.rejects, 0o600, func(w io.Writer) error { return r.p.WriteRejects(w, app.Lang) }); err != nil {
			return nil, err
		}
		fmt.Fprintf(app.Stderr, app.T("%d 行有错误，已写入 %s，修正后可直接再导入该文件。\n", "%d bad rows written to %s; fix them there and import that file.\n"), bad, r.rejects)
	}
	if bad > 0 && !r.skip {
		fmt.Fprintf(app.Stderr, app.T("共 %d 行有错误，未写入任何数据。请修正后重新导入，或用 --skip-invalid --rejects 文件 先导入正确的行。\n",
			"%d bad rows; nothing was written. Fix them and import again, or use --skip-invalid --rejects FILE to import the good rows now.\n"), bad)
		return nil, &exitError{code: 1}
	}
	// A dry run is the whole import, rolled back: it counts new, changed
	// and unchanged residents against what is stored now.
	b := r.p.Batch()
	b.DryRun = r.dryRun
	return b, nil
}
