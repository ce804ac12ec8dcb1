package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
)

func runKeys(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 {
		return app.usagef("用法：lifeline keys new|list|export [参数]", "usage: lifeline keys new|list|export [flags]")
	}
	switch args[0] {
	case "new":
		return runKeysNew(app, args[1:])
	case "list":
		return runKeysList(app, args[1:])
	case "export":
		return runKeysExport(app, args[1:])
	}
	return app.usagef("未知的 keys 子命令“%s”：应为 new、list 或 export", "unknown keys subcommand %q: use new, list or export", args[0])
}

// keyDirFlag adds --keys to a flag set.
func keyDirFlag(app *App, fs interface {
	String(name, value, usage string) *string
}) *string {
	return fs.String("keys", "", app.T("密钥目录（默认：环境变量 LIFELINE_KEYS，或数据库旁的 keys 目录）", "key directory (default: $LIFELINE_KEYS, or keys beside the database)"))
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
	nb := fs.String("not-before", "", app.T("生效时间（RFC 3339，默认现在）", "valid from (RFC 3339; default now)"))
	na := fs.String("not-after", "", app.T("失效时间（RFC 3339，默认一年后）", "valid until (RFC 3339; default a year after --not-before)"))
	if err := fs.Parse(args); err != nil {
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
	if err := fs.Parse(args); err != nil {
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

func runKeysExport(app *App, args []string) error {
	fs := app.newFlagSet("keys export")
	dir := keyDirFlag(app, fs)
	out := fs.String("out", "", app.T("信任列表文件（JWK Set），- 为标准输出", "trust list file (a JWK Set); - for standard output"))
	if err := fs.Parse(args); err != nil {
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
	var sb strings.Builder
	if err := code.TrustListOf(keys).WriteJWKS(&sb); err != nil {
		return err
	}
	if *out == "-" {
		_, err := fmt.Fprint(app.Stdout, sb.String())
		return err
	}
	if err := writeFileAtomic(*out, []byte(sb.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(app.Stderr, app.T("已导出 %d 个公钥到 %s\n", "exported %d public keys to %s\n"), len(keys), *out)
	return nil
}
