package lifeline

import (
	"context"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// Role is what a staff account may do.
type Role string

// Roles. A worker sees their own community; an admin sees all.
const (
	RoleStaff Role = "staff"
	RoleAdmin Role = "admin"
)

// Staff is a community worker's account. An account is never deleted:
// a removed one keeps its name, so that "staff:wang" in the audit trail
// always means one person, and can no longer log in or be used again.
type Staff struct {
	ID           int64
	User         string
	Community    string
	Role         Role
	PasswordHash string // a slow salted hash, never the password
	CreatedAt    time.Time
	DisabledAt   time.Time // zero while the account may log in
	RemovedAt    time.Time // zero until the account is removed
	Keys         int       // SSH public keys (StaffList only)
	LockedPlaces int       // places the account is locked at now (StaffList only)
}

// Active reports whether the account may log in.
func (s *Staff) Active() bool { return s.DisabledAt.IsZero() && s.RemovedAt.IsZero() }

// State says whether the account is active, disabled or removed, and
// since when.
func (s *Staff) State() Text {
	day := func(t time.Time) string { return t.In(ChinaTime).Format("2006-01-02") }
	switch {
	case !s.RemovedAt.IsZero():
		return T("已删除 "+day(s.RemovedAt), "removed "+day(s.RemovedAt))
	case !s.DisabledAt.IsZero():
		return T("已停用 "+day(s.DisabledAt), "disabled "+day(s.DisabledAt))
	}
	return T("正常", "active")
}

// Actor is the account's actor: who the store reads and records for.
func (s *Staff) Actor(place string) Actor {
	a := Actor{User: "staff:" + s.User, Community: s.Community, Place: place}
	if s.Role == RoleAdmin {
		a.Community = ""
	}
	return a
}

// MaxUserNameLen is the longest user name, in characters.
const MaxUserNameLen = 32

// CheckUserName refuses a user name a person could not read back or type
// unambiguously: empty, longer than MaxUserNameLen, with spaces, controls
// or invisible characters, or with "@" or ":" (which separate the user
// from the host in ssh wang@host, and the kind from the name in
// "staff:wang" in the audit trail).
func CheckUserName(name string) error {
	n := utf8.RuneCountInString(name)
	if n == 0 {
		return Errorf(EINVALID, T("用户名不能为空", "user name is required"))
	}
	if n > MaxUserNameLen {
		return Errorf(EINVALID, T(fmt.Sprintf("用户名不能超过 %d 个字符", MaxUserNameLen), fmt.Sprintf("a user name has at most %d characters", MaxUserNameLen)))
	}
	if r, bad := UnprintableRune(name); bad {
		return Errorf(EINVALID, T(fmt.Sprintf("用户名含有不可显示的字符 %U", r), fmt.Sprintf("the user name has a character that cannot be shown, %U", r)))
	}
	for _, r := range name {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return Errorf(EINVALID, T("用户名不能含有空格", "a user name cannot contain spaces"))
		}
		if r == '@' || r == ':' {
			return Errorf(EINVALID, T("用户名不能含有 @ 或 :", "a user name cannot contain @ or :"))
		}
	}
	return nil
}

// StaffService stores staff accounts, their SSH keys and the failed logins
// that lock them.
type StaffService interface {
	// CreateStaff adds an account. A worker's community must be one the
	// store holds residents of; a name taken, even by a removed account,
	// is a conflict.
	CreateStaff(ctx context.Context, s *Staff) error
	// StaffByUser returns an account that was not removed.
	StaffByUser(ctx context.Context, user string) (*Staff, error)
	// StaffList returns every account, removed ones too, by name.
	StaffList(ctx context.Context) ([]Staff, error)
	// SetStaffDisabled disables or enables an account: a disabled one
	// cannot log in anywhere.
	SetStaffDisabled(ctx context.Context, user string, disabled bool) error
	// RemoveStaff removes an account for good: its password and keys are
	// deleted, its name and its entries in the audit trail stay.
	RemoveStaff(ctx context.Context, user string) error
	// SetStaffPassword replaces an account's password hash and lifts its
	// locks.
	SetStaffPassword(ctx context.Context, user, hash string) error
	// UnlockStaff lifts an account's locks at every place, and returns how
	// many there were.
	UnlockStaff(ctx context.Context, user string) (int, error)

	// LoginState returns the failures and lock of a user name at a place
	// (the zero state if none): a name no account has is counted too, so
	// that it reads exactly as a real one.
	LoginState(ctx context.Context, user, place string, now time.Time) (LoginState, error)
	// RecordLoginFailure counts a failed login of a user name at a place
	// and returns the state after it, locking by LoginState.Fail; the
	// failure and any lock are written to the audit log with it.
	RecordLoginFailure(ctx context.Context, user, place, why string, now time.Time) (LoginState, error)
	// RecordLogin records a successful login at a place ("login" in the
	// audit log) and clears the failures counted there.
	RecordLogin(ctx context.Context, user, place, how string) error

	StaffKeyService
}

