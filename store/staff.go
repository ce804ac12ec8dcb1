package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// Staff accounts, their SSH keys and the failed logins that lock them.
// Every change to an account is written to the audit log in the change's
// transaction, attributed to the actor in the context.

const staffCols = `s.id, s.username, s.community, s.role, s.password_hash, s.created_at, s.disabled_at, s.removed_at`

func scanStaff(sc scanner, extra ...any) (lifeline.Staff, error) {
	var s lifeline.Staff
	var role string
	var created, disabled, removed int64
	err := sc.Scan(append([]any{&s.ID, &s.User, &s.Community, &role, &s.PasswordHash, &created, &disabled, &removed}, extra...)...)
	s.Role, s.CreatedAt, s.DisabledAt, s.RemovedAt = lifeline.Role(role), fromMS(created), fromMS(disabled), fromMS(removed)
	return s, err
}

func errNoSuchUser() error {
	return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有这个用户", "no such user"))
}

// CreateStaff stores a new staff account. The user name must pass
// lifeline.CheckUserName; a worker's community must be one the store
// holds households of (a misspelt community would give a worker who sees
// nobody); a name taken, even by a removed account, is a conflict. The
// account and its "staff_add" audit entry are written together.
func (db *DB) CreateStaff(ctx context.Context, s *lifeline.Staff) error {
	s.User = strings.TrimSpace(s.User)
	if err := lifeline.CheckUserName(s.User); err != nil {
		return err
	}
	if s.Role == "" {
		s.Role = lifeline.RoleStaff
	}
	if s.Role != lifeline.RoleStaff && s.Role != lifeline.RoleAdmin {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("未知角色“"+string(s.Role)+"”", "unknown role \""+string(s.Role)+"\""))
	}
	s.Community = strings.TrimSpace(s.Community)
	if s.Role == lifeline.RoleStaff && s.Community == "" {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("工作人员需要所属社区", "a worker needs a community"))
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = db.Now()
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if s.Community != "" {
			if err := db.checkCommunity(ctx, tx, s.Community); err != nil {
				return err
			}
		}
		err := tx.QueryRowContext(ctx, db.SQL(`INSERT INTO staff (username, community, role, password_hash, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING RETURNING id`),
			s.User, s.Community, string(s.Role), s.PasswordHash, ms(s.CreatedAt)).Scan(&s.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return lifeline.Errorf(lifeline.ECONFLICT, lifeline.T("用户名“"+s.User+"”已存在（或曾被使用）", "user \""+s.User+"\" already exists (or did once)"))
		}
		if err != nil {
			return db.unavailable(err)
		}
		return db.auditTx(ctx, tx, ms(s.CreatedAt), "", "staff_add", 0, strings.TrimSpace(s.User+" "+string(s.Role)+" "+s.Community))
	})
}

// checkCommunity returns EINVALID unless some household is in community,
// naming a few that are.
func (db *DB) checkCommunity(ctx context.Context, q queryer, community string) error {
	var one int
	err := q.QueryRowContext(ctx, db.SQL(`SELECT 1 FROM households WHERE community = ? LIMIT 1`), community).Scan(&one)
	if err == nil {
		return nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return db.unavailable(err)
	}
	some, err := queryRows(ctx, db, q, func(s scanner) (c string, err error) { return c, s.Scan(&c) },
		`SELECT DISTINCT community FROM households ORDER BY community LIMIT 5`)
	if err != nil {
		return err
	}
	for i, c := range some {
		some[i] = lifeline.Printable(c)
	}
	if len(some) == 0 {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T(
			"没有社区“"+lifeline.Printable(community)+"”：库中还没有居民，请先导入花名册",
			"there is no community \""+lifeline.Printable(community)+"\": the store has no residents yet; import the roster first"))
	}
	return lifeline.Errorf(lifeline.EINVALID, lifeline.T(
		"没有社区“"+lifeline.Printable(community)+"”（已有："+strings.Join(some, "、")+"）",
		"there is no community \""+lifeline.Printable(community)+"\" (there are: "+strings.Join(some, ", ")+")"))
}

