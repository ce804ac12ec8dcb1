package sms

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	lifeline "github.com/lifeline-health/lifeline"
	twilio "github.com/twilio/twilio-go"
	twclient "github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"
	"github.com/twilio/twilio-go/twiml"
)

// Twilio is the Provider for Twilio: webhooks signed with X-Twilio-Signature
// (signature.go), answers in TwiML, messages sent and looked up with
// twilio-go.
type Twilio struct {
	// AuthToken signs webhooks; Insecure accepts them unsigned (local
	// development only).
	AuthToken string
	Insecure  bool
	// Public is the URL Twilio calls: its scheme, host and port are what
	// Twilio signs, with the request's path and query.
	Public *url.URL
	// REST sends messages; nil for a gateway that only answers inline.
	REST *twilio.RestClient
	// From is the sending number, or MessagingServiceSid a Messaging
	// Service (several senders, for throughput); StatusCallback the public
	// URL of POST /sms/status, or "".
	From, MessagingServiceSid, StatusCallback string
	AccountSid                                string
}

// ErrOptedOut is Twilio's error 21610: the recipient replied STOP to the
// sending number. Sending to them again is refused until they reply START.
const ErrOptedOut = 21610

// Twilio's error codes for an account over its rate: 20429 (too many
// requests to the API) and 63018 (the channel's rate limit).
const (
	errTooManyRequests = 20429
	errChannelRate     = 63018
)

// NewTwilioClient returns a twilio-go client for an account. A non-empty
// apiURL (such as http://127.0.0.1:8089, a stand-in for Twilio's REST API)
// receives every request instead of Twilio's hosts.
func NewTwilioClient(accountSid, authToken, apiURL string) (*twilio.RestClient, error) {
	hc := &http.Client{Timeout: 20 * time.Second}
	if apiURL != "" {
		u, err := url.Parse(apiURL)
		if err != nil || u.Host == "" {
			return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("LIFELINE_TWILIO_API_URL 不是有效地址", "LIFELINE_TWILIO_API_URL is not a valid URL"))
		}
		hc.Transport = &rewriteHost{to: u, next: http.DefaultTransport}
	}
	c := &twclient.Client{Credentials: twclient.NewCredentials(accountSid, authToken), HTTPClient: hc}
	c.SetAccountSid(accountSid)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: c}), nil
}

// rewriteHost sends every request to another scheme and host.
type rewriteHost struct {
	to   *url.URL
	next http.RoundTripper
}

func (t *rewriteHost) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.to.Scheme, t.to.Host, t.to.Host
	return t.next.RoundTrip(r)
}

// Verify checks X-Twilio-Signature over the public URL with the request's
// path and query.
func (t *Twilio) Verify(r *http.Request, form url.Values) bool {
	return t.Insecure || ValidSignature(t.AuthToken, RequestURL(t.Public, r.URL.RequestURI()), form, r.Header.Get("X-Twilio-Signature"))
}

// Inbound reads Twilio's MessageSid (or the older SmsSid), From and Body.
func (t *Twilio) Inbound(form url.Values) (Inbound, bool) {
	sid := form.Get("MessageSid")
	if sid == "" {
		sid = form.Get("SmsSid")
	}
	return Inbound{ID: sid, From: form.Get("From"), Body: form.Get("Body")}, sid != ""
}

// Delivery reads a status callback's MessageSid, MessageStatus and
// ErrorCode.
func (t *Twilio) Delivery(form url.Values) (Delivery, bool) {
	d := Delivery{ID: form.Get("MessageSid"), Status: strings.ToLower(form.Get("MessageStatus")), ErrorCode: form.Get("ErrorCode"), To: form.Get("To")}
	return d, d.ID != "" && d.Status != ""
}

// WriteReply answers with a <Response>, holding one <Message> unless reply
// is empty.
func (t *Twilio) WriteReply(w http.ResponseWriter, reply string) {
	x, err := twimlMessage(reply)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h["Content-Type"] = twimlContentType
	h["Content-Length"] = []string{strconv.Itoa(len(x))}
	w.Write(x)
}

var twimlContentType = []string{"text/xml; charset=utf-8"}

const (
	twimlHead  = `<?xml version="1.0" encoding="UTF-8"?><Response><Message>`
	twimlTail  = `</Message></Response>`
	twimlEmpty = `<?xml version="1.0" encoding="UTF-8"?><Response/>`
)