// StaffKey is an SSH public key that logs a staff account in.
type StaffKey struct {
	ID          int64
	User        string
	Fingerprint string // SHA256:…, as ssh-keygen -l prints it
	PublicKey   string // authorized_keys form: type and base64, no comment
	Comment     string
	AddedAt     time.Time
}

// StaffKeyService keeps the staff's SSH public keys.
type StaffKeyService interface {
	// AddStaffKey adds a key to an active account; a key already added,
	// to any account, is a conflict.
	AddStaffKey(ctx context.Context, k *StaffKey) error
	// StaffKeys returns an account's keys, oldest first.
	StaffKeys(ctx context.Context, user string) ([]StaffKey, error)
	// RemoveStaffKey removes one of an account's keys by fingerprint.
	RemoveStaffKey(ctx context.Context, user, fingerprint string) error
	// StaffByKey returns the account (not removed) a key with this
	// fingerprint belongs to, and the key; the caller checks the account
	// is active.
	StaffByKey(ctx context.Context, fingerprint string) (*Staff, *StaffKey, error)
}

// MaxLoginFailures is how many wrong passwords in a row, for one user
// name at one place, lock that name there.
const MaxLoginFailures = 5

// LoginState is how a user name stands at one place (a desk, an address):
// the wrong passwords since the last lock or success, the locks so far
// and the current one.
type LoginState struct {
	Failures    int
	Locks       int
	LockedUntil time.Time
}

// Locked reports whether the name is locked at the place at now.
func (s LoginState) Locked(now time.Time) bool { return now.Before(s.LockedUntil) }

// Left is how many more wrong passwords lock the name.
func (s LoginState) Left() int { return MaxLoginFailures - s.Failures }

// Fail is the state after one more wrong password at now: the
// MaxLoginFailures-th locks for LockFor of the locks so far, and the count
// starts again.
func (s LoginState) Fail(now time.Time) LoginState {
	if s.Locked(now) {
		return s // a failure that raced the lock does not lengthen it
	}
	s.Failures++
	if s.Failures >= MaxLoginFailures {
		s.Locks++
		s.Failures = 0
		s.LockedUntil = now.Add(LockFor(s.Locks))
	}
	return s
}

// LockFor is how long the n-th lock in a row lasts: short at first, so a
// colleague's typing (or someone's mischief) costs a worker a minute, not
// a morning; longer for a guesser who keeps going. A success, or an admin
// (lifeline staff unlock), starts the count again.
func LockFor(n int) time.Duration {
	switch {
	case n <= 1:
		return time.Minute
	case n == 2:
		return 5 * time.Minute
	}
	return 15 * time.Minute
}

// LoginForget is how long a place's failures are remembered after the
// last one: a day later a name starts afresh there.
const LoginForget = 24 * time.Hour

// Actor is who is acting: a staff user, the SMS gateway on behalf of a
// phone, an import, the city platform, a command typed at the server. The
// store reads and changes only the residents of the actor's Community;
// admins and system actors have none and reach everyone.
type Actor struct {
	User      string // "staff:wang", "sms:…5678", "import", "upstream", "cli:root"
	Community string // "" for admins and system actors
	// Place is where the actor is: "console desk-1", "ssh 10.0.0.5:51234
	// session 1a2b3c4d", "cli". It goes with every audit entry.
	Place string
	// Note is what the actor said about themselves and cannot be
	// checked (the command line's --by): kept beside the actor, never as
	// it.
	Note string
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
// whom, when, and from where. Detail never holds a full document or phone
// number.
type AuditEntry struct {
	ID         int64
	At         time.Time
	Actor      string
	Action     string // find, view, reveal, print, revoke, register, link, review, import, login…
	ResidentID int64  // 0 if none
	Detail     string
	Place      string // where the actor was (Actor.Place)
	Note       string // what the actor said of themselves (Actor.Note)
}

// AuditService appends to and reads the audit log. There is no update and
// no delete.
type AuditService interface {
	Audit(ctx context.Context, e AuditEntry) error
	AuditLog(ctx context.Context, residentID int64, limit int) ([]AuditEntry, error)
}
