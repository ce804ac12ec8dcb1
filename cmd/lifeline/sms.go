package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
)

func runSMS(ctx context.Context, app *App, args []string) error {
	if app.wantsHelp("sms", args) {
		return flag.ErrHelp
	}
	if len(args) == 0 || args[0] != "send" {
		return app.usagef("用法：lifeline sms send --url 地址 --from 手机号 内容", "usage: lifeline sms send --url URL --from PHONE TEXT")
	}
	fs := app.newFlagSet("sms send")
	target := fs.String("url", "http://127.0.0.1:8080/sms", app.T("网关的短信回调地址（与网关的 --public-url 一致）", "the gateway's webhook URL (as its --public-url gives it)"))
	from := fs.String("from", "", app.T("发信人手机号", "the sender's phone number"))
	to := fs.String("to", "+10000000000", app.T("收信号码（网关的号码）", "the number texted (the gateway's)"))
	sid := fs.String("sid", "", app.T("MessageSid（默认每次新生成；重复使用可测试重试）", "MessageSid (fresh by default; reuse one to try a Twilio retry)"))
	words, err := app.args(fs, args[1:])
	if err != nil {
		return err
	}
	text := strings.Join(words, " ")
	if *from == "" || text == "" {
		return app.usagef("请给出 --from 手机号和短信内容", "give --from PHONE and the text to send")
	}
	phone, err := lifeline.NormalizePhone(*from)
	if err != nil {
		return err
	}
	if _, err := url.Parse(*target); err != nil {
		return app.usagef("--url 无效：%v", "invalid --url: %v", err)
	}
	replies, err := sms.Post(ctx, &http.Client{Timeout: 15 * time.Second}, *target, os.Getenv("TWILIO_AUTH_TOKEN"),
		sms.Text{SID: *sid, AccountSID: os.Getenv("TWILIO_ACCOUNT_SID"), From: phone, To: *to, Body: text})
	if err != nil {
		return err
	}
	if len(replies) == 0 {
		fmt.Fprintln(app.Stderr, app.T("（没有回复：该号码短时间内发得太多，网关暂不回复）", "(no reply: this number sent too many messages in a short time, so the gateway stays silent)"))
		return nil
	}
	for _, m := range replies {
		fmt.Fprintln(app.Stdout, lifeline.Printable(m)) // what a gateway answered: shown, never obeyed
	}
	return nil
}