// StaffByUser returns a staff account by user name; a removed one is not
// found.
func (db *DB) StaffByUser(ctx context.Context, user string) (*lifeline.Staff, error) {
	s, err := scanStaff(db.r.QueryRowContext(ctx, db.SQL(`SELECT `+staffCols+` FROM staff s WHERE s.username = ? AND s.removed_at = 0`), strings.TrimSpace(user)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoSuchUser()
	}
	if err != nil {
		return nil, db.unavailable(err)
	}
	return &s, nil
}

// StaffList returns every account by name, removed ones too, with how
// many SSH keys each has and at how many places it is locked now.
func (db *DB) StaffList(ctx context.Context) ([]lifeline.Staff, error) {
	now := ms(db.Now())
	return queryRows(ctx, db, db.r, func(sc scanner) (lifeline.Staff, error) {
		var keys, locked int
		s, err := scanStaff(sc, &keys, &locked)
		s.Keys, s.LockedPlaces = keys, locked
		return s, err
	}, `SELECT `+staffCols+`,
		(SELECT COUNT(*) FROM staff_keys k WHERE k.staff_id = s.id),
		(SELECT COUNT(*) FROM login_failures f WHERE f.username = s.username AND f.locked_until > ?)
		FROM staff s ORDER BY s.username`, now)
}

// changeStaff runs change (an UPDATE of staff ending in "WHERE username =
// ? AND removed_at = 0", given the user as its last argument) and then
// more, with the audit entry, in one transaction; an account that does
// not exist or was removed is not found.
func (db *DB) changeStaff(ctx context.Context, user, action, detail, change string, args []any, more func(tx *sql.Tx, id int64) error) error {
	user = strings.TrimSpace(user)
	now := db.Now()
	return db.tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, db.SQL(change+` RETURNING id`), append(args, user)...).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoSuchUser()
		}
		if err != nil {
			return db.unavailable(err)
		}
		if more != nil {
			if err := more(tx, id); err != nil {
				return err
			}
		}
		return db.auditTx(ctx, tx, ms(now), "", action, 0, strings.TrimSpace(user+" "+detail))
	})
}

// SetStaffDisabled disables an account (it cannot log in anywhere from
// then on, and a screen it is logged in at logs it out) or enables it
// again.
func (db *DB) SetStaffDisabled(ctx context.Context, user string, disabled bool) error {
	if !disabled {
		return db.changeStaff(ctx, user, "staff_enable", "", `UPDATE staff SET disabled_at = 0 WHERE username = ? AND removed_at = 0`, nil, nil)
	}
	return db.changeStaff(ctx, user, "staff_disable", "",
		`UPDATE staff SET disabled_at = CASE WHEN disabled_at = 0 THEN ? ELSE disabled_at END WHERE username = ? AND removed_at = 0`,
		[]any{ms(db.Now())}, nil)
}

// RemoveStaff removes an account for good: its password hash, SSH keys
// and login failures are deleted; the row stays, removed, so that its
// name is never given to someone else and the audit trail keeps meaning
// one person.
func (db *DB) RemoveStaff(ctx context.Context, user string) error {
	now := ms(db.Now())
	return db.changeStaff(ctx, user, "staff_remove", "",
		`UPDATE staff SET removed_at = ?, password_hash = '', disabled_at = CASE WHEN disabled_at = 0 THEN ? ELSE disabled_at END WHERE username = ? AND removed_at = 0`,
		[]any{now, now}, func(tx *sql.Tx, id int64) error {
			if _, err := tx.ExecContext(ctx, db.SQL(`DELETE FROM staff_keys WHERE staff_id = ?`), id); err != nil {
				return db.unavailable(err)
			}
			if _, err := tx.ExecContext(ctx, db.SQL(`DELETE FROM login_failures WHERE username = ?`), strings.TrimSpace(user)); err != nil {
				return db.unavailable(err)
			}
			return nil
		})
}

// SetStaffPassword replaces an account's password hash (a reset by an
// admin) and lifts its locks everywhere.
func (db *DB) SetStaffPassword(ctx context.Context, user, hash string) error {
	if hash == "" {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("密码不能为空", "the password is required"))
	}
	return db.changeStaff(ctx, user, "staff_password", "", `UPDATE staff SET password_hash = ? WHERE username = ? AND removed_at = 0`,
		[]any{hash}, func(tx *sql.Tx, _ int64) error {
			_, err := tx.ExecContext(ctx, db.SQL(`DELETE FROM login_failures WHERE username = ?`), strings.TrimSpace(user))
			return db.unavailableOrNil(err)
		})
}

// UnlockStaff lifts an account's locks, and forgets its failures, at every
// place; it returns at how many places it was locked.
func (db *DB) UnlockStaff(ctx context.Context, user string) (int, error) {
	now := ms(db.Now())
	var n int
	// The UPDATE changes nothing: it finds the account, as changeStaff's
	// other changes do.
	err := db.changeStaff(ctx, user, "staff_unlock", "", `UPDATE staff SET username = username WHERE username = ? AND removed_at = 0`, nil,
		func(tx *sql.Tx, _ int64) error {
			if err := tx.QueryRowContext(ctx, db.SQL(`SELECT COUNT(*) FROM login_failures WHERE username = ? AND locked_until > ?`), strings.TrimSpace(user), now).Scan(&n); err != nil {
				return db.unavailable(err)
			}
			_, err := tx.ExecContext(ctx, db.SQL(`DELETE FROM login_failures WHERE username = ?`), strings.TrimSpace(user))
			return db.unavailableOrNil(err)
		})
	return n, err
}

