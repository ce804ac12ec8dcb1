package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/sms"
)

func init() {
	register(&command{
		name:    "sms",
		summary: lifeline.T("扮演 Twilio 向网关发一条短信：lifeline sms send --url 地址 --from 手机号 内容", "play Twilio and text the gateway: lifeline sms send --url URL --from PHONE TEXT"),
		run:     runSMS,
	})
}

func runSMS(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 || args[0] != "send" {
		return app.usagef("用法：lifeline sms send --url 地址 --from 手机号 内容", "usage: lifeline sms send --url URL --from PHONE TEXT")
	}
	fs := app.newFlagSet("sms send")
	target := fs.String("url", "http://127.0.0.1:8080/sms", app.T("网关的短信回调地址（与网关的 --public-url 一致）", "the gateway's webhook URL (as its --public-url gives it)"))
	from := fs.String("from", "", app.T("发信人手机号", "the sender's phone number"))
	to := fs.String("to", "+10000000000", app.T("收信号码（网关的号码）", "the number texted (the gateway's)"))
	sid := fs.String("sid", "", app.T("MessageSid（默认每次新生成；重复使用可测试重试）", "MessageSid (fresh by default; reuse one to try a Twilio retry)"))
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	text := strings.Join(fs.Args(), " ")
	if *from == "" || text == "" {
		return app.usagef("请给出 --from 手机号和短信内容", "give --from PHONE and the text to send")
	}
	phone, err := lifeline.NormalizePhone(*from)
	if err != nil {
		return err
	}
	if *sid == "" {
		b := make([]byte, 16)
		rand.Read(b)
		*sid = "SM" + hex.EncodeToString(b)
	}
	form := url.Values{
		"MessageSid": {*sid}, "SmsSid": {*sid}, "AccountSid": {os.Getenv("TWILIO_ACCOUNT_SID")},
		"From": {phone}, "To": {*to}, "Body": {text}, "NumSegments": {"1"}, "NumMedia": {"0"}, "ApiVersion": {"2010-04-01"},
	}
	req, err := http.NewRequestWithContext(ctx, "POST", *target, strings.NewReader(form.Encode()))
	if err != nil {
		return app.usagef("--url 无效：%v", "invalid --url: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token := os.Getenv("TWILIO_AUTH_TOKEN"); token != "" {
		req.Header.Set("X-Twilio-Signature", sms.Signature(token, *target, form))
	}
	res, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	if err != nil {
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法连接网关 "+*target, "cannot reach the gateway at "+*target))
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	switch res.StatusCode {
	case http.StatusOK:
	case http.StatusForbidden:
		return lifeline.Errorf(lifeline.EFORBIDDEN, lifeline.T(
			"网关拒绝了签名：TWILIO_AUTH_TOKEN 是否与网关一致，--url 是否就是网关的 --public-url 加 /sms？",
			"the gateway refused the signature: is TWILIO_AUTH_TOKEN the gateway's, and is --url the gateway's --public-url plus /sms?"))
	case http.StatusServiceUnavailable:
		return lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T("网关繁忙（503），请 "+res.Header.Get("Retry-After")+" 秒后再试", "the gateway is busy (503); try again in "+res.Header.Get("Retry-After")+" s"))
	default:
		return lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T(fmt.Sprintf("网关答复 HTTP %d", res.StatusCode), fmt.Sprintf("the gateway answered HTTP %d", res.StatusCode)))
	}
	var twiml struct {
		Messages []string `xml:"Message"`
	}
	if err := xml.Unmarshal(body, &twiml); err != nil {
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("网关的答复不是 TwiML", "the gateway's answer is not TwiML"))
	}
	if len(twiml.Messages) == 0 {
		fmt.Fprintln(app.Stderr, app.T("（没有回复：该号码短时间内发得太多，网关暂不回复）", "(no reply: this number sent too many messages in a short time, so the gateway stays silent)"))
		return nil
	}
	for _, m := range twiml.Messages {
		fmt.Fprintln(app.Stdout, m)
	}
	return nil
}
