package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
)

const staffKeyCols = `k.id, s.username, k.fingerprint, k.public_key, k.comment, k.added_at`

func scanStaffKey(sc scanner) (lifeline.StaffKey, error) {
	var k lifeline.StaffKey
	var added int64
	err := sc.Scan(&k.ID, &k.User, &k.Fingerprint, &k.PublicKey, &k.Comment, &added)
	k.AddedAt = fromMS(added)
	return k, err
}

// AddStaffKey adds an SSH public key to an account that was not removed,
// audited ("staff_key_add") with it. The key (its fingerprint) must not
// be any account's yet: a key logs in one person.
func (db *DB) AddStaffKey(ctx context.Context, k *lifeline.StaffKey) error {
	if k.Fingerprint == "" || k.PublicKey == "" {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("缺少公钥", "the public key is missing"))
	}
	k.User = strings.TrimSpace(k.User)
	if k.AddedAt.IsZero() {
		k.AddedAt = db.Now()
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		var staffID int64
		err := tx.QueryRowContext(ctx, db.SQL(`SELECT id FROM staff WHERE username = ? AND removed_at = 0`), k.User).Scan(&staffID)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoSuchUser()
		} else if err != nil {
			return db.unavailable(err)
		}
		err = tx.QueryRowContext(ctx, db.SQL(`INSERT INTO staff_keys (staff_id, fingerprint, public_key, comment, added_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (fingerprint) DO NOTHING RETURNING id`), staffID, k.Fingerprint, k.PublicKey, k.Comment, ms(k.AddedAt)).Scan(&k.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return lifeline.Errorf(lifeline.ECONFLICT, lifeline.T("这个公钥已经添加过（"+k.Fingerprint+"）", "that key was already added ("+k.Fingerprint+")"))
		} else if err != nil {
			return db.unavailable(err)
		}
		return db.auditTx(ctx, tx, ms(k.AddedAt), "", "staff_key_add", 0, k.User+" "+k.Fingerprint)
	})
}

// StaffKeys returns an account's SSH keys, oldest first.
func (db *DB) StaffKeys(ctx context.Context, user string) ([]lifeline.StaffKey, error) {
	if _, err := db.StaffByUser(ctx, user); err != nil {
		return nil, err
	}
	return queryRows(ctx, db, db.r, scanStaffKey, `SELECT `+staffKeyCols+` FROM staff_keys k JOIN staff s ON s.id = k.staff_id
		WHERE s.username = ? ORDER BY k.id`, strings.TrimSpace(user))
}

// RemoveStaffKey removes one of an account's keys by its fingerprint,
// audited ("staff_key_remove").
func (db *DB) RemoveStaffKey(ctx context.Context, user, fingerprint string) error {
	user = strings.TrimSpace(user)
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.SQL(`DELETE FROM staff_keys WHERE fingerprint = ? AND staff_id IN (SELECT id FROM staff WHERE username = ?)`), fingerprint, user)
		if err != nil {
			return db.unavailable(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("该用户没有这个公钥", "that user has no such key"))
		}
		return db.auditTx(ctx, tx, ms(db.Now()), "", "staff_key_remove", 0, user+" "+fingerprint)
	})
}

// StaffByKey returns the account an SSH key belongs to (removed accounts
// have no keys), and the key. The caller checks the account is active, so
// that a disabled one can be told apart and audited.
func (db *DB) StaffByKey(ctx context.Context, fingerprint string) (*lifeline.Staff, *lifeline.StaffKey, error) {
	k, err := scanStaffKey(db.r.QueryRowContext(ctx, db.SQL(`SELECT `+staffKeyCols+` FROM staff_keys k JOIN staff s ON s.id = k.staff_id
		WHERE k.fingerprint = ? AND s.removed_at = 0`), fingerprint))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有这个公钥", "no such key"))
	}
	if err != nil {
		return nil, nil, db.unavailable(err)
	}
	s, err := db.StaffByUser(ctx, k.User)
	if err != nil {
		return nil, nil, err
	}
	return s, &k, nil
}
