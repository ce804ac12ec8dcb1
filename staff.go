package lifeline

import (
	"context"
	"time"
)

// Role is what a staff account may do.
type Role string

// Roles. A worker sees their own community; an admin sees all.
const (
	RoleStaff Role = "staff"
	RoleAdmin Role = "admin"
)

// Staff is a community worker's account.
type Staff struct {
	ID           int64
	User         string
	Community    string
	Role         Role
	PasswordHash string // a slow salted hash, never the password
	FailedLogins int
	LockedUntil  time.Time
	CreatedAt    time.Time
}

// StaffService stores staff accounts.
type StaffService interface {
	CreateStaff(ctx context.Context, s *Staff) error
	StaffByUser(ctx context.Context, user string) (*Staff, error)
	// RecordLogin stores the outcome of a login attempt: failures count up
	// and may lock the account until a time; success resets the count.
	RecordLogin(ctx context.Context, user string, failures int, lockedUntil time.Time) error
}

// Actor is who is acting: a staff user, the SMS gateway on behalf of a
// phone, an import, the city platform. The store reads and changes only
// the residents of the actor's Community; admins and system actors have
// none and reach everyone.
type Actor struct {
	User      string // "staff:wang", "sms:…5678", "import", "upstream"
	Community string // "" for admins and system actors
}

type actorKey struct{}

// WithActor returns a context that carries who is acting, for the audit log.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or "system".
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{User: "system"}
}

// AuditEntry is one line of the append-only audit log: who did what to
// whom, when. Detail never holds a full document or phone number.
type AuditEntry struct {
	ID         int64
	At         time.Time
	Actor      string
	Action     string // find, view, reveal, print, revoke, register, link, review, import…
	ResidentID int64  // 0 if none
	Detail     string
}

// AuditService appends to and reads the audit log. There is no update and
// no delete.
type AuditService interface {
	Audit(ctx context.Context, e AuditEntry) error
	AuditLog(ctx context.Context, residentID int64, limit int) ([]AuditEntry, error)
}
