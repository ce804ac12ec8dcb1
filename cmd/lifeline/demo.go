package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/sms"
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return app.usagef("多余的参数：%s", "unexpected argument: %s", fs.Arg(0))
	}
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
		if err := runSeed(ctx, app, []string{"--residents", strconv.Itoa(*residents), "--seed", "1", "--quiet"}); err != nil {
			return err
		}
	}
	if err := ensureDemoStaff(ctx, db); err != nil {
		return err
	}
	if err := ensureKey(app, keyDir(app, *f.keys)); err != nil {
		return err
	}
	cfg, err := tuiConfig(app, db, f)
	if err != nil {
		return err
	}
	login := fmt.Sprintf(app.T("演示账号：用户名 %s  密码 %s", "demo login: user %s  password %s"), demoUser, demoPassword)
	fmt.Fprintln(app.Stdout, login)
	notice := login
	stop, gateway, err := startDemoGateway(ctx, app, db, *addr)
	if err != nil {
		fmt.Fprintln(app.Stdout, lifeline.ErrorMessage(err, app.Lang))
	} else {
		defer stop()
		fmt.Fprintln(app.Stdout, gateway)
		notice += " · " + fmt.Sprintf(app.T("短信网关 %s（不校验签名，仅限本地演示）", "SMS gateway %s (no signature check: local demo only)"), *addr)
	}
	cfg.Notice = notice
	return runScreen(ctx, cfg)
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

// ensureKey creates a signing key in dir unless one is valid now.
func ensureKey(app *App, dir string) error {
	keys, err := code.LoadSigningKeys(dir)
	if err == nil {
		if _, err := code.ActiveKey(keys, time.Now()); err == nil {
			return nil
		}
	}
	k, err := code.GenerateKey(dir, time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, app.T("已创建签名密钥 %s（%s）。\n", "created signing key %s (%s).\n"), k.KID(), dir)
	return nil
}

// startDemoGateway runs the SMS gateway on addr in this process without
// signature checks. A busy port is reported and the demo goes on without
// the gateway: the staff screen is the main thing.
func startDemoGateway(ctx context.Context, app *App, db sms.Store, addr string) (stop func(), says string, err error) {
	srv, err := sms.NewServer(sms.Config{Store: db, Insecure: true, PublicURL: "http://" + addr})
	if err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) {
			return nil, "", lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T(
				"地址 "+addr+" 已被占用或不可用，短信网关未启动（可用 --addr 换一个）；工作人员界面照常打开。",
				"address "+addr+" is busy or unavailable, so the SMS gateway is not running (choose another with --addr); the staff screen opens anyway."))
		}
		return nil, "", err
	}
	gctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(gctx, ln)
	}()
	says = fmt.Sprintf(app.T("短信网关：http://%s/sms（不校验 Twilio 签名，仅限本地演示）。试试：lifeline sms send --url http://%s/sms --from 手机号 查询",
		"SMS gateway: http://%s/sms (Twilio signatures NOT checked: local demo only). Try: lifeline sms send --url http://%s/sms --from PHONE STATUS"), addr, addr)
	return func() { cancel(); <-done }, says, nil
}
