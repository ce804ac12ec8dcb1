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
	"github.com/lifeline-health/lifeline/sshd"
	"github.com/lifeline-health/lifeline/upstream"
)

// serveFlags are serve's settings.
type serveFlags struct {
	addr, public, from, service, upstream string
	insecure                              bool
	cfg                                   sms.Config // the limits
	desk                                  tuiFlags   // the staff screen over SSH
	ssh                                   sshd.Flags
}

func parseServeFlags(app *App, args []string) (*serveFlags, error) {
	fs := app.newFlagSet("serve")
	f := &serveFlags{}
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", app.T("监听地址 主机:端口", "listen address HOST:PORT"))
	fs.StringVar(&f.public, "public-url", "", app.T("Twilio 访问本网关的地址（签名按它计算），如 https://sms.example.org", "the URL Twilio calls (signatures are computed over it), e.g. https://sms.example.org"))
	fs.BoolVar(&f.insecure, "insecure-no-signature", false, app.T("不校验 Twilio 签名（仅限本地开发）", "do not check Twilio signatures (local development only)"))
	fs.StringVar(&f.from, "from", os.Getenv("TWILIO_FROM"), app.T("通知的发信号码（环境变量 TWILIO_FROM）", "sending number for notifications (env TWILIO_FROM)"))
	fs.StringVar(&f.service, "messaging-service", os.Getenv("TWILIO_MESSAGING_SERVICE_SID"), app.T("代替 --from 的 Twilio 消息服务 SID", "a Twilio messaging service SID instead of --from"))
	fs.IntVar(&f.cfg.RateBurst, "rate-burst", 5, app.T("每个号码短时间内最多回复几条", "replies per number before the limit applies"))
	fs.DurationVar(&f.cfg.RateRefill, "rate-refill", time.Minute, app.T("每个号码每隔多久多回复一条", "one more reply per number every"))
	fs.IntVar(&f.cfg.MaxInFlight, "max-inflight", 256, app.T("同时处理的请求数上限", "requests handled at once"))
	fs.IntVar(&f.cfg.MaxQueue, "max-queue", 256, app.T("排队等待的请求数上限，超出即回 503", "requests that may wait; past that, 503"))
	fs.DurationVar(&f.cfg.KeepInbound, "keep-inbound", 48*time.Hour, app.T("记住短信 MessageSid 多久（重发得到同一回复），过后清除", "how long a MessageSid is remembered (a retry gets the same reply); older ones are forgotten"))
	f.cfg.VoiceFlags(fs, app.Lang)
	fs.StringVar(&f.upstream, "upstream", os.Getenv("LIFELINE_UPSTREAM_URL"), app.T("同时向此市级平台地址上送现场登记（环境变量 LIFELINE_UPSTREAM_URL，令牌 LIFELINE_UPSTREAM_TOKEN）", "also deliver on-site registrations to this platform URL (env LIFELINE_UPSTREAM_URL, token LIFELINE_UPSTREAM_TOKEN)"))
	f.desk, f.ssh = addTUIFlags(app, fs), sshd.AddFlags(fs, app.Lang)
	if err := app.parse(fs, args); err != nil {
		return nil, err
	}
	if f.public == "" {
		if !f.insecure {
			return nil, app.usagef("请用 --public-url 给出 Twilio 访问本网关的地址", "give --public-url, the URL Twilio calls this gateway at")
		}
		f.public = "http://" + f.addr
	}
	return f, nil
}

// base is the public URL without a trailing slash, to put paths after.
func (f *serveFlags) base() string { return strings.TrimRight(f.public, "/") }

