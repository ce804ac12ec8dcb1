package main

import (
	"bufio"
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
	switch {
	case len(args) > 0 && args[0] == "send":
		return runSMSSend(ctx, app, args[1:])
	case len(args) > 0 && args[0] == "call":
		return runSMSCall(ctx, app, args[1:])
	}
	return app.usagef("用法：lifeline sms send --url 地址 --from 手机号 内容，或 lifeline sms call --url 地址 --from 电话 [--digits 按键]",
		"usage: lifeline sms send --url URL --from PHONE TEXT, or lifeline sms call --url URL --from PHONE [--digits KEYS]")
}

func runSMSSend(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("sms send")
	target := fs.String("url", "http://127.0.0.1:8080/sms", app.T("网关的短信回调地址（与网关的 --public-url 一致）", "the gateway's webhook URL (as its --public-url gives it)"))
	from := fs.String("from", "", app.T("发信人手机号", "the sender's phone number"))
	to := fs.String("to", "+10000000000", app.T("收信号码（网关的号码）", "the number texted (the gateway's)"))
	sid := fs.String("sid", "", app.T("MessageSid（默认每次新生成；重复使用可测试重试）", "MessageSid (fresh by default; reuse one to try a Twilio retry)"))
	words, err := app.args(fs, args)
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

// runSMSCall plays Twilio for a call: it prints what the caller would hear
// and presses the keys given with --digits, one at each menu ("-" presses
// none), or, without --digits, the key typed on a line of standard input
// (an empty line or its end presses none).
func runSMSCall(ctx context.Context, app *App, args []string) error {
	fs := app.newFlagSet("sms call")
	target := fs.String("url", "http://127.0.0.1:8080/voice", app.T("网关的语音回调地址（与网关的 --public-url 一致）", "the gateway's voice webhook URL (as its --public-url gives it)"))
	from := fs.String("from", "", app.T("来电号码（手机或带区号的固定电话）", "the calling number (a mobile or a landline with its area code)"))
	to := fs.String("to", "+10000000000", app.T("被叫号码（网关的号码）", "the number called (the gateway's)"))
	digits := fs.String("digits", "", app.T("依次按下的键，每次菜单一个，- 表示不按，如 23-；不给则从标准输入逐行读取", "keys to press, one at each menu, - for none, e.g. 23-; without it, read a line of standard input at each menu"))
	if err := app.parse(fs, args); err != nil {
		return err
	}
	if *from == "" {
		return app.usagef("请给出 --from 来电号码", "give --from, the calling number")
	}
	phone, err := lifeline.NormalizePhone(*from)
	if err != nil {
		return err
	}
	if _, err := url.Parse(*target); err != nil {
		return app.usagef("--url 无效：%v", "invalid --url: %v", err)
	}
	keys := scriptedKeys(*digits)
	if *digits == "" {
		keys = promptedKeys(app)
	}
	return sms.PlayCall(ctx, &http.Client{Timeout: 15 * time.Second}, *target, os.Getenv("TWILIO_AUTH_TOKEN"),
		sms.Call{AccountSID: os.Getenv("TWILIO_ACCOUNT_SID"), From: phone, To: *to}, keys, func(h sms.Heard) { printHeard(app, h) })
}

// scriptedKeys presses the keys of --digits in turn, then none.
func scriptedKeys(digits string) func() (string, error) {
	keys := []rune(strings.Join(strings.Fields(digits), ""))
	return func() (string, error) {
		if len(keys) == 0 {
			return "", nil
		}
		k := keys[0]
		keys = keys[1:]
		if k == '-' {
			return "", nil
		}
		return string(k), nil
	}
}

// promptedKeys asks for a key on standard input at each menu.
func promptedKeys(app *App) func() (string, error) {
	in := bufio.NewScanner(app.Stdin)
	return func() (string, error) {
		fmt.Fprint(app.Stderr, app.T("按键（回车表示不按）：", "key (Enter for none): "))
		if !in.Scan() {
			fmt.Fprintln(app.Stderr)
			return "", in.Err()
		}
		k := []rune(strings.TrimSpace(in.Text()))
		if len(k) == 0 {
			return "", nil
		}
		return string(k[0]), nil
	}
}

func printHeard(app *App, h sms.Heard) {
	switch h.Kind {
	case sms.HeardSay:
		fmt.Fprintln(app.Stdout, app.T("说：", "say: ")+h.Text)
	case sms.HeardPause:
		fmt.Fprintln(app.Stdout, app.T("（停顿）", "(pause)"))
	case sms.HeardKey:
		fmt.Fprintln(app.Stdout, app.T("按键：", "key: ")+h.Text)
	case sms.HeardNoKey:
		fmt.Fprintln(app.Stdout, app.T("（未按键）", "(no key)"))
	case sms.HeardDial:
		fmt.Fprintln(app.Stdout, app.T("转接：", "put through to: ")+h.Text)
	case sms.HeardHangUp:
		fmt.Fprintln(app.Stdout, app.T("（挂断）", "(hang up)"))
	}
}
