package sms

import (
	"bufio"
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
// fields Twilio sends (From as E.164; one that is no phone number is
// EINVALID), signed with authToken over that URL (unsigned when
// the token is empty), and returns the messages of the TwiML answer, none
// when the gateway stays silent (a number over its rate limit). A refused
// signature, a busy gateway and an answer that is not TwiML are errors
// that say so.
func Post(ctx context.Context, c *http.Client, webhook, authToken string, t Text) ([]string, error) {
	from, err := lifeline.NormalizePhone(t.From)
	if err != nil {
		return nil, err
	}
	t.From = from
	if t.SID == "" {
		b := make([]byte, 16)
		rand.Read(b)
		t.SID = "SM" + hex.EncodeToString(b)
	}
	form := url.Values{
		"MessageSid": {t.SID}, "SmsSid": {t.SID}, "AccountSid": {t.AccountSID},
		"From": {t.From}, "To": {t.To}, "Body": {t.Body}, "NumSegments": {"1"}, "NumMedia": {"0"}, "ApiVersion": {"2010-04-01"},
	}
	body, err := postTwilio(ctx, c, webhook, authToken, form)
	if err != nil {
		return nil, err
	}
	var twiml struct {
		Messages []string `xml:"Message"`
	}
	if err := xml.Unmarshal(body, &twiml); err != nil {
		return nil, errNotTwiML(err)
	}
	return twiml.Messages, nil
}

func errNotTwiML(err error) error {
	return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("网关的答复不是 TwiML", "the gateway's answer is not TwiML"))
}

// postTwilio posts a form to a gateway's webhook as Twilio does, signed
// with authToken over that URL (unsigned when the token is empty), and
// returns the body of a 200 answer; a refused signature, a busy gateway
// and any other status are errors that say so.
func postTwilio(ctx context.Context, c *http.Client, webhook, authToken string, form url.Values) ([]byte, error) {
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
		return body, nil
	case http.StatusForbidden:
		return nil, lifeline.Errorf(lifeline.EFORBIDDEN, lifeline.T(
			"网关拒绝了签名：TWILIO_AUTH_TOKEN 是否与网关一致，--url 是否就是网关的 --public-url 加 /sms 或 /voice？",
			"the gateway refused the signature: is TWILIO_AUTH_TOKEN the gateway's, and is --url the gateway's --public-url plus /sms or /voice?"))
	case http.StatusServiceUnavailable:
		return nil, lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T("网关繁忙（503），请 "+res.Header.Get("Retry-After")+" 秒后再试", "the gateway is busy (503); try again in "+res.Header.Get("Retry-After")+" s"))
	}
	return nil, lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T(fmt.Sprintf("网关答复 HTTP %d", res.StatusCode), fmt.Sprintf("the gateway answered HTTP %d", res.StatusCode)))
}

// Call is one incoming call as Twilio's voice webhook posts it.
type Call struct {
	// SID is its CallSid; empty gets a fresh one.
	SID        string
	AccountSID string
	From, To   string // E.164
}

// Heard is one thing that happens on a played call: something said, a
// key pressed or not, a transfer, the end.
type Heard struct {
	Kind HeardKind
	// Text is what was said, the key pressed, or the number dialled.
	Text string
}

// HeardKind is what a Heard is.
type HeardKind int

// What happens on a call.
const (
	HeardSay    HeardKind = iota // Text was said
	HeardPause                   // a moment of silence
	HeardKey                     // the caller pressed Text
	HeardNoKey                   // the caller pressed nothing
	HeardDial                    // the call was put through to Text
	HeardHangUp                  // the call ended
)

// maxCallRequests bounds how many requests one played call makes: a
// gateway that keeps answering with a menu and a caller who keeps pressing
// keys end somewhere.
const maxCallRequests = 100

