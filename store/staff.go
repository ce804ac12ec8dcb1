package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// CreateStaff stores a new staff account; a taken user name is a conflict.
func (db *DB) CreateStaff(ctx context.Context, s *lifeline.Staff) error {
	s.User = strings.TrimSpace(s.User)
	if s.User == "" {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("用户名不能为空", "user name is required"))
	}
	if s.Role == "" {
		s.Role = lifeline.RoleStaff
	}
	if s.Role != lifeline.RoleStaff && s.Role != lifeline.RoleAdmin {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("未知角色“"+string(s.Role)+"”", "unknown role \""+string(s.Role)+"\""))
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = db.Now()
	}
	err := db.w.QueryRowContext(ctx, db.SQL(`INSERT INTO staff (username, community, role, password_hash, failed_logins, locked_until, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING RETURNING id`),
		s.User, s.Community, string(s.Role), s.PasswordHash, s.FailedLogins, ms(s.LockedUntil), ms(s.CreatedAt)).Scan(&s.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return lifeline.Errorf(lifeline.ECONFLICT, lifeline.T("用户名“"+s.User+"”已存在", "user \""+s.User+"\" already exists"))
	}
	if err != nil {
		return db.unavailable(err)
	}
	return nil
}

// StaffByUser returns a staff account by user name.
func (db *DB) StaffByUser(ctx context.Context, user string) (*lifeline.Staff, error) {
	var s lifeline.Staff
	var role string
	var locked, created int64
	err := db.r.QueryRowContext(ctx, db.SQL(`SELECT id, username, community, role, password_hash, failed_logins, locked_until, created_at FROM staff WHERE username = ?`),
		strings.TrimSpace(user)).Scan(&s.ID, &s.User, &s.Community, &role, &s.PasswordHash, &s.FailedLogins, &locked, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有这个用户", "no such user"))
	}
	if err != nil {
		return nil, db.unavailable(err)
	}
	s.Role, s.LockedUntil, s.CreatedAt = lifeline.Role(role), fromMS(locked), fromMS(created)
	return &s, nil
}

// RecordLogin stores the outcome of a login attempt: the failure count and
// the lock, both decided by the caller.
func (db *DB) RecordLogin(ctx context.Context, user string, failures int, lockedUntil time.Time) error {
	res, err := db.w.ExecContext(ctx, db.SQL(`UPDATE staff SET failed_logins = ?, locked_until = ? WHERE username = ?`),
		failures, ms(lockedUntil), strings.TrimSpace(user))
	if err != nil {
		return db.unavailable(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有这个用户", "no such user"))
	}
	return nil
}
