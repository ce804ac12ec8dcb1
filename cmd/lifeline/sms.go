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

// runSMS plays Twilio: sms send texts the gateway and prints the reply;
// sms call calls it, prints what is said and presses --digits (one a menu,
// - for none) or the keys typed on standard input.
func runSMS(ctx context.Context, app *App, args []string) error {
	if app.wantsHelp("sms", args) {
		return flag.ErrHelp
	}
	if len(args) == 0 || (args[0] != "send" && args[0] != "call") {
		return app.usagef("用法：lifeline sms send --url 地址 --from 手机号 内容，或 lifeline sms call --url 地址 --from 电话 [--digits 按键]",
			"usage: lifeline sms send --url URL --from PHONE TEXT, or lifeline sms call --url URL --from PHONE [--digits KEYS]")
	}
	call := args[0] == "call"
	fs := app.newFlagSet("sms " + args[0])
	target := fs.String("url", "http://127.0.0.1:8080/"+map[bool]string{false: "sms", true: "voice"}[call], app.T("网关的回调地址（与网关的 --public-url 一致）", "the gateway's webhook URL (as its --public-url gives it)"))
	from := fs.String("from", "", app.T("发信或来电的号码", "the number that texts or calls"))
	to := fs.String("to", "+10000000000", app.T("网关的号码", "the gateway's number"))
	sid := fs.String("sid", "", app.T("MessageSid（默认每次新生成；重复使用可测试重试）", "MessageSid (fresh by default; reuse one to try a Twilio retry)"))
	digits := fs.String("digits", "", app.T("sms call 依次按下的键，每次菜单一个，- 表示不按，如 23-；不给则从标准输入逐行读取", "sms call's keys, one at each menu, - for none, e.g. 23-; without it, read a line of standard input at each menu"))
	words, err := app.args(fs, args[1:])
	if err != nil {
		return err
	}
	text := strings.Join(words, " ")
	if *from == "" || (text == "") != call {
		return app.usagef("请给出 --from 号码（sms send 还要短信内容）", "give --from PHONE (and, to sms send, the text)")
	}
	if _, err := url.Parse(*target); err != nil {
		return app.usagef("--url 无效：%v", "invalid --url: %v", err)
	}
	client, token, account := &http.Client{Timeout: 15 * time.Second}, os.Getenv("TWILIO_AUTH_TOKEN"), os.Getenv("TWILIO_ACCOUNT_SID")
	if call {
		return sms.PlayCall(ctx, client, *target, token, sms.Call{AccountSID: account, From: *from, To: *to},
			sms.Keys(*digits, app.Stdin, app.Stderr, app.Lang), func(h sms.Heard) { fmt.Fprintln(app.Stdout, lifeline.Printable(h.Line(app.Lang))) })
	}
	replies, err := sms.Post(ctx, client, *target, token, sms.Text{SID: *sid, AccountSID: account, From: *from, To: *to, Body: text})
	if err != nil {
		return err
	}
	if len(replies) == 0 {
		fmt.Fprintln(app.Stderr, app.T("（网关已收下，没有当场回复：回复稍后经短信接口另发；若该号码短时间内发得太多，则不回复）",
			"(accepted, no answer inline: the answer comes separately through the provider's API, or none if this number sent too many messages in a short time)"))
		return nil
	}
	for _, m := range replies {
		fmt.Fprintln(app.Stdout, lifeline.PrintableLines(m)) // what a gateway answered: shown, never obeyed
	}
	return nil
}
