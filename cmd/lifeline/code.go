package main

import (
	"context"
	"fmt"
	"os"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"github.com/lifeline-health/lifeline/code"
)

func runCode(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("code")
	resident := fs.String("resident", "", app.T("居民的`证件号码`（必填）", "the resident's document number, `DOC` (required)"))
	dir := keyDirFlag(app, fs)
	validity := fs.Duration("validity", code.DefaultValidity, app.T("码的有效期", "how long the code is valid"))
	by := fs.String("by", os.Getenv("LIFELINE_STAFF"), byUsage.In(app.Lang))
	community := fs.String("community", "", app.T("签发社区（默认：居民所在社区）", "issuing community (default: the resident's)"))
	keep := fs.Bool("keep-previous", false, app.T("保留此人以前的码继续有效（备用卡）；默认吊销", "keep this person's earlier codes valid (a spare card); by default they are revoked"))
	if err := app.parse(fs, args); err != nil {
		return err
	}
	if *resident == "" {
		return app.usagef("请用 --resident 给出居民的证件号码", "give the resident's document number with --resident")
	}
	if *validity <= 0 {
		return app.usagef("--validity 必须为正", "--validity must be positive")
	}
	now := time.Now()
	key, err := code.LoadActiveKey(keyDir(app, *dir), now)
	if err != nil {
		return err
	}
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	ctx = lifeline.WithActor(ctx, auth.CommandLineActor(*by))
	r, err := db.ResidentByDocument(ctx, lifeline.Document{Number: *resident})
	if err != nil {
		return err
	}
	is := &code.Issuer{Key: key, Validity: *validity, Now: func() time.Time { return now }}
	payload, c, err := is.IssueRecorded(ctx, db, r, *community, "", *keep)
	if err != nil {
		return err
	}
	fmt.Fprintln(app.Stdout, payload)
	fmt.Fprintf(app.Stderr, app.T("%s（%s 尾号 %s）序列号 %s，有效至 %s，密钥 %s\n", "%s (%s ending %s) serial %s, valid until %s, key %s\n"),
		lifeline.Printable(c.Holder.MaskedName), c.Holder.DocType.Label(app.Lang), c.Holder.DocTail, c.SerialString(), c.ExpiresAt.In(lifeline.ChinaTime).Format("2006-01-02 15:04"), key.KID())
	return nil
}
