package lifeline

import (
	"context"
	"time"
)

// InboundMessage is one SMS received through the gateway. The inbound log
// keeps every accepted message by its MessageSid until it is answered, so
// the log is the queue of answers still owed: a retried sid is processed
// once, and a crash loses no message that was acknowledged.
type InboundMessage struct {
	Sid  string
	From string // E.164, or "" when the sender is not a phone number
	// Command is the parsed command, encoded by the gateway: enough to
	// compose the answer later without keeping what was typed.
	Command string
	// State says how the message is answered; Reply is the answer once it
	// is known.
	State      InboundState
	Reply      string
	ReceivedAt time.Time
	// HeldUntil, on a Pending message being recorded, keeps answerers
	// from claiming it until then: the webhook handler that records it
	// composes its answer first (a command that acts is recorded before it
	// acts, so a retry never acts again), and then records it with
	// FinishInline if it still holds it.
	HeldUntil time.Time
}

// InboundAnswer is how the answerer answered one Pending message: Outbox,
// with the answer it queues (Out, under AnswerKey(Sid)), or Silent, with
// none.
type InboundAnswer struct {
	Sid   string
	State InboundState
	Out   *OutboxMessage
}

// InboundState is how an accepted message is answered. It is decided once
// per MessageSid, which is what makes the answer exactly one: a message
// recorded Inline was answered in the webhook's response and never goes to
// the outbox; one recorded Pending is answered only through the outbox,
// under the key AnswerKey(sid), which is queued at most once.
type InboundState int

// Inbound states. Pending is the queue: accepted, acknowledged with an
// empty response, its answer not yet queued. Messages stored by versions
// that had no states read as Inline (their reply was sent in the response).
const (
	InboundPending InboundState = 0 // accepted, the answer still owed (through the outbox)
	InboundInline  InboundState = 1 // answered in the webhook's response: Reply
	InboundOutbox  InboundState = 2 // the answer, Reply, is in the outbox under AnswerKey(Sid)
	InboundSilent  InboundState = 3 // accepted and left unanswered on purpose (over the per-number limit, no number to answer)
)

// String names the state in logs and metrics.
func (s InboundState) String() string {
	switch s {
	case InboundPending:
		return "pending"
	case InboundInline:
		return "inline"
	case InboundOutbox:
		return "outbox"
	case InboundSilent:
		return "silent"
	}
	return "unknown"
}

// AnswerKey is the outbox key of the answer to a MessageSid: whoever
// composes it, however often, it is queued once.
func AnswerKey(sid string) string { return "answer:" + sid }

// OutboxAnswer is the Kind of an outbox message that answers a text.
// Answers go before notices, and an opt-out (which stops notices) does not
// stop the answer to what a person has just asked.
const OutboxAnswer = "answer"

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
	Kind          string // OutboxAnswer, "result", "expiry"
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
	InDoubt bool
	// AskedAt is, for an answer, when the text it answers arrived: how
	// long the person has been waiting.
	AskedAt   time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// IsAnswer reports whether the message answers a text (rather than being
// a notice): it is sent first, and sent even to a number that opted out of
// notices.
func (m *OutboxMessage) IsAnswer() bool { return m.Kind == OutboxAnswer }

// OutboxClaim is what a sender asks of the outbox at a time.
type OutboxClaim struct {
	// Worker names the sender holding the lease.
	Worker string
	// Max messages at most, leased for Lease.
	Max   int
	Lease time.Duration
	// Rate, when positive, paces every sender of Account together: at
	// most Rate messages a second (and a burst of one second's worth) are
	// claimed across all of them, whichever replica they run on.
	Account string
	Rate    float64
}

// AnswerBacklog is how many accepted texts still wait for their answer to
// be sent (pending in the inbound log, or queued in the outbox), and since
// when the oldest of them has waited.
type AnswerBacklog struct {
	Waiting int
	// Pending of them are not composed yet (the rest are in the outbox).
	Pending int
	Oldest  time.Time
}

// MessageService stores what the SMS gateway must not lose or double.
type MessageService interface {
	// BeginInbound records an accepted message, in the state m gives (with
	// its reply when Inline). If the MessageSid was seen before, nothing is
	// written: it returns the stored message and first=false, and the
	// caller answers from that instead. It returns once the row is durable.
	BeginInbound(ctx context.Context, m *InboundMessage) (prev *InboundMessage, first bool, err error)
	// ClaimInbound leases up to n Pending messages, oldest first, to one
	// answerer for a while, so that two answerers never compose the same.
	ClaimInbound(ctx context.Context, worker string, n int, lease time.Duration) ([]InboundMessage, error)
	// FinishInline records the inline answer of a Pending message that
	// its handler recorded with HeldUntil held, and reports whether it
	// still held it (an answerer claims it once the hold runs out, and
	// then the answer goes through the outbox instead).
	FinishInline(ctx context.Context, sid string, held time.Time, reply string) (bool, error)
	// AnswerAll queues the answers of a batch of Pending messages in the
	// outbox and records how each was answered (Outbox or Silent, with its
	// reply): the answerer's work for a batch, in a transaction or two
	// rather than two for every message. A message no longer Pending is
	// left as it is.
	AnswerAll(ctx context.Context, answers []InboundAnswer) error
	// ReopenInbound turns a message recorded Inline back into Pending when
	// the response that was to carry its reply was never sent (the record
	// was committed, but the one who wrote it could not know, or its
	// caller had hung up), and reports whether it did. Only a message from
	// the same sender, and whose answer no retry was given
	// (ReplayInline), is touched.
	ReopenInbound(ctx context.Context, sid, from string) (bool, error)
	// ReplayInline gives a retry of a message recorded Inline its answer
	// again: it marks the message as answered by a retry, so that it is
	// never reopened after, and returns its reply; ok is false when the
	// message is no longer Inline (it was reopened) or is from another
	// sender.
	ReplayInline(ctx context.Context, sid, from string) (reply string, ok bool, err error)
	// AnswerBacklog counts the accepted texts whose answer is not yet sent.
	AnswerBacklog(ctx context.Context) (AnswerBacklog, error)
	// PruneInbound forgets the MessageSids received before a time and says
	// how many: Twilio retries a webhook within minutes, so the memory of
	// old ones only grows the store (by every message of a surge).
	PruneInbound(ctx context.Context, before time.Time) (int64, error)
	// Enqueue adds a message to the outbox; a message with a DedupeKey
	// already queued is not added again: m then gets the stored ID and
	// State, and its CreatedAt stays zero.
	Enqueue(ctx context.Context, m *OutboxMessage) error
	// ClaimOutbox leases due messages to one sender for a while, so that
	// two senders never send the same message: answers first, then notices,
	// each oldest first, and no faster than the claim's rate.
	ClaimOutbox(ctx context.Context, c OutboxClaim) ([]OutboxMessage, error)
	// MarkAccepted records that the provider accepted a message.
	MarkAccepted(ctx context.Context, id int64, providerID string) error
	// MarkFound records the provider's id of a message found sent after
	// its sender died, unless another message holds that id; it reports
	// whether it did.
	MarkFound(ctx context.Context, id int64, providerID string) (bool, error)
	// MarkRetry puts a message back with the error and the next attempt time.
	MarkRetry(ctx context.Context, id int64, errMsg string, next time.Time) error
	// MarkThrottled puts a message back for next without counting the
	// attempt: the provider refused it for the account's rate, not for
	// anything about the message.
	MarkThrottled(ctx context.Context, id int64, errMsg string, next time.Time) error
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
