package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/outfile"
)

func runKeys(ctx context.Context, app *App, args []string) error {
	if app.wantsHelp("keys", args) {
		return flag.ErrHelp
	}
	if len(args) == 0 {
		return app.usagef("用法：lifeline keys new|list|export|root [参数]", "usage: lifeline keys new|list|export|root [flags]")
	}
	switch sub := strings.Join(args[:min(2, len(args))], " "); {
	case args[0] == "new":
		return runKeysNew(app, args[1:])
	case args[0] == "list":
		return runKeysList(app, args[1:])
	case args[0] == "export":
		return runKeysExport(ctx, app, args[1:])
	case sub == "root new" || sub == "root export":
		return runKeysRoot(app, args[1], args[2:])
	}
	return app.usagef("未知的 keys 子命令“%s”：应为 new、list、export、root new 或 root export", "unknown keys subcommand %q: use new, list, export, root new or root export", args[0])
}

// rootKeyFlag adds --root-key to a flag set.
func rootKeyFlag(app *App, fs *flag.FlagSet) *string {
	return fs.String("root-key", code.DefaultRootKeyPath(app.DBPath), app.T("根密钥`文件`（环境变量 LIFELINE_ROOT_KEY，或数据库旁的 root/root.key）", "root key `FILE` ($LIFELINE_ROOT_KEY, or root/root.key beside the database)"))
}

// listTimeFlags adds the issuer's choice of a list's next update and hard
// limit.
func listTimeFlags(app *App, fs *flag.FlagSet, limit time.Duration) *code.ListDurations {
	d := &code.ListDurations{}
	fs.DurationVar(&d.NextUpdate, "next-update", code.DefaultNextUpdate, app.T("检查点应在多久内取得更新的列表；过后每个结果都会提示", "when checkpoints should have a newer list; past it every result warns"))
	fs.DurationVar(&d.Limit, "expires", limit, app.T("列表的硬期限：过后检查点不再判定任何码有效", "the list's hard limit: past it checkpoints pass no code"))
	return d
}

// runKeysRoot makes the root key (new) or writes its public half for
// checkpoints to pin, with its fingerprint and a QR code (export).
func runKeysRoot(app *App, sub string, args []string) error {
	fs := app.newFlagSet("keys root " + sub)
	path := rootKeyFlag(app, fs)
	out := fs.String("out", "", app.T("new：同 --root-key；export：根公钥文件（如 root.pub），- 为标准输出", "new: as --root-key; export: the root public key file (such as root.pub), - for standard output"))
	qr := fs.String("qr", "", app.T("export：另存一张可打印的二维码 PNG，检查点扫描即可固定", "export: also write a printable QR code PNG that a checkpoint scans to pin the root"))
	if err := app.parse(fs, args); err != nil {
		return err
	}
	if sub == "new" {
		k, err := code.GenerateRootKey(cmp.Or(*out, *path), time.Now())
		if err == nil {
			fmt.Fprintln(app.Stdout, k.Describe(true).In(app.Lang))
		}
		return err
	}
	if *out == "" {
		return app.usagef("请用 --out 指定根公钥文件", "give the root public key file with --out")
	}
	k, err := code.LoadRootKey(*path)
	if err != nil {
		return err
	}
	if *qr != "" {
		png, err := k.Pin().QR(512)
		if err = cmp.Or(err, outfile.WriteBytes(*qr, png, 0o644)); err != nil {
			return err
		}
	}
	fmt.Fprintln(app.Stderr, k.Describe(false).In(app.Lang))
	return writeOut(app, *out, k.PinFile(time.Now()))
}

// writeOut writes an exported file, or to standard output for "-".
func writeOut(app *App, path string, b []byte) error {
	if path == "-" {
		_, err := app.Stdout.Write(b)
		return err
	}
	return outfile.WriteBytes(path, b, 0o644)
}

// exportList writes the list export makes from the store, signed with the
// root key at rootPath, and says what it holds.
func exportList(ctx context.Context, app *App, out, rootPath string, export func(lifeline.Store, *code.RootKey) (code.Exported, error)) error {
	rk, err := code.LoadRootKey(rootPath)
	if err != nil {
		return err
	}
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	e, err := export(db, rk)
	if err != nil {
		return err
	}
	fmt.Fprintln(app.Stderr, e.Describe().In(app.Lang))
	return writeOut(app, out, e.Data)
}

// keyDirFlag adds --keys to a flag set.
func keyDirFlag(app *App, fs *flag.FlagSet) *string {
	return fs.String("keys", "", app.T("密钥`目录`（默认：环境变量 LIFELINE_KEYS，或数据库旁的 keys 目录）", "key `DIR` (default: $LIFELINE_KEYS, or keys beside the database)"))
}