// PlayCall plays Twilio for a voice call against a gateway's webhook at
// webhook: it posts the call's fields (signed as Post signs, From as
// E.164), then follows
// the TwiML answers as Twilio would. Each <Say> and <Pause> is told to
// heard; at each <Gather> keys gives the key pressed ("" for none): a key
// is posted to the Gather's action with Digits, none goes on to what
// follows the Gather. A <Dial> is told and the call goes on as it would
// once the other side hung up; <Redirect> is followed; the call ends at
// <Hangup> or the end of an answer.
func PlayCall(ctx context.Context, c *http.Client, webhook, authToken string, call Call, keys func() (string, error), heard func(Heard)) error {
	from, err := lifeline.NormalizePhone(call.From)
	if err != nil {
		return err
	}
	call.From = from
	if call.SID == "" {
		b := make([]byte, 16)
		rand.Read(b)
		call.SID = "CA" + hex.EncodeToString(b)
	}
	base := url.Values{"CallSid": {call.SID}, "AccountSid": {call.AccountSID}, "From": {call.From}, "To": {call.To},
		"CallStatus": {"ringing"}, "Direction": {"inbound"}, "ApiVersion": {"2010-04-01"}}
	at, form := webhook, base
	for n := 0; n < maxCallRequests; n++ {
		body, err := postTwilio(ctx, c, at, authToken, form)
		if err != nil {
			return err
		}
		var doc twimlNode
		if err := xml.Unmarshal(body, &doc); err != nil || doc.XMLName.Local != "Response" {
			return errNotTwiML(err)
		}
		next, digits, err := playVerbs(doc.Nodes, keys, heard)
		if err != nil {
			return err
		}
		if next == "" {
			heard(Heard{Kind: HeardHangUp})
			return nil
		}
		u, err := url.Parse(at)
		if err != nil {
			return err
		}
		ref, err := url.Parse(next)
		if err != nil {
			return errNotTwiML(err)
		}
		at = u.ResolveReference(ref).String()
		form = url.Values{}
		for k, v := range base {
			form[k] = v
		}
		form.Set("CallStatus", "in-progress")
		if digits != nil {
			form.Set("Digits", *digits)
		}
	}
	return lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T("通话请求过多，已停止", "too many requests in one call; stopped"))
}

// twimlNode is any element of a TwiML answer.
type twimlNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr  `xml:",any,attr"`
	Text    string      `xml:",chardata"`
	Nodes   []twimlNode `xml:",any"`
}

func (n twimlNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// said is the text of a <Say>, SSML inside it included.
func (n twimlNode) said() string {
	s := n.Text
	for _, c := range n.Nodes {
		s += c.said()
	}
	return strings.TrimSpace(s)
}

// playVerbs plays one answer's verbs and returns the URL to request next
// ("" when the call ends) and the digits to post there (nil when none).
func playVerbs(verbs []twimlNode, keys func() (string, error), heard func(Heard)) (next string, digits *string, err error) {
	for _, v := range verbs {
		switch v.XMLName.Local {
		case "Say":
			heard(Heard{Kind: HeardSay, Text: v.said()})
		case "Pause":
			heard(Heard{Kind: HeardPause})
		case "Gather":
			for _, in := range v.Nodes {
				switch in.XMLName.Local {
				case "Say":
					heard(Heard{Kind: HeardSay, Text: in.said()})
				case "Pause":
					heard(Heard{Kind: HeardPause})
				}
			}
			key, err := keys()
			if err != nil {
				return "", nil, err
			}
			if key == "" {
				heard(Heard{Kind: HeardNoKey})
				continue
			}
			heard(Heard{Kind: HeardKey, Text: key})
			return v.attr("action"), &key, nil
		case "Dial":
			heard(Heard{Kind: HeardDial, Text: strings.TrimSpace(v.said())})
		case "Redirect":
			return strings.TrimSpace(v.Text), nil, nil
		case "Hangup", "Reject":
			return "", nil, nil
		}
	}
	return "", nil, nil
}

// Line is what a person reads of h: 说：…, 按键：2, （挂断）.
func (h Heard) Line(l lifeline.Lang) string {
	switch h.Kind {
	case HeardSay:
		return l.Pick("说：", "say: ") + h.Text
	case HeardPause:
		return l.Pick("（停顿）", "(pause)")
	case HeardKey:
		return l.Pick("按键：", "key: ") + h.Text
	case HeardNoKey:
		return l.Pick("（未按键）", "(no key)")
	case HeardDial:
		return l.Pick("转接：", "put through to: ") + h.Text
	}
	return l.Pick("（挂断）", "(hang up)")
}

// Keys is what sms call presses: the keys of digits (KeysFrom), or, when
// there are none, the keys typed on in (KeysTyped).
func Keys(digits string, in io.Reader, prompt io.Writer, l lifeline.Lang) func() (string, error) {
	if digits != "" {
		return KeysFrom(digits)
	}
	return KeysTyped(in, prompt, l)
}

// KeysFrom gives PlayCall the keys of digits in turn, one a menu ("-"
// presses none; spaces are ignored), then none: sms call's --digits.
func KeysFrom(digits string) func() (string, error) {
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

// KeysTyped gives PlayCall the key typed on a line of in at each menu,
// asking on prompt; an empty line, or the end of in, presses none.
func KeysTyped(in io.Reader, prompt io.Writer, l lifeline.Lang) func() (string, error) {
	lines := bufio.NewScanner(in)
	return func() (string, error) {
		fmt.Fprint(prompt, l.Pick("按键（回车表示不按）：", "key (Enter for none): "))
		if !lines.Scan() {
			fmt.Fprintln(prompt)
			return "", lines.Err()
		}
		k := []rune(strings.TrimSpace(lines.Text()))
		if len(k) == 0 {
			return "", nil
		}
		return string(k[0]), nil
	}
}
