package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/upstream"
)

// runUpstream runs lifeline's side of the city platform link until
// interrupted: the deliverer sending on-site registrations to --upstream,
// and POST /api/v1/results on --addr. It is a command of its own so it can
// run beside `lifeline serve` on the same database, on any number of
// replicas: the delivery lease lets one deliver at a time.
func runUpstream(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("upstream")
	target := fs.String("upstream", os.Getenv("LIFELINE_UPSTREAM_URL"), app.T("市级平台接收登记的地址（环境变量 LIFELINE_UPSTREAM_URL）", "the platform URL registrations are POSTed to (env LIFELINE_UPSTREAM_URL)"))
	addr := fs.String("addr", "", app.T("在此地址提供 POST /api/v1/results，如 127.0.0.1:8081；不填则不提供", "serve POST /api/v1/results on this address, e.g. 127.0.0.1:8081; empty: do not"))
	if err := app.parse(fs, args); err != nil {
		return err
	}
	if *target == "" && *addr == "" {
		return app.usagef("请给出 --upstream（上送登记）或 --addr（接收结果），或两者", "give --upstream (deliver registrations), --addr (take results), or both")
	}
	upToken, apiToken := os.Getenv(upstream.TokenEnv), os.Getenv(upstream.APITokenEnv)
	if *target != "" {
		u, err := url.Parse(*target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return app.usagef("--upstream 应为 http:// 或 https:// 地址", "--upstream must be an http:// or https:// URL")
		}
		if upToken == "" {
			return lifeline.Errorf(lifeline.EINVALID, lifeline.T("未设置 "+upstream.TokenEnv+"：市级平台需要访问令牌", upstream.TokenEnv+" is not set: the platform needs a bearer token"))
		}
	}
	if *addr != "" && apiToken == "" {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("未设置 "+upstream.APITokenEnv+"：结果接口不能无令牌开放", upstream.APITokenEnv+" is not set: the results API is never open without a token"))
	}
	var ln net.Listener
	if *addr != "" {
		var err error
		if ln, err = net.Listen("tcp", *addr); err != nil {
			return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法监听 "+*addr+"：地址被占用或不可用", "cannot listen on "+*addr+": the address is busy or unavailable"))
		}
		defer ln.Close()
	}
	db, err := app.gateway(ctx)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(app.Stderr, nil))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	delivered := make(chan struct{})
	if *target != "" {
		d := &upstream.Deliverer{Store: db, URL: *target, Token: upToken,
			Logf: func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) }}
		go func() { defer close(delivered); d.Run(ctx) }()
		fmt.Fprintf(app.Stdout, app.T("正在向 %s 上送现场登记。\n", "delivering on-site registrations to %s\n"), *target)
	} else {
		close(delivered)
	}
	if ln == nil {
		<-ctx.Done()
	} else {
		h := upstream.NewResultsHandler(db, apiToken, nil)
		h.Logf = func(format string, args ...any) { log.Error(fmt.Sprintf(format, args...)) }
		fmt.Fprintf(app.Stdout, app.T("检测结果接口：http://%s%s\n", "results API: http://%s%s\n"), ln.Addr(), upstream.ResultsPath)
		err = upstream.ServeResults(ctx, ln, h)
		cancel()
	}
	<-delivered
	return err
}