// runServe runs the SMS gateway until interrupted: POST /sms and
// /sms/status for Twilio, /healthz and /metrics, the outbox sender when
// Twilio credentials and a sending number are given, the results API when
// an API token is, and the deliverer of on-site registrations with
// --upstream.
func runServe(ctx context.Context, app *App, args []string) error {
	f, err := parseServeFlags(app, args)
	if err != nil {
		return err
	}
	token := os.Getenv("TWILIO_AUTH_TOKEN")
	if token == "" && !f.insecure {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T(
			"未设置 TWILIO_AUTH_TOKEN，无法校验 Twilio 签名；本地试用请加 --insecure-no-signature",
			"TWILIO_AUTH_TOKEN is not set, so Twilio signatures cannot be checked; for a local trial add --insecure-no-signature"))
	}
	if f.upstream != "" {
		if u, err := url.Parse(f.upstream); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return app.usagef("--upstream 应为 http:// 或 https:// 地址", "--upstream must be an http:// or https:// URL")
		}
	}
	log := slog.New(slog.NewTextHandler(app.Stderr, nil))
	if percent, limit, ok := sms.GCSettings(os.Getenv); ok {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}
	db, err := app.gateway(ctx)
	if err != nil {
		return err
	}
	srv, err := newGateway(app, db, f, token, log)
	if err != nil {
		return err
	}
	if *f.ssh.Addr != "" {
		serveSSH, err := startSSH(app, db, f.desk, f.ssh)
		if err != nil {
			return err
		}
		go serveSSH(ctx)
	}
	if f.upstream != "" {
		d := &upstream.Deliverer{Store: db, URL: f.upstream, Token: os.Getenv(upstream.TokenEnv),
			Logf: func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) }}
		go d.Run(ctx)
		fmt.Fprintf(app.Stderr, app.T("正在向 %s 上送现场登记。\n", "delivering on-site registrations to %s\n"), f.upstream)
	}
	// The MessageSids already stored are read before the first message
	// comes, not while it waits.
	if err := db.LoadInboundLog(ctx); err != nil {
		return err
	}
	return listenAndServe(ctx, app, srv, f)
}

// newGateway builds the gateway: the webhook handler, the outbound sender
// when Twilio credentials and a sending number are all there, and the
// results API the city platform and labs push to when an API token is set
// (docs/upstream.md).
func newGateway(app *App, db gatewayStore, f *serveFlags, token string, log *slog.Logger) (*sms.Server, error) {
	cfg := f.cfg
	cfg.Store, cfg.AuthToken, cfg.Insecure, cfg.PublicURL, cfg.Log = db, token, f.insecure, f.public, log
	account := os.Getenv("TWILIO_ACCOUNT_SID")
	if account != "" && token != "" && (f.from != "" || f.service != "") {
		tw, err := sms.NewTwilioClient(account, token, os.Getenv("LIFELINE_TWILIO_API_URL"))
		if err != nil {
			return nil, err
		}
		cfg.Sender, err = sms.NewSender(sms.SenderConfig{Store: db, Twilio: tw, From: f.from, MessagingServiceSid: f.service,
			StatusCallback: f.base() + "/sms/status", Log: log})
		if err != nil {
			return nil, err
		}
	} else {
		fmt.Fprintln(app.Stderr, app.T(
			"未设置 TWILIO_ACCOUNT_SID、TWILIO_AUTH_TOKEN 和发信号码（--from）：只回复短信，不发送通知；通知留在发件箱里。",
			"TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and a sending number (--from) are not all set: replying only; notifications wait in the outbox."))
	}
	srv, err := sms.NewServer(cfg)
	if err != nil {
		return nil, err
	}
	if apiToken := os.Getenv(upstream.APITokenEnv); apiToken != "" {
		h := upstream.NewResultsHandler(db, apiToken, nil)
		h.Logf = func(format string, args ...any) { log.Error(fmt.Sprintf(format, args...)) }
		srv.Mount("POST "+upstream.ResultsPath, h, 1<<20)
		fmt.Fprintf(app.Stderr, app.T("检测结果接口：%s%s\n", "results API: %s%s\n"), f.base(), upstream.ResultsPath)
	}
	return srv, nil
}

// listenAndServe serves until ctx ends.
func listenAndServe(ctx context.Context, app *App, srv *sms.Server, f *serveFlags) error {
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法监听 "+f.addr+"：地址被占用或不可用", "cannot listen on "+f.addr+": the address is busy or unavailable"))
	}
	if f.insecure {
		fmt.Fprintln(app.Stderr, app.T("警告：不校验 Twilio 签名，任何人都能冒充 Twilio。仅限本地开发。", "WARNING: Twilio signatures are NOT checked; anyone can pose as Twilio. Local development only."))
	}
	fmt.Fprintf(app.Stdout, app.T("短信网关在 %[1]s 运行；Twilio 短信回调：%[2]s/sms，状态回调：%[2]s/sms/status，语音回调：%[2]s/voice。按 Ctrl-C 停止。\n",
		"SMS gateway on %[1]s; Twilio webhooks: messaging %[2]s/sms, status callback %[2]s/sms/status, voice %[2]s/voice. Ctrl-C stops it.\n"),
		ln.Addr(), f.base())
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	fmt.Fprintln(app.Stdout, app.T("短信网关已停止。", "SMS gateway stopped."))
	return nil
}
