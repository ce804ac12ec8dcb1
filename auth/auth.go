// Package auth checks staff passwords: a slow salted hash (bcrypt) and a
// lock-out after repeated failures, over lifeline.StaffService.
package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"golang.org/x/crypto/bcrypt"
)

// MaxFailures is how many wrong passwords in a row lock an account.
const MaxFailures = 5

// LockFor is how long an account stays locked after MaxFailures.
const LockFor = 15 * time.Minute

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

var errBadLogin = lifeline.Errorf(lifeline.EUNAUTHORIZED, lifeline.T("用户名或密码错误", "wrong user name or password"))

// Login checks a user's password at time now. A wrong password counts a
// failure; the MaxFailures-th locks the account for LockFor. A locked
// account is refused without looking at the password, so guessing during a
// lock-out learns nothing. Success resets the count.
func Login(ctx context.Context, staff lifeline.StaffService, user, password string, now time.Time) (*lifeline.Staff, error) {
	s, err := staff.StaffByUser(ctx, user)
	if lifeline.ErrorCode(err) == lifeline.ENOTFOUND {
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return nil, errBadLogin
	}
	if err != nil {
		return nil, err
	}
	if now.Before(s.LockedUntil) {
		return nil, locked(s.LockedUntil, now)
	}
	err = bcrypt.CompareHashAndPassword([]byte(s.PasswordHash), []byte(password))
	if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) || errors.Is(err, bcrypt.ErrHashTooShort) {
		failures := s.FailedLogins + 1
		var until time.Time
		if failures >= MaxFailures {
			until = now.Add(LockFor)
			failures = 0
		}
		if err := staff.RecordLogin(ctx, user, failures, until); err != nil {
			return nil, err
		}
		if !until.IsZero() {
			return nil, locked(until, now)
		}
		left := MaxFailures - failures
		return nil, lifeline.Errorf(lifeline.EUNAUTHORIZED, lifeline.T(
			fmt.Sprintf("用户名或密码错误（再错 %d 次将锁定 %d 分钟）", left, int(LockFor.Minutes())),
			fmt.Sprintf("wrong user name or password (%d more tries before a %d-minute lock)", left, int(LockFor.Minutes()))))
	}
	if err != nil {
		return nil, fmt.Errorf("check password of %s: %w", user, err)
	}
	if s.FailedLogins != 0 || !s.LockedUntil.IsZero() {
		if err := staff.RecordLogin(ctx, user, 0, time.Time{}); err != nil {
			return nil, err
		}
		s.FailedLogins, s.LockedUntil = 0, time.Time{}
	}
	return s, nil
}

func locked(until, now time.Time) error {
	min := int(until.Sub(now).Round(time.Minute).Minutes())
	if min < 1 {
		min = 1
	}
	return lifeline.Errorf(lifeline.ELOCKED, lifeline.T(
		fmt.Sprintf("密码错误次数过多，账号已锁定，请 %d 分钟后再试", min),
		fmt.Sprintf("too many wrong passwords: the account is locked; try again in %d minutes", min)))
}
