package lifeline

import (
	"context"
	"time"
)

// InboundMessage is one SMS received through the gateway, kept so that a
// retried MessageSid gets the same reply and is processed once.
type InboundMessage struct {
	Sid        string
	From       string // E.164
	Command    string
	Reply      string
	ReceivedAt time.Time
}

// OutboxState is where an outbound message stands.
type OutboxState string

// Outbox states: queued → accepted (Twilio took it) → delivered/failed, or
// queued → failed on a permanent error, or dropped when the number opted out.
const (
	OutboxQueued    OutboxState = "queued"
	OutboxAccepted  OutboxState = "accepted"
	OutboxDelivered OutboxState = "delivered"
	OutboxFailed    OutboxState = "failed"
	OutboxDropped   OutboxState = "dropped"
)

// OutboxMessage is one notification waiting in, or gone through, the durable
// outbox.
type OutboxMessage struct {
	ID            int64
	To            string // E.164
	Body          string
	Kind          string // "result", "expiry"
	DedupeKey     string // the same key is queued once
	State         OutboxState
	Attempts      int
	NextAttemptAt time.Time
	ClaimedBy     string
	ClaimedUntil  time.Time
	ProviderID    string // Twilio's message SID once accepted
	Error         string
	// InDoubt is set by ClaimOutbox when an earlier claim ended without an
	// outcome (the sender died mid-send): the provider may already have the
	// message, so the sender should look before sending again.
	InDoubt   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MessageService stores what the SMS gateway must not lose or double.
type MessageService interface {
	// BeginInbound records that a MessageSid is being processed. If it was
	// seen before, it returns the stored message (with its reply) and
	// first=false, and the caller replies with that instead.
	BeginInbound(ctx context.Context, m *InboundMessage) (prev *InboundMessage, first bool, err error)
	// FinishInbound stores the reply sent for a MessageSid.
	FinishInbound(ctx context.Context, sid, reply string) error
	// PruneInbound forgets the MessageSids received before a time and says
	// how many: Twilio retries a webhook within minutes, so the memory of
	// old ones only grows the store (by every message of a surge).
	PruneInbound(ctx context.Context, before time.Time) (int64, error)
	// Enqueue adds a message to the outbox; a message with a DedupeKey
	// already queued is not added again: m then gets the stored ID and
	// State, and its CreatedAt stays zero.
	Enqueue(ctx context.Context, m *OutboxMessage) error
	// ClaimOutbox leases up to n due messages to one sender for a while, so
	// that two senders never send the same message.
	ClaimOutbox(ctx context.Context, worker string, n int, lease time.Duration) ([]OutboxMessage, error)
	// MarkAccepted records that the provider accepted a message.
	MarkAccepted(ctx context.Context, id int64, providerID string) error
	// MarkRetry puts a message back with the error and the next attempt time.
	MarkRetry(ctx context.Context, id int64, errMsg string, next time.Time) error
	// MarkFailed ends a message on a permanent error.
	MarkFailed(ctx context.Context, id int64, errMsg string) error
	// RecordDelivery stores a status callback for a provider id.
	RecordDelivery(ctx context.Context, providerID, status, errCode string) error
	// QueuedOfKind returns up to n queued messages of one kind that no
	// sender holds, oldest first.
	QueuedOfKind(ctx context.Context, kind string, n int) ([]OutboxMessage, error)
	// RewriteQueued gives a queued message of kind from a new kind and body,
	// due at due, unless a sender holds it or it is no longer queued as
	// from; it reports whether it did.
	RewriteQueued(ctx context.Context, id int64, from, kind, body string, due time.Time) (bool, error)
	// OutboxDepth returns how many messages wait to be sent.
	OutboxDepth(ctx context.Context) (int, error)
	// SetOptOut turns outbound notifications to a number off or back on.
	SetOptOut(ctx context.Context, phone string, out bool) error
	// OptedOut reports whether a number turned notifications off.
	OptedOut(ctx context.Context, phone string) (bool, error)
	// SetPhoneLang records the language a number last texted a command in
	// (what the voice line speaks to it); PhoneLang reads it, Chinese for
	// a number never recorded; EnglishPhones lists the English ones.
	SetPhoneLang(ctx context.Context, phone string, l Lang) error
	PhoneLang(ctx context.Context, phone string) (Lang, error)
	EnglishPhones(ctx context.Context) ([]string, error)
	// ResultNotices returns who to tell about test results stored after
	// the result id afterID (at most limit results), one Notice per result
	// and phone that may ask about the resident, and the last result id
	// read. afterID < 0 means "from now on": no notices, the newest id.
	ResultNotices(ctx context.Context, afterID int64, limit int) ([]Notice, int64, error)
	// ExpiryNotices returns who to tell about paper codes that are not
	// revoked and expire in [from, to).
	ExpiryNotices(ctx context.Context, from, to time.Time) ([]Notice, error)
	// Cursor returns a named position saved by SetCursor; ok is false if none.
	Cursor(ctx context.Context, name string) (v int64, ok bool, err error)
	SetCursor(ctx context.Context, name string, v int64) error
}

// Notice is one notification to compose for one phone: a new test result
// or a paper code about to expire. Key identifies it for the outbox, so a
// scan that runs twice queues it once.
type Notice struct {
	Key        string
	Phone      string // E.164
	ResidentID int64
	Name       string
	Result     Result    // result notices
	SampledAt  time.Time // result notices
	ExpiresAt  time.Time // expiry notices
}
