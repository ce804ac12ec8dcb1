package main

import (
	"context"
	"flag"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
)

func runRevocations(ctx context.Context, app *App, args []string) error {
	if app.wantsHelp("revocations", args) {
		return flag.ErrHelp
	}
	if len(args) == 0 || args[0] != "export" {
		return app.usagef("用法：lifeline revocations export --out 文件 [--since 版本]", "usage: lifeline revocations export --out FILE [--since VERSION]")
	}
	fs := app.newFlagSet("revocations export")
	out := fs.String("out", "", app.T("由根密钥签名的吊销列表`文件`（必填），- 为标准输出", "the revocation list `FILE`, signed by the root key (required); - for standard output"))
	since := fs.Int64("since", 0, app.T("只导出自此版本以来的增量（检查点持有的版本）", "write only the delta since this version (the one a checkpoint holds)"))
	root := rootKeyFlag(app, fs)
	times := listTimeFlags(app, fs, code.DefaultRevocationLimit)
	if err := app.parse(fs, args[1:]); err != nil {
		return err
	}
	if *out == "" || *since < 0 {
		return app.usagef("请用 --out 指定吊销列表文件；--since 不能为负", "give the revocation list file with --out; --since cannot be negative")
	}
	return exportList(ctx, app, *out, *root, func(db lifeline.Store, rk *code.RootKey) (code.Exported, error) {
		return code.ExportRevocations(ctx, db, rk, time.Now(), *since, *times)
	})
}