func (db *DB) unavailableOrNil(err error) error {
	if err != nil {
		return db.unavailable(err)
	}
	return nil
}

// LoginState returns how a user name stands at a place: the zero state
// when nothing was counted there, or the last failure is older than
// lifeline.LoginForget and no lock holds.
func (db *DB) LoginState(ctx context.Context, user, place string, now time.Time) (lifeline.LoginState, error) {
	st, err := db.loginState(ctx, db.r, strings.TrimSpace(user), place, now)
	if err != nil {
		return lifeline.LoginState{}, err
	}
	return st, nil
}

func (db *DB) loginState(ctx context.Context, q queryer, user, place string, now time.Time) (lifeline.LoginState, error) {
	var st lifeline.LoginState
	var until, last int64
	err := q.QueryRowContext(ctx, db.SQL(`SELECT failures, locks, locked_until, last_at FROM login_failures WHERE username = ? AND place = ?`), user, place).
		Scan(&st.Failures, &st.Locks, &until, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return lifeline.LoginState{}, nil
	}
	if err != nil {
		return st, db.unavailable(err)
	}
	st.LockedUntil = fromMS(until)
	if !st.Locked(now) && fromMS(last).Add(lifeline.LoginForget).Before(now) {
		return lifeline.LoginState{}, nil
	}
	return st, nil
}

// RecordLoginFailure counts a wrong password for a user name at a place
// and returns the state after it (lifeline.LoginState.Fail). The count is
// kept whether or not an account has that name, so a name nobody has
// locks exactly as a real one. The failure ("login_failed", saying why)
// and a lock it starts ("login_locked") are audited in the same
// transaction. Failures forgotten a day ago are cleared on the way.
func (db *DB) RecordLoginFailure(ctx context.Context, user, place, why string, now time.Time) (lifeline.LoginState, error) {
	user = strings.TrimSpace(user)
	var next lifeline.LoginState
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.SQL(`INSERT INTO login_failures (username, place, last_at) VALUES (?, ?, ?) ON CONFLICT (username, place) DO NOTHING`), user, place, ms(now)); err != nil {
			return db.unavailable(err)
		}
		// Takes the row's lock on PostgreSQL before it is read, so that
		// failures at once from one place all count.
		if _, err := tx.ExecContext(ctx, db.SQL(`UPDATE login_failures SET last_at = last_at WHERE username = ? AND place = ?`), user, place); err != nil {
			return db.unavailable(err)
		}
		st, err := db.loginState(ctx, tx, user, place, now)
		if err != nil {
			return err
		}
		next = st.Fail(now)
		if _, err := tx.ExecContext(ctx, db.SQL(`UPDATE login_failures SET failures = ?, locks = ?, locked_until = ?, last_at = ? WHERE username = ? AND place = ?`),
			next.Failures, next.Locks, ms(next.LockedUntil), ms(now), user, place); err != nil {
			return db.unavailable(err)
		}
		forget := ms(now.Add(-lifeline.LoginForget))
		if _, err := tx.ExecContext(ctx, db.SQL(`DELETE FROM login_failures WHERE last_at < ? AND locked_until < ?`), forget, ms(now)); err != nil {
			return db.unavailable(err)
		}
		who, err := db.claimedUser(ctx, tx, user)
		if err != nil {
			return err
		}
		if err := db.auditTx(ctx, tx, ms(now), "anonymous", "login_failed", 0, who+": "+why); err != nil {
			return err
		}
		if next.Locks > st.Locks {
			return db.auditTx(ctx, tx, ms(now), "anonymous", "login_locked", 0,
				fmt.Sprintf("%s: locked at %s for %s (lock %d)", who, place, lifeline.LockFor(next.Locks), next.Locks))
		}
		return nil
	})
	return next, err
}

// claimedUser is how a failed login names the user it claimed in the
// audit log: "user wang" for an account, and only "unknown user name"
// for anything else, which may be a password typed into the wrong field.
func (db *DB) claimedUser(ctx context.Context, q queryer, user string) (string, error) {
	var one int
	err := q.QueryRowContext(ctx, db.SQL(`SELECT 1 FROM staff WHERE username = ? AND removed_at = 0`), user).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return "unknown user name", nil
	}
	if err != nil {
		return "", db.unavailable(err)
	}
	return "user " + user, nil
}

// RecordLogin writes a successful login to the audit log ("login", how:
// password or key) and clears the failures counted at the place.
func (db *DB) RecordLogin(ctx context.Context, user, place, how string) error {
	user = strings.TrimSpace(user)
	now := ms(db.Now())
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.SQL(`DELETE FROM login_failures WHERE username = ? AND place = ?`), user, place); err != nil {
			return db.unavailable(err)
		}
		return db.auditTx(ctx, tx, now, "staff:"+user, "login", 0, how)
	})
}
