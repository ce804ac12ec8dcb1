package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/lifeline-health/lifeline/code"
)

func runRevocations(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 || args[0] != "export" {
		return app.usagef("用法：lifeline revocations export --out 文件", "usage: lifeline revocations export --out FILE")
	}
	fs := app.newFlagSet("revocations export")
	out := fs.String("out", "", app.T("吊销列表文件（必填）", "revocation list file (required)"))
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *out == "" {
		return app.usagef("请用 --out 指定吊销列表文件", "give the revocation list file with --out")
	}
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	l, err := code.RevocationsOf(ctx, db, time.Now())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := l.WriteTo(&buf); err != nil {
		return err
	}
	if err := writeFileAtomic(*out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, app.T("已导出 %d 个吊销序列号和 %d 个密钥截止时间到 %s（%d 字节）\n", "exported %d revoked serials and %d key cut-offs to %s (%d bytes)\n"),
		l.Len(), len(l.Cutoffs), *out, buf.Len())
	return nil
}
