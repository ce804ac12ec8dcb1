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

func runRevoke(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("revoke")
	serial := fs.String("serial", "", app.T("一张码的序列号（26 位，或 32 位十六进制）", "one code's serial (26 characters, or 32 hex digits)"))
	resident := fs.String("resident", "", app.T("居民的证件号码：吊销其全部离线码", "a resident's document number: revoke all their codes"))
	key := fs.String("key", "", app.T("密钥编号：吊销它在 --before 之前签发的全部码", "key id: revoke every code it signed before --before"))
	before := fs.String("before", "", app.T("与 --key 一起：截止时间（RFC 3339）", "with --key: the cut-off time (RFC 3339)"))
	reason := fs.String("reason", "", app.T("原因（记入审计日志）", "reason (written to the audit log)"))
	by := fs.String("by", os.Getenv("LIFELINE_STAFF"), byUsage.In(app.Lang))
	if err := app.parse(fs, args); err != nil {
		return err
	}
	n := 0
	for _, s := range []string{*serial, *resident, *key} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return app.usagef("请选择且只选择一种：--serial、--resident 或 --key", "choose exactly one of --serial, --resident or --key")
	}
	if (*key != "") != (*before != "") {
		return app.usagef("--key 与 --before 必须一起使用", "--key and --before go together")
	}
	// What was typed is checked before the store is opened.
	var (
		serialBytes []byte
		kid         code.KeyID
		cutoff      time.Time
		err         error
	)
	if *serial != "" {
		serialBytes, err = code.ParseSerial(*serial)
	} else if *key != "" {
		if kid, err = code.ParseKeyID(*key); err == nil {
			cutoff, err = parseWhen(app, "before", *before)
		}
	}
	if err != nil {
		return err
	}
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	ctx = lifeline.WithActor(ctx, auth.CommandLineActor(*by))
	switch {
	case *serial != "":
		if err := db.RevokeSerial(ctx, serialBytes, *reason, ""); err != nil {
			return err
		}
		fmt.Fprintf(app.Stdout, app.T("已吊销离线码 %s\n", "revoked code %s\n"), lifeline.FormatSerial(serialBytes))
	case *resident != "":
		r, err := db.ResidentByDocument(ctx, lifeline.Document{Number: *resident})
		if err != nil {
			return err
		}
		n, err := db.RevokeResident(ctx, r.ID, *reason, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(app.Stdout, app.T("已吊销 %s 的 %d 张离线码\n", "revoked %[2]d codes of %[1]s\n"), lifeline.MaskName(r.Name), n)
	default:
		n, err := db.RevokeKeyBefore(ctx, kid.String(), cutoff, *reason, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(app.Stdout, app.T("已设定密钥 %s 的截止时间 %s，吊销了已登记的 %d 张码\n", "key %s cut off at %s; %d recorded codes revoked\n"), kid, cutoff.Format("2006-01-02T15:04:05Z07:00"), n)
	}
	fmt.Fprintln(app.Stderr, app.T("请重新导出吊销列表（lifeline revocations export）并分发到各检查点。", "export the revocation list again (lifeline revocations export) and send it to the checkpoints."))
	return nil
}
