package main

import (
	"context"
	"log/slog"
	"net/url"
	"os"

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
	if u, err := url.Parse(*target); *target != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return app.usagef("--upstream 应为 http:// 或 https:// 地址", "--upstream must be an http:// or https:// URL")
	}
	link, err := upstream.OpenLink(*target, *addr)
	if err != nil {
		return err
	}
	db, err := app.gateway(ctx)
	if err != nil && link.Listener != nil {
		link.Listener.Close()
	}
	if err != nil {
		return err
	}
	link.Store, link.Log, link.Out, link.Lang = db, slog.New(slog.NewTextHandler(app.Stderr, nil)), app.Stdout, app.Lang
	return link.Run(ctx)
}
