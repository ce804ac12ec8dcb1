package lifeline

import (
	"context"
	"time"
)

// Registration is a sample taken on site while the central system could not
// produce a code. It is stored at once, never thrown away, and delivered
// upstream in order (see the upstream package).
type Registration struct {
	ID         int64
	ResidentID int64
	Tube       string // tube barcode
	// TubeID and RoundID are set for a swab in a pooled tube of a round,
	// which is delivered with its tube, not alone (see Tube).
	TubeID         int64
	RoundID        int64
	Site           string
	SampledAt      time.Time
	Staff          string
	IdempotencyKey string // sent upstream so a retry is not a second sample
	CreatedAt      time.Time
	DeliveredAt    time.Time // zero: waiting to send
	Attempts       int
	LastError      string
}

// RegistrationService stores on-site registrations and their delivery state.
type RegistrationService interface {
	CreateRegistration(ctx context.Context, r *Registration) error
	// PendingRegistrations returns undelivered registrations in the order they
	// were made.
	PendingRegistrations(ctx context.Context, limit int) ([]Registration, error)
	MarkRegistrationDelivered(ctx context.Context, id int64, at time.Time) error
	MarkRegistrationFailed(ctx context.Context, id int64, msg string) error
	// RegistrationBacklog returns how many wait and since when.
	RegistrationBacklog(ctx context.Context) (n int, oldest time.Time, err error)
	ResidentRegistrations(ctx context.Context, residentID int64) ([]Registration, error)
}

// PrintRequest is a request for a paper code that staff work through, for
// example from a resident who texted 离线码.
type PrintRequest struct {
	ID          int64
	ResidentID  int64
	Source      string // "sms", "staff"
	RequestedAt time.Time
	DoneAt      time.Time // zero while waiting
	DoneBy      string
}

// PrintQueueService stores print requests.
type PrintQueueService interface {
	// RequestPrint queues a request; a second open request for the same
	// resident is not added again and the open one is returned.
	RequestPrint(ctx context.Context, p *PrintRequest) error
	PrintQueue(ctx context.Context, community string) ([]PrintRequest, error)
	MarkPrinted(ctx context.Context, id int64, by string) error
}
