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
	metricsAddr, spoolDir                 string
	spoolMB                               int64
	sendRate                              float64
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
	fs.IntVar(&f.cfg.MaxInFlight, "max-inflight", 128, app.T("同时当场作答的短信数上限", "messages answered inline at once"))
	fs.IntVar(&f.cfg.MaxActive, "max-active", 0, app.T("签名核对后同时处理的短信数，其余排队等候（默认：max-inflight + max-queue + 64）", "signed messages worked on at once; the others wait their turn (default: max-inflight + max-queue + 64)"))
	fs.IntVar(&f.cfg.MaxQueue, "max-queue", 64, app.T("可稍候当场作答的短信数；其余照样收下，经发件箱回复", "messages that may wait to be answered inline; the rest are accepted all the same and answered through the outbox"))
	fs.DurationVar(&f.cfg.InlineBudget, "inline-budget", 300*time.Millisecond, app.T("回复须在此时间内备好才当场作答，否则经发件箱回复（0：一律经发件箱）", "an answer ready within this goes back inline, otherwise through the outbox (0: always through the outbox)"))
	fs.BoolVar(&f.cfg.LeavePending, "leave-pending", false, app.T("本副本只收短信、当场作答，稍后的回复留给共用数据库的其他副本", "take texts in and answer inline only: answers through the outbox are left to another replica sharing the store"))
	fs.Float64Var(&f.sendRate, "send-rate", 1, app.T("发件箱每秒发送条数（整个账户，所有副本合计）：长号码约 1，短号码或多号码消息服务数十至数百", "messages a second the outbox sends for the account, all replicas together: about 1 for a long code, tens to hundreds for a short code or a Messaging Service"))
	fs.StringVar(&f.spoolDir, "spool", "", app.T("数据库不可用时暂存短信的本地目录（默认：SQLite 库旁的 PATH-spool，PostgreSQL 时为当前目录下的 lifeline-spool）", "local directory for messages accepted while the store is unreachable (default: PATH-spool beside a SQLite store, lifeline-spool in the working directory with PostgreSQL)"))
	fs.Int64Var(&f.spoolMB, "spool-max-mb", 256, app.T("暂存文件上限（MiB）", "the spool's size bound in MiB"))
	fs.DurationVar(&f.cfg.HoldAfter, "hold-after", 2*time.Minute, app.T("短信因数据库不可用等待超过此时间，给该号码发一条“已收到，稍后回复”（0：不发）", "after a message has waited this long for the store, its number gets one holding text (0: never)"))
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", app.T("只在此内部地址提供 /metrics（默认与短信回调同一地址）", "serve /metrics on this internal address only (default: on --addr)"))
	fs.IntVar(&f.cfg.MaxConns, "max-conns", 2048, app.T("同时保持的连接数上限，更多的在内核队列里等（调低则洪峰中每条短信处理得更快、占内存更少，但慢速连接更易占满）", "connections held open at once, more wait in the kernel's queue (fewer handle each text sooner in a flood and use less memory, but slow connections fill them sooner)"))
	fs.IntVar(&f.cfg.MaxConnsPerSource, "max-conns-per-source", 512, app.T("同一来源地址最多同时占用的连接数（0：不限；经代理时应放宽）", "connections one source address may hold at once (0: no cap; raise it behind a proxy)"))
	fs.DurationVar(&f.cfg.KeepInbound, "keep-inbound", 48*time.Hour, app.T("记住短信 MessageSid 多久（重发得到同一回复），过后清除", "how long a MessageSid is remembered (a retry gets the same reply); older ones are forgotten"))
	f.cfg.VoiceFlags(fs, app.Lang)
	fs.StringVar(&f.upstream, "upstream", os.Getenv("LIFELINE_UPSTREAM_URL"), app.T("同时向此市级平台地址上送现场登记（环境变量 LIFELINE_UPSTREAM_URL，令牌 LIFELINE_UPSTREAM_TOKEN）", "also deliver on-site registrations to this platform URL (env LIFELINE_UPSTREAM_URL, token LIFELINE_UPSTREAM_TOKEN)"))
	f.desk, f.ssh = addTUIFlags(app, fs), sshd.AddFlags(fs, app.Lang)
	if err := app.parse(fs, args); err != nil {
		return nil, err
	}
	if f.insecure {
		if err := sms.CheckLoopback(f.addr); err != nil {
			return nil, &usageError{msg: lifeline.ErrorMessage(err, app.Lang)}
		}
	}
	f.cfg.ZeroMeansNone()
	if f.sendRate < 0 || f.spoolMB < 1 {
		return nil, app.usagef("--send-rate 不能为负，--spool-max-mb 至少为 1", "--send-rate cannot be negative and --spool-max-mb must be at least 1")
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
	cfg.SeparateMetrics = f.metricsAddr != ""
	srv, err := sms.NewTwilioGateway(cfg, sms.TwilioAccount{AccountSid: os.Getenv("TWILIO_ACCOUNT_SID"), AuthToken: token, APIURL: os.Getenv("LIFELINE_TWILIO_API_URL"),
		From: f.from, MessagingServiceSid: f.service, StatusCallback: f.base() + "/sms/status", Rate: f.sendRate}, app.DBPath, f.spoolDir, f.spoolMB<<20)
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
	if f.metricsAddr != "" {
		if err := srv.ListenMetrics(ctx, f.metricsAddr); err != nil {
			ln.Close()
			return err
		}
	}
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	fmt.Fprintln(app.Stdout, app.T("短信网关已停止。", "SMS gateway stopped."))
	return nil
}
