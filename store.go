package lifeline

import "context"

// Store is everything lifeline keeps, behind one interface. store.Open
// returns an implementation on SQLite (a path) or PostgreSQL (a
// postgres:// URL); both pass the same test suite (store/storetest).
type Store interface {
	ResidentService
	RelativeService
	StaffService
	AuditService
	RegistrationService
	PrintQueueService
	CodeService
	ListService
	MessageService
	RoundService
	// Ping checks the store is reachable.
	Ping(ctx context.Context) error
	Close() error
}
