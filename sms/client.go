package sms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
)

// Text is one inbound text as Twilio's webhook posts it.
type Text struct {
	// SID is its MessageSid; empty gets a fresh one. Sending one again
	// plays a Twilio retry.
	SID        string
	AccountSID string
	From, To   string // E.164
	Body       string
}

// Post plays Twilio: it posts t to a gateway's webhook at webhook, with the
// fields Twilio sends, signed with authToken over that URL (unsigned when
// the token is empty), and returns the messages of the TwiML answer, none
// when the gateway stays silent (a number over its rate limit). A refused
// signature, a busy gateway and an answer that is not TwiML are errors
// that say so.
func Post(ctx context.Context, c *http.Client, webhook, authToken string, t Text) ([]string, error) {
	if t.SID == "" {
		b := make([]byte, 16)
		rand.Read(b)
		t.SID = "SM" + hex.EncodeToString(b)
	}
	form := url.Values{
		"MessageSid": {t.SID}, "SmsSid": {t.SID}, "AccountSid": {t.AccountSID},
		"From": {t.From}, "To": {t.To}, "Body": {t.Body}, "NumSegments": {"1"}, "NumMedia": {"0"}, "ApiVersion": {"2010-04-01"},
	}
	req, err := http.NewRequestWithContext(ctx, "POST", webhook, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("网关地址无效："+webhook, "not a gateway URL: "+webhook))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authToken != "" {
		req.Header.Set("X-Twilio-Signature", Signature(authToken, webhook, form))
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法连接网关 "+webhook, "cannot reach the gateway at "+webhook))
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	switch res.StatusCode {
	case http.StatusOK:
	case http.StatusForbidden:
		return nil, lifeline.Errorf(lifeline.EFORBIDDEN, lifeline.T(
			"网关拒绝了签名：TWILIO_AUTH_TOKEN 是否与网关一致，--url 是否就是网关的 --public-url 加 /sms？",
			"the gateway refused the signature: is TWILIO_AUTH_TOKEN the gateway's, and is --url the gateway's --public-url plus /sms?"))
	case http.StatusServiceUnavailable:
		return nil, lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T("网关繁忙（503），请 "+res.Header.Get("Retry-After")+" 秒后再试", "the gateway is busy (503); try again in "+res.Header.Get("Retry-After")+" s"))
	default:
		return nil, lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T(fmt.Sprintf("网关答复 HTTP %d", res.StatusCode), fmt.Sprintf("the gateway answered HTTP %d", res.StatusCode)))
	}
	var twiml struct {
		Messages []string `xml:"Message"`
	}
	if err := xml.Unmarshal(body, &twiml); err != nil {
		return nil, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("网关的答复不是 TwiML", "the gateway's answer is not TwiML"))
	}
	return twiml.Messages, nil
}
