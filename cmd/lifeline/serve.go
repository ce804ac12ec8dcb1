package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
	"github.com/lifeline-health/lifeline/upstream"
)

func init() {
	register(&command{
		name:    "serve",
		summary: lifeline.T("运行短信网关（Twilio 短信回调与通知发送）", "run the SMS gateway (Twilio webhooks and outbound notifications)"),
		run:     runServe,
	})
}

// runServe runs the SMS gateway until interrupted: POST /sms and
// /sms/status for Twilio, /healthz and /metrics, and the outbox sender when
// Twilio credentials and a sending number are given.
func runServe(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("serve")
	addr := fs.String("addr", "127.0.0.1:8080", app.T("监听地址 主机:端口", "listen address HOST:PORT"))
	public := fs.String("public-url", "", app.T("Twilio 访问本网关的地址（签名按它计算），如 https://sms.example.org", "the URL Twilio calls (signatures are computed over it), e.g. https://sms.example.org"))
	insecure := fs.Bool("insecure-no-signature", false, app.T("不校验 Twilio 签名（仅限本地开发）", "do not check Twilio signatures (local development only)"))
	from := fs.String("from", os.Getenv("TWILIO_FROM"), app.T("通知的发信号码（环境变量 TWILIO_FROM）", "sending number for notifications (env TWILIO_FROM)"))
	service := fs.String("messaging-service", os.Getenv("TWILIO_MESSAGING_SERVICE_SID"), app.T("代替 --from 的 Twilio 消息服务 SID", "a Twilio messaging service SID instead of --from"))
	burst := fs.Int("rate-burst", 5, app.T("每个号码短时间内最多回复几条", "replies per number before the limit applies"))
	refill := fs.Duration("rate-refill", time.Minute, app.T("每个号码每隔多久多回复一条", "one more reply per number every"))
	inflight := fs.Int("max-inflight", 256, app.T("同时处理的请求数上限", "requests handled at once"))
	queue := fs.Int("max-queue", 256, app.T("排队等待的请求数上限，超出即回 503", "requests that may wait; past that, 503"))
	keep := fs.Duration("keep-inbound", 48*time.Hour, app.T("记住短信 MessageSid 多久（重发得到同一回复），过后清除", "how long a MessageSid is remembered (a retry gets the same reply); older ones are forgotten"))
	upURL := fs.String("upstream", os.Getenv("LIFELINE_UPSTREAM_URL"), app.T("同时向此市级平台地址上送现场登记（环境变量 LIFELINE_UPSTREAM_URL，令牌 LIFELINE_UPSTREAM_TOKEN）", "also deliver on-site registrations to this platform URL (env LIFELINE_UPSTREAM_URL, token LIFELINE_UPSTREAM_TOKEN)"))
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return app.usagef("多余的参数：%s", "unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *public == "" {
		if !*insecure {
			return app.usagef("请用 --public-url 给出 Twilio 访问本网关的地址", "give --public-url, the URL Twilio calls this gateway at")
		}
		*public = "http://" + *addr
	}
	token := os.Getenv("TWILIO_AUTH_TOKEN")
	account := os.Getenv("TWILIO_ACCOUNT_SID")
	if token == "" && !*insecure {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T(
			"未设置 TWILIO_AUTH_TOKEN，无法校验 Twilio 签名；本地试用请加 --insecure-no-signature",
			"TWILIO_AUTH_TOKEN is not set, so Twilio signatures cannot be checked; for a local trial add --insecure-no-signature"))
	}
	log := slog.New(slog.NewTextHandler(app.Stderr, nil))
	if percent, limit, ok := gatewayGC(os.Getenv); ok {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	cfg := sms.Config{Store: db, AuthToken: token, Insecure: *insecure, PublicURL: *public, Log: log,
		RateBurst: *burst, RateRefill: *refill, MaxInFlight: *inflight, MaxQueue: *queue, KeepInbound: *keep}
	if account != "" && token != "" && (*from != "" || *service != "") {
		tw, err := sms.NewTwilioClient(account, token, os.Getenv("LIFELINE_TWILIO_API_URL"))
		if err != nil {
			return err
		}
		cfg.Sender, err = sms.NewSender(sms.SenderConfig{Store: db, Twilio: tw, From: *from, MessagingServiceSid: *service,
			StatusCallback: strings.TrimRight(*public, "/") + "/sms/status", Log: log})
		if err != nil {
			return err
		}
	} else {
		fmt.Fprintln(app.Stderr, app.T(
			"未设置 TWILIO_ACCOUNT_SID、TWILIO_AUTH_TOKEN 和发信号码（--from）：只回复短信，不发送通知；通知留在发件箱里。",
			"TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and a sending number (--from) are not all set: replying only; notifications wait in the outbox."))
	}
	srv, err := sms.NewServer(cfg)
	if err != nil {
		return err
	}
	// The city platform and labs push results to the gateway itself when an
	// API token is set (docs/upstream.md).
	if apiToken := os.Getenv(upstream.APITokenEnv); apiToken != "" {
		h := upstream.NewResultsHandler(db, apiToken, nil)
		h.Logf = func(format string, args ...any) { log.Error(fmt.Sprintf(format, args...)) }
		srv.Mount("POST "+upstream.ResultsPath, h, 1<<20)
		fmt.Fprintf(app.Stderr, app.T("检测结果接口：%s%s\n", "results API: %s%s\n"), strings.TrimRight(*public, "/"), upstream.ResultsPath)
	}
	if *upURL != "" {
		if u, err := url.Parse(*upURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return app.usagef("--upstream 应为 http:// 或 https:// 地址", "--upstream must be an http:// or https:// URL")
		}
		d := &upstream.Deliverer{Store: db, URL: *upURL, Token: os.Getenv(upstream.TokenEnv),
			Logf: func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) }}
		go d.Run(ctx)
		fmt.Fprintf(app.Stderr, app.T("正在向 %s 上送现场登记。\n", "delivering on-site registrations to %s\n"), *upURL)
	}
	// The MessageSids already stored are read before the first message
	// comes, not while it waits.
	if err := db.LoadInboundLog(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法监听 "+*addr+"：地址被占用或不可用", "cannot listen on "+*addr+": the address is busy or unavailable"))
	}
	if *insecure {
		fmt.Fprintln(app.Stderr, app.T("警告：不校验 Twilio 签名，任何人都能冒充 Twilio。仅限本地开发。", "WARNING: Twilio signatures are NOT checked; anyone can pose as Twilio. Local development only."))
	}
	fmt.Fprintf(app.Stdout, app.T("短信网关在 %s 运行；Twilio 回调地址：%s/sms，状态回调：%s/sms/status。按 Ctrl-C 停止。\n",
		"SMS gateway on %s; Twilio webhook: %s/sms, status callback: %s/sms/status. Ctrl-C stops it.\n"),
		ln.Addr(), strings.TrimRight(*public, "/"), strings.TrimRight(*public, "/"))
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	fmt.Fprintln(app.Stdout, app.T("短信网关已停止。", "SMS gateway stopped."))
	return nil
}

// gatewayGC is how the gateway's garbage collector runs unless GOGC or
// GOMEMLIMIT is set (then Go's own reading of them stands): a collection
// when the heap has grown to five times what is live (GOGC=400), and at
// the latest when the process's Go memory reaches 512 MiB. The gateway's
// live heap is small (tens of MiB: requests in flight, the rate limiter's
// numbers), and at Go's default of 100 the collector and the re-growth of
// stacks it shrinks cost it about a tenth of its CPU at its maximum rate
// (bench sms: 50-51% of the bare handler at GOGC=100, 55-56% at 400, same
// run). The limit keeps memory bounded under any surge.
func gatewayGC(getenv func(string) string) (percent int, limit int64, ok bool) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return 0, 0, false
	}
	return 400, 512 << 20, true
}
