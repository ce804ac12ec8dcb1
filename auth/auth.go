// Package auth checks staff passwords: a slow salted hash (bcrypt) and a
// lock-out after repeated failures, over lifeline.StaffService.
package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"golang.org/x/crypto/bcrypt"
)

// MinPasswordLen is the shortest password staff add accepts.
const MinPasswordLen = 8

// Cost is the bcrypt cost of new hashes: bcrypt's default, slow enough to
// make guessing offline expensive and quick enough to go unnoticed at a
// login.
var Cost = bcrypt.DefaultCost

// dummyHash is compared against when the user does not exist, so that an
// unknown user takes as long to refuse as a wrong password. It is made on
// first use, not when the program starts: every lifeline command links
// this package, and a bcrypt hash made at start would delay every one of
// them, most of which never check a password. A login screen makes it
// ahead (Prepare), so the first unknown user is no slower to refuse than
// the rest.
var dummyHash = sync.OnceValue(func() []byte {
	dummyMade.Store(true)
	h, _ := bcrypt.GenerateFromPassword([]byte("lifeline-no-such-user"), bcrypt.DefaultCost)
	return h
})

// dummyMade records that dummyHash was made (TestMain checks that loading
// the package does not).
var dummyMade atomic.Bool

// Prepare does ahead of the first Login the work Login would otherwise do
// on its first unknown user. It is safe to call from several goroutines.
func Prepare() { dummyHash() }

// HashPassword returns a salted bcrypt hash of a password.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLen {
		return "", lifeline.Errorf(lifeline.EINVALID, lifeline.T(
			fmt.Sprintf("密码至少需要 %d 个字符", MinPasswordLen),
			fmt.Sprintf("the password needs at least %d characters", MinPasswordLen)))
	}
	if len(password) > 72 {
		return "", lifeline.Errorf(lifeline.EINVALID, lifeline.T("密码不能超过 72 个字节", "the password must not be longer than 72 bytes"))
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), Cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// Accounts is what logging in reads and records: the accounts, the
// failures per place, and the audit log.
type Accounts interface {
	lifeline.StaffService
	lifeline.AuditService
}

// Login checks a user's password at a place at time now. The place is
// where the attempt comes from, as its locks are counted: "console desk-1"
// for a desk, "ssh 10.0.0.5" for an address. Wrong passwords for a name
// at a place lock that name there (lifeline.LoginState.Fail), not at
// every desk; a name no account has counts and locks exactly the same,
// and is refused in the same words and the same time, so that nobody
// learns which names exist. A locked name is refused without looking at
// the password, so guessing during a lock learns nothing. The right
// password of a disabled account is refused as such. Every outcome is
// audited, with the place of the actor in ctx (or place).
func Login(ctx context.Context, accounts Accounts, user, password, place string, now time.Time) (*lifeline.Staff, error) {
	ctx = atPlace(ctx, place)
	st, err := accounts.LoginState(ctx, user, place, now)
	if err != nil {
		return nil, err
	}
	if st.Locked(now) {
		if err := refused(ctx, accounts, "locked until "+st.LockedUntil.In(lifeline.ChinaTime).Format("15:04:05")); err != nil {
			return nil, err
		}
		return nil, locked(st.LockedUntil, now)
	}
	s, err := accounts.StaffByUser(ctx, user)
	hash := dummyHash()
	switch {
	case err == nil && s.PasswordHash != "":
		hash = []byte(s.PasswordHash)
	case err != nil && lifeline.ErrorCode(err) != lifeline.ENOTFOUND:
		return nil, err
	}
	err = bcrypt.CompareHashAndPassword(hash, []byte(password))
	if err == nil && s == nil {
		err = bcrypt.ErrMismatchedHashAndPassword // someone typed the dummy's password
	}
	if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) || errors.Is(err, bcrypt.ErrHashTooShort) {
		next, err := accounts.RecordLoginFailure(ctx, user, place, "wrong password", now)
		if err != nil {
			return nil, err
		}
		if next.Locked(now) {
			return nil, locked(next.LockedUntil, now)
		}
		return nil, lifeline.Errorf(lifeline.EUNAUTHORIZED, lifeline.T(
			fmt.Sprintf("用户名或密码错误（再错 %d 次将锁定 %s）", next.Left(), minutes(lifeline.LockFor(next.Locks+1), lifeline.Zh)),
			fmt.Sprintf("wrong user name or password (%d more tries before it locks for %s)", next.Left(), minutes(lifeline.LockFor(next.Locks+1), lifeline.En))))
	}
	if err != nil {
		return nil, fmt.Errorf("check password of %s: %w", user, err)
	}
	if !s.Active() {
		if err := refused(ctx, accounts, "user "+s.User+": account disabled"); err != nil {
			return nil, err
		}
		return nil, errDisabled
	}
	if err := accounts.RecordLogin(ctx, s.User, place, "password"); err != nil {
		return nil, err
	}
	return s, nil
}

// KeyLogin logs in the account that holds the SSH key with fingerprint,
// which must be user's, from a place. A key cannot be guessed: a lock at
// the place, from wrong passwords, does not stop it. A disabled account
// is refused, and audited.
func KeyLogin(ctx context.Context, accounts Accounts, user, fingerprint, place string) (*lifeline.Staff, error) {
	ctx = atPlace(ctx, place)
	s, _, err := accounts.StaffByKey(ctx, fingerprint)
	if lifeline.ErrorCode(err) == lifeline.ENOTFOUND || err == nil && s.User != strings.TrimSpace(user) {
		return nil, errBadKey
	}
	if err != nil {
		return nil, err
	}
	if !s.Active() {
		if err := refused(ctx, accounts, "user "+s.User+": account disabled (key "+fingerprint+")"); err != nil {
			return nil, err
		}
		return nil, errDisabled
	}
	if err := accounts.RecordLogin(ctx, s.User, place, "key "+fingerprint); err != nil {
		return nil, err
	}
	return s, nil
}

var (
	errDisabled = lifeline.Errorf(lifeline.EFORBIDDEN, lifeline.T("该账号已停用，请联系管理员", "this account is disabled; ask an administrator"))
	errBadKey   = lifeline.Errorf(lifeline.EUNAUTHORIZED, lifeline.T("该公钥未登记给这个用户", "that key is not registered for this user"))
)

// atPlace returns ctx with the place on its actor, unless it has one
// already (an SSH session's says its address and session).
func atPlace(ctx context.Context, place string) context.Context {
	a := lifeline.ActorFrom(ctx)
	if a.Place != "" {
		return ctx
	}
	a.Place = place
	return lifeline.WithActor(ctx, a)
}

// refused audits a login refused before or whatever its password.
func refused(ctx context.Context, accounts Accounts, why string) error {
	return accounts.Audit(ctx, lifeline.AuditEntry{Actor: "anonymous", Action: "login_refused", Detail: why})
}

func locked(until, now time.Time) error {
	left := until.Sub(now)
	return lifeline.Errorf(lifeline.ELOCKED, lifeline.T(
		fmt.Sprintf("密码错误次数过多，此处已锁定，请 %s后再试，或请管理员解锁", minutes(left, lifeline.Zh)),
		fmt.Sprintf("too many wrong passwords: locked here; try again in %s, or ask an administrator to unlock it", minutes(left, lifeline.En))))
}

// minutes says a duration in whole minutes, rounded up, at least one.
func minutes(d time.Duration, l lifeline.Lang) string {
	n := int((d + time.Minute - 1) / time.Minute)
	if n < 1 {
		n = 1
	}
	if l == lifeline.Zh {
		return fmt.Sprintf("%d 分钟", n)
	}
	if n == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", n)
}
