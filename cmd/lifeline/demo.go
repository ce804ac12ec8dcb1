package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/seed"
	"github.com/lifeline-health/lifeline/sms"
	"github.com/lifeline-health/lifeline/tui"
)

// The demo login. It is printed, and shown on the screen: this is a demo
// store on one machine, not a place for real residents.
const (
	demoUser     = "demo"
	demoPassword = "lifeline-demo"
)

func runDemo(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("demo")
	addr := fs.String("addr", "127.0.0.1:8080", app.T("本地短信网关的地址", "address of the local SMS gateway"))
	residents := fs.Int("residents", 2000, app.T("数据库为空时生成多少位演示居民", "how many demo residents to generate when the store is empty"))
	f := addTUIFlags(app, fs)
	if err := app.parse(fs, args); err != nil {
		return err
	}
	app.creates = true
	db, err := app.gateway(ctx)
	if err != nil {
		return err
	}
	n, err := db.CountResidents(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintf(app.Stdout, app.T("数据库 %s 是空的：生成 %d 位演示居民（固定种子，每次相同）…\n", "the store %s is empty: generating %d demo residents (fixed seed, the same every time)…\n"), app.DBPath, *residents)
		if err := runSeed(ctx, app, []string{"--residents", strconv.Itoa(*residents), "--seed", strconv.Itoa(seed.DemoSeed), "--quiet"}); err != nil {
			return err
		}
	}
	if err := ensureDemoStaff(lifeline.WithActor(ctx, auth.CommandLineActor("")), db); err != nil {
		return err
	}
	dir := f.check().KeyDir
	if k, created, err := code.EnsureActiveKey(dir, time.Now()); err != nil {
		return err
	} else if created {
		fmt.Fprintf(app.Stdout, app.T("已创建签名密钥 %s（%s）。\n", "created signing key %s (%s).\n"), k.KID(), dir)
	}
	cfg, err := tuiConfig(app, db, f)
	if err != nil {
		return err
	}
	login := fmt.Sprintf(app.T("演示账号：用户名 %s  密码 %s", "demo login: user %s  password %s"), demoUser, demoPassword)
	fmt.Fprintln(app.Stdout, login)
	notice := login
	// A busy port is reported and the demo goes on without the gateway:
	// the staff screen is the main thing.
	if _, stop, err := sms.ServeLocal(ctx, db, *addr); err != nil {
		if lifeline.ErrorCode(err) == lifeline.EUNAVAILABLE {
			err = lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T(
				"地址 "+*addr+" 已被占用或不可用，短信网关未启动（可用 --addr 换一个）；工作人员界面照常打开。",
				"address "+*addr+" is busy or unavailable, so the SMS gateway is not running (choose another with --addr); the staff screen opens anyway."))
		}
		fmt.Fprintln(app.Stdout, lifeline.ErrorMessage(err, app.Lang))
	} else {
		defer stop()
		fmt.Fprintf(app.Stdout, app.T("短信网关：http://%s/sms，语音热线：http://%s/voice（不校验 Twilio 签名，仅限本地演示）。\n",
			"SMS gateway: http://%s/sms, voice line: http://%s/voice (Twilio signatures NOT checked: local demo only).\n"), *addr, *addr)
		fmt.Fprint(app.Stdout, seed.ExamplesIn(ctx, db, seed.Config{Residents: *residents, Seed: seed.DemoSeed}).Tries(*addr).In(app.Lang))
		notice += " · " + fmt.Sprintf(app.T("短信网关 %s（不校验签名，仅限本地演示）", "SMS gateway %s (no signature check: local demo only)"), *addr)
	}
	cfg.Notice = notice
	return tui.Run(ctx, cfg)
}

// ensureDemoStaff creates the demo administrator unless it exists.
func ensureDemoStaff(ctx context.Context, db lifeline.StaffService) error {
	_, err := db.StaffByUser(ctx, demoUser)
	if lifeline.ErrorCode(err) != lifeline.ENOTFOUND {
		return err
	}
	hash, err := auth.HashPassword(demoPassword)
	if err != nil {
		return err
	}
	return db.CreateStaff(ctx, &lifeline.Staff{User: demoUser, Role: lifeline.RoleAdmin, PasswordHash: hash})
}