func keyDir(app *App, flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return code.DefaultKeyDir(app.DBPath)
}

// parseWhen reads a time given on the command line: RFC 3339, or a date
// (midnight China time, lifeline.ChinaTime).
func parseWhen(app *App, name, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, lifeline.ChinaTime); err == nil {
		return t, nil
	}
	return time.Time{}, app.usagef("--%s 的时间“%s”无效：请用 RFC 3339 格式，如 2022-04-09T08:00:00+08:00", "--%s: %q is not a time: use RFC 3339 such as 2022-04-09T08:00:00+08:00", name, s)
}

func runKeysNew(app *App, args []string) error {
	fs := app.newFlagSet("keys new")
	dir := keyDirFlag(app, fs)
	nb := fs.String("not-before", "", app.T("生效`时间`（RFC 3339，默认现在）", "valid from (`TIME`, RFC 3339; default now)"))
	na := fs.String("not-after", "", app.T("失效`时间`（RFC 3339，默认一年后）", "valid until (`TIME`, RFC 3339; default a year after --not-before)"))
	if err := app.parse(fs, args); err != nil {
		return err
	}
	var notBefore, notAfter time.Time
	var err error
	if *nb != "" {
		if notBefore, err = parseWhen(app, "not-before", *nb); err != nil {
			return err
		}
	}
	if *na != "" {
		if notAfter, err = parseWhen(app, "not-after", *na); err != nil {
			return err
		}
	}
	k, err := code.GenerateKey(keyDir(app, *dir), notBefore, notAfter)
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, app.T("已创建密钥 %s，有效期 %s 至 %s\n文件：%s（权限 600，切勿外传）\n", "created key %s, valid %s to %s\nfile: %s (mode 600; never share it)\n"),
		k.KID(), k.NotBefore.In(lifeline.ChinaTime).Format(time.RFC3339), k.NotAfter.In(lifeline.ChinaTime).Format(time.RFC3339), k.Path)
	return nil
}

func runKeysList(app *App, args []string) error {
	fs := app.newFlagSet("keys list")
	dir := keyDirFlag(app, fs)
	if err := app.parse(fs, args); err != nil {
		return err
	}
	keys, err := code.LoadSigningKeys(keyDir(app, *dir))
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		fmt.Fprintln(app.Stdout, app.T("没有密钥。运行 lifeline keys new 创建一个。", "no keys. Run lifeline keys new to create one."))
		return nil
	}
	now := time.Now()
	active, _ := code.ActiveKey(keys, now)
	fmt.Fprintf(app.Stdout, "%-16s  %-25s  %-25s  %s\n", "KID", app.T("生效", "NOT BEFORE"), app.T("失效", "NOT AFTER"), app.T("状态", "STATE"))
	for _, k := range keys {
		fmt.Fprintf(app.Stdout, "%-16s  %-25s  %-25s  %s\n", k.KID(), k.NotBefore.In(lifeline.ChinaTime).Format(time.RFC3339), k.NotAfter.In(lifeline.ChinaTime).Format(time.RFC3339), k.StateAt(now, active, app.Lang))
	}
	return nil
}

func runKeysExport(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("keys export")
	dir := keyDirFlag(app, fs)
	root := rootKeyFlag(app, fs)
	out := fs.String("out", "", app.T("由根密钥签名的信任列表`文件`（trust.cose），- 为标准输出", "the trust list `FILE` signed by the root key (trust.cose); - for standard output"))
	unsigned := fs.Bool("unsigned", false, app.T("改为导出未签名的 JWK Set，供其他核验程序使用（lifeline 检查点不接受）", "write a plain, unsigned JWK Set instead, for other verifiers (lifeline checkpoints refuse it)"))
	times := listTimeFlags(app, fs, code.DefaultTrustLimit)
	if err := app.parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return app.usagef("请用 --out 指定信任列表文件", "give the trust list file with --out")
	}
	keys, err := code.LoadSigningKeys(keyDir(app, *dir))
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有密钥可导出。运行 lifeline keys new 创建一个。", "no keys to export. Run lifeline keys new to create one."))
	}
	if *unsigned {
		e, err := code.ExportUnsignedTrustList(keys)
		if err == nil {
			fmt.Fprintln(app.Stderr, e.Describe().In(app.Lang))
			err = writeOut(app, *out, e.Data)
		}
		return err
	}
	app.creates = true // a new deployment's first trust list numbers its versions in a new store
	return exportList(ctx, app, *out, *root, func(db lifeline.Store, rk *code.RootKey) (code.Exported, error) {
		return code.ExportTrustList(ctx, db, rk, keys, time.Now(), *times)
	})
}