// twimlMessage is the TwiML twilio-go's writer makes for one <Message>
// holding reply (or none when reply is empty). A reply that needs no
// escaping, as every reply the gateway writes does, is framed directly;
// anything else goes through twilio-go's writer. twiml_internal_test.go
// checks the two agree.
func twimlMessage(reply string) ([]byte, error) {
	if reply == "" {
		return []byte(twimlEmpty), nil
	}
	if plainXMLText(reply) {
		b := make([]byte, 0, len(twimlHead)+len(reply)+len(twimlTail))
		b = append(b, twimlHead...)
		b = append(b, reply...)
		return append(b, twimlTail...), nil
	}
	x, err := twiml.Messages([]twiml.Element{&twiml.MessagingMessage{Body: reply}})
	return []byte(x), err
}

// plainXMLText reports whether s is valid UTF-8 made only of characters
// XML allows that no writer escapes in text: no & < > ' ", no control
// characters but tab, newline and carriage return.
func plainXMLText(s string) bool {
	for _, r := range s {
		switch {
		case r == '&' || r == '<' || r == '>' || r == '\'' || r == '"':
			return false
		case r == '\t' || r == '\n' || r == '\r':
		case r < 0x20:
			return false
		case r == utf8.RuneError:
			// Invalid UTF-8 decodes to this too; let the writer decide.
			return false
		case r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
			return false
		}
	}
	return true
}

// ready says whether messages can be sent: a sending number or a
// Messaging Service is needed.
func (t *Twilio) ready() error {
	if t.REST == nil || (t.From == "" && t.MessagingServiceSid == "") {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("未设置发信号码（--from 或 TWILIO_FROM）", "no sending number: give --from or TWILIO_FROM"))
	}
	return nil
}

// Account is the account SID.
func (t *Twilio) Account() string { return t.AccountSid }

// Send creates a message with Messages.Create, from the sending number or
// the Messaging Service, with the status callback.
func (t *Twilio) Send(_ context.Context, to, body string) (string, error) {
	if t.REST == nil {
		return "", errors.New("no Twilio REST credentials")
	}
	p := &api.CreateMessageParams{}
	p.SetTo(to)
	p.SetBody(body)
	if t.MessagingServiceSid != "" {
		p.SetMessagingServiceSid(t.MessagingServiceSid)
	} else {
		p.SetFrom(t.From)
	}
	if t.StatusCallback != "" {
		p.SetStatusCallback(t.StatusCallback)
	}
	resp, err := t.REST.Api.CreateMessage(p)
	if err != nil {
		return "", twilioSendError(err)
	}
	if resp == nil || resp.Sid == nil || *resp.Sid == "" {
		return "", errors.New("twilio answered without a message SID")
	}
	return *resp.Sid, nil
}

// twilioSendError turns Twilio's refusal into a SendError; anything else
// (a network error, an unreadable answer) stays as it is: the outcome is
// unknown.
func twilioSendError(err error) error {
	var te *twclient.TwilioRestError
	if !errors.As(err, &te) {
		return err
	}
	e := &SendError{Status: te.Status, Code: te.Code, Message: te.Message}
	switch {
	case te.Code == ErrOptedOut:
		e.Kind = SendOptedOut
	case te.Status == http.StatusTooManyRequests || te.Code == errTooManyRequests || te.Code == errChannelRate:
		e.Kind = SendThrottled
	case te.Status >= 500:
		e.Kind = SendTemporary
	case te.Status >= 400:
		e.Kind = SendRefused
	default:
		return err
	}
	return e
}

// FindSent asks Twilio for the messages to to with body created since
// since (among the newest 200 to that number).
func (t *Twilio) FindSent(_ context.Context, to, body string, since time.Time) ([]string, error) {
	if t.REST == nil {
		return nil, errors.New("no Twilio REST credentials")
	}
	p := &api.ListMessageParams{}
	p.SetTo(to)
	if t.From != "" {
		p.SetFrom(t.From)
	}
	// No DateSent filter: a message Twilio accepted a moment ago may not be
	// sent yet and has no DateSent. The list comes newest first.
	p.SetPageSize(50)
	p.SetLimit(200)
	list, err := t.REST.Api.ListMessage(p)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, x := range list {
		if x.Sid == nil || x.Body == nil || strings.TrimSpace(*x.Body) != strings.TrimSpace(body) {
			continue
		}
		if x.DateCreated != nil {
			if at, err := time.Parse(time.RFC1123Z, *x.DateCreated); err == nil && at.Before(since.Add(-time.Minute)) {
				continue
			}
		}
		ids = append(ids, *x.Sid)
	}
	return ids, nil
}
