package sms

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Provider is the seam between the gateway and an SMS provider: all the
// gateway knows of one is how its webhook is authenticated and read, how
// an answer goes back in the webhook's response, and how a message is sent
// through its API. Twilio is the provider there is (twilio.go); another,
// such as a domestic provider for a Chinese city, is one more file with a
// type that has these methods.
type Provider interface {
	Webhook
	Messenger
}

// Webhook is the inbound half of a Provider.
type Webhook interface {
	// Verify reports whether a webhook request, whose form has been read,
	// comes from the provider (for Twilio, its X-Twilio-Signature).
	Verify(r *http.Request, form url.Values) bool
	// Inbound reads the text of a verified webhook; ok is false when the
	// request is not one (no message id).
	Inbound(form url.Values) (in Inbound, ok bool)
	// Delivery reads a verified delivery-status callback; ok is false when
	// the request is not one.
	Delivery(form url.Values) (d Delivery, ok bool)
	// WriteReply answers a webhook: with reply as the answer, or with an
	// acknowledgement that carries none when reply is "" (the answer, if
	// any, comes through the provider's API).
	WriteReply(w http.ResponseWriter, reply string)
}

// Messenger is the outbound half of a Provider.
type Messenger interface {
	// Send hands one message to the provider and returns the provider's id
	// for it. A refusal is a *SendError.
	Send(ctx context.Context, to, body string) (id string, err error)
	// FindSent returns the ids of the messages to to, with body, that the
	// provider accepted since since, newest first: whether a message that
	// was being sent when the sender died was taken after all (the sender
	// takes the first that no other message holds).
	FindSent(ctx context.Context, to, body string, since time.Time) (ids []string, err error)
	// Account names the sending account: senders of one account share one
	// rate (see lifeline.OutboxClaim).
	Account() string
}

// Inbound is one text as a webhook brings it.
type Inbound struct {
	ID   string // the provider's message id (Twilio's MessageSid)
	From string // the sender, as the provider gives it
	Body string
}

// Delivery is one delivery-status callback.
type Delivery struct {
	ID        string // the id Send returned
	Status    string // lower case: queued, sent, delivered, undelivered, failed…
	ErrorCode string
	To        string
}

// SendErrorKind is what a refusal means for the message.
type SendErrorKind int

// Kinds of refusal.
const (
	// SendRefused: the message itself was refused; sending it again is
	// no use.
	SendRefused SendErrorKind = iota
	// SendTemporary: the provider failed (a 5xx); try again later.
	SendTemporary
	// SendThrottled: the account is over its rate; slow down, and try
	// again without counting the attempt against the message.
	SendThrottled
	// SendOptedOut: the recipient opted out with the carrier.
	SendOptedOut
)

// SendError is a provider's refusal of a message.
type SendError struct {
	Kind    SendErrorKind
	Status  int // the HTTP status
	Code    int // the provider's error code
	Message string
}

func (e *SendError) Error() string {
	return fmt.Sprintf("provider refused the message: HTTP %d, error %d: %s", e.Status, e.Code, e.Message)
}
