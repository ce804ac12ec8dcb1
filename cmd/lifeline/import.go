package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/roster"
)

func init() {
	register(&command{
		name:    "import",
		summary: lifeline.T("导入花名册或健康码、核酸结果（CSV、XLSX）", "import rosters or code colours and test results (CSV, XLSX)"),
		run:     runImport,
	})
}

// runImport reads every file and recognises its tables first (a file that
// cannot be read or recognised stops it before the store is touched), then
// splits and parses the rows while writing them, in one transaction
// committed only once every row is checked, so a bad row, a crash or
// Ctrl-C leaves the store as it was.
func runImport(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("import")
	dryRun := fs.Bool("dry-run", false, app.T("只检查并报告，不写入", "check and report, write nothing"))
	skip := fs.Bool("skip-invalid", false, app.T("跳过有错误的行，导入其余的行（需要 --rejects）", "skip bad rows and import the rest (needs --rejects)"))
	rejects := fs.String("rejects", "", app.T("把有错误的行写入此 CSV 文件，便于在 Excel 中修正", "write bad rows to this CSV file, to fix in Excel"))
	fs.Usage = func() {
		app.badFlags = true
		fmt.Fprintln(app.Stderr, app.T("用法：lifeline import [--dry-run] [--skip-invalid --rejects 文件] 文件...", "usage: lifeline import [--dry-run] [--skip-invalid --rejects FILE] FILE..."))
		fs.PrintDefaults()
	}
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return app.usagef("请给出要导入的文件：lifeline import 花名册.csv", "name the files to import: lifeline import roster.csv")
	}
	if *skip && *rejects == "" {
		return app.usagef("--skip-invalid 需要同时给出 --rejects 文件，错误的行不能丢弃", "--skip-invalid needs --rejects FILE: bad rows must not be thrown away")
	}

	start := time.Now()
	p := roster.NewParser(roster.Options{})
	for _, f := range files {
		if err := p.LoadFile(f); err != nil {
			return err
		}
	}
	app.reservePageCache(p.Pending())
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	ctx = lifeline.WithActor(ctx, importActor())
	// The rows are parsed on one core while the residents of the rows
	// before are written on the other, all in one transaction that is
	// only committed once every row is checked: a bad row anywhere, a
	// crash or Ctrl-C still leaves the store as it was.
	expected := p.Pending()
	residents := make(chan []lifeline.Resident, 4)
	go func() {
		defer close(residents)
		p.ParseLoaded(func(rs []lifeline.Resident, bad int) {
			// With a bad row and no --skip-invalid nothing will be
			// written: the writer is given no more, the rows are still
			// all parsed, so every problem is reported.
			if len(rs) > 0 && (bad == 0 || *skip) {
				residents <- rs
			}
		})
	}()
	var (
		b *lifeline.ImportBatch
		c roster.Counts
	)
	// finish runs once every row is parsed, before anything is committed.
	finish := func() (*lifeline.ImportBatch, error) {
		if err := p.Err(); err != nil {
			return nil, err
		}
		if err := p.CheckResidents(ctx, db.KnownDocuments); err != nil {
			return nil, err
		}
		for _, pr := range p.Problems() {
			fmt.Fprintln(app.Stderr, pr.In(app.Lang))
		}
		c = p.Counts()
		if c.Bad > 0 && *rejects != "" && !*dryRun {
			if err := writeRejects(p, *rejects, app.Lang); err != nil {
				return nil, err
			}
			fmt.Fprintf(app.Stderr, app.T("%d 行有错误，已写入 %s，修正后可直接再导入该文件。\n", "%d bad rows written to %s; fix them there and import that file.\n"), c.Bad, *rejects)
		}
		if c.Bad > 0 && !*skip {
			fmt.Fprintf(app.Stderr, app.T("共 %d 行有错误，未写入任何数据。请修正后重新导入，或用 --skip-invalid --rejects 文件 先导入正确的行。\n",
				"%d bad rows; nothing was written. Fix them and import again, or use --skip-invalid --rejects FILE to import the good rows now.\n"), c.Bad)
			return nil, &exitError{code: 1}
		}
		// A dry run is the whole import, rolled back: it counts new,
		// changed and unchanged residents against what is stored now.
		b = p.Batch()
		b.DryRun = *dryRun
		return b, nil
	}
	st, err := db.ImportStream(ctx, expected, residents, finish)
	if err != nil {
		return err
	}
	if *dryRun {
		for _, t := range p.Tables {
			fmt.Fprintf(app.Stdout, app.T("%s：%s，%s，%d 行\n", "%s: %s, %s, %d rows\n"), t.Source, t.Kind.Label(app.Lang), t.Encoding, len(t.Rows))
		}
		fmt.Fprintf(app.Stdout, app.T("试运行：将新增 %d 人，更新 %d 人，未变 %d 条；检测结果 %d 条，健康码 %d 条；错误 %d 行。未写入任何数据。\n",
			"dry run: would insert %d, update %d, leave %d unchanged; %d results, %d colours; %d bad rows. Nothing was written.\n"),
			st.Inserted, st.Updated, st.Unchanged, st.Results, st.Colors, c.Bad)
		return nil
	}
	elapsed := time.Since(start)
	if st.Revoked > 0 {
		fmt.Fprintf(app.Stdout, app.T("红码居民的纸质码已吊销 %d 张。\n", "%d paper codes of residents now red were revoked.\n"), st.Revoked)
	}
	fmt.Fprintf(app.Stdout, app.T("已导入：新增 %d 人，更新 %d 人，未变 %d 条；检测结果 %d 条，健康码 %d 条",
		"imported: %d inserted, %d updated, %d unchanged; %d results, %d colours"), st.Inserted, st.Updated, st.Unchanged, st.Results, st.Colors)
	if c.Bad > 0 {
		fmt.Fprintf(app.Stdout, app.T("；跳过错误 %d 行", "; %d bad rows skipped"), c.Bad)
	}
	fmt.Fprintf(app.Stdout, app.T("（%s，用时 %.1f 秒）\n", " (%s, %.1fs)\n"), strings.Join(baseNames(files), ", "), elapsed.Seconds())
	return nil
}

// parseInterleaved parses flags that may come before, between or after the
// file names (lifeline import roster.csv --dry-run), and returns the names.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return names, nil
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// writeRejects writes the rejects file through a temporary file, so an
// interrupted write never leaves half a file where the user expects one.
func writeRejects(p *roster.Parser, path string, l lifeline.Lang) error {
	fail := func(err error) error {
		return lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("无法写入错误行文件 "+path, "cannot write the rejects file "+path))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".rejects-*.csv")
	if err != nil {
		return fail(err)
	}
	defer os.Remove(tmp.Name())
	if err := p.WriteRejects(tmp, l); err != nil {
		tmp.Close()
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fail(err)
	}
	return nil
}

func baseNames(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}

// importActor is who the audit log records for imports, searches and seeds
// run from a shell: the login name.
func importActor() lifeline.Actor {
	name := os.Getenv("USER")
	if name == "" {
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
	}
	if name == "" {
		name = "unknown"
	}
	return lifeline.Actor{User: "cli:" + name}
}
