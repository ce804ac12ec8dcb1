package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
)

const issuedCols = `serial, resident_id, key_id, issued_by, issued_at, expires_at, revoked_at, revoke_reason`

func scanIssued(s scanner) (lifeline.IssuedCode, error) {
	var c lifeline.IssuedCode
	var iat, exp, rev int64
	err := s.Scan(&c.Serial, &c.ResidentID, &c.KeyID, &c.IssuedBy, &iat, &exp, &rev, &c.RevokeReason)
	c.IssuedAt, c.ExpiresAt, c.RevokedAt = fromMS(iat), fromMS(exp), fromMS(rev)
	return c, err
}

func errCodeNotFound() error {
	return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有这个序列号的离线码", "no code with that serial was issued"))
}

// actorOr returns by, or the actor in ctx when by is empty.
func actorOr(ctx context.Context, by string) string {
	if by != "" {
		return by
	}
	return lifeline.ActorFrom(ctx).User
}

// normKeyID checks a key id is 16 hex digits and returns it in lower case.
func normKeyID(kid string) (string, error) {
	kid = strings.ToLower(strings.TrimSpace(kid))
	if b, err := hex.DecodeString(kid); err != nil || len(b) != 8 {
		return "", lifeline.Errorf(lifeline.EINVALID, lifeline.T("密钥编号“"+kid+"”无效：应为 16 位十六进制", "key id \""+kid+"\" is not valid: use its 16 hex digits"))
	}
	return kid, nil
}

// auditTx appends to the audit log inside a write transaction: the
// actor given, or the one in ctx when it is "", with the place and note of
// the actor in ctx.
func (db *DB) auditTx(ctx context.Context, tx *sql.Tx, at int64, actor, action string, residentID int64, detail string) error {
	a := lifeline.ActorFrom(ctx)
	if actor == "" {
		actor = a.User
	}
	_, err := tx.ExecContext(ctx, db.SQL(`INSERT INTO audit_log (at, actor, action, resident_id, detail, place, note) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		at, actor, action, nullID(residentID), detail, a.Place, a.Note)
	if err != nil {
		return db.unavailable(err)
	}
	return nil
}

// RecordIssued stores issued codes in one transaction, with an audit row
// each. A serial stored before is a conflict (serials are random: it means
// the same code was recorded twice); a resident that does not exist is not
// found, as is one the actor in ctx may not see. Either every code is
// stored or none is.
func (db *DB) RecordIssued(ctx context.Context, codes []lifeline.IssuedCode) error {
	now := ms(db.Now())
	actor := lifeline.ActorFrom(ctx).User
	return db.tx(ctx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, db.SQL(`INSERT INTO issued_codes (`+issuedCols+`) VALUES (?, ?, ?, ?, ?, ?, 0, '') ON CONFLICT (serial) DO NOTHING`))
		if err != nil {
			return db.unavailable(err)
		}
		defer ins.Close()
		seen := map[int64]bool{}
		for _, c := range codes {
			if len(c.Serial) != code.SerialSize {
				return lifeline.Errorf(lifeline.EINVALID, lifeline.T("离线码序列号应为 16 字节", "a code serial must be 16 bytes"))
			}
			kid, err := normKeyID(c.KeyID)
			if err != nil {
				return err
			}
			if !seen[c.ResidentID] {
				if err := db.checkResident(ctx, tx, c.ResidentID); err != nil {
					return err
				}
				seen[c.ResidentID] = true
			}
			iat := ms(c.IssuedAt)
			if iat == 0 {
				iat = now
			}
			by := c.IssuedBy
			if by == "" {
				by = actor
			}
			res, err := ins.ExecContext(ctx, c.Serial, c.ResidentID, kid, by, iat, ms(c.ExpiresAt))
			if err != nil {
				return db.unavailable(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return lifeline.Errorf(lifeline.ECONFLICT, lifeline.T("该离线码已登记过", "that code was already recorded"))
			}
			detail := fmt.Sprintf("serial %s key %s expires %s", lifeline.FormatSerial(c.Serial), kid, c.ExpiresAt.UTC().Format(time.RFC3339))
			if err := db.auditTx(ctx, tx, now, by, "issue_code", c.ResidentID, detail); err != nil {
				return err
			}
		}
		return nil
	})
}

// IssuedCode returns one issued code by serial, whoever holds it: a
// checkpoint verifies any card it is shown (see scope.go).
func (db *DB) IssuedCode(ctx context.Context, serial []byte) (*lifeline.IssuedCode, error) {
	c, err := scanIssued(db.r.QueryRowContext(ctx, db.SQL(`SELECT `+issuedCols+` FROM issued_codes WHERE serial = ?`), serial))
	if err == sql.ErrNoRows {
		return nil, errCodeNotFound()
	}
	if err != nil {
		return nil, db.unavailable(err)
	}
	return &c, nil
}

// IssuedCodes returns a resident's codes, newest first: none for a
// resident the actor in ctx may not see.
func (db *DB) IssuedCodes(ctx context.Context, residentID int64) ([]lifeline.IssuedCode, error) {
	cond, args := inScope(ctx, "issued_codes.resident_id")
	return queryRows(ctx, db, db.r, scanIssued, `SELECT `+issuedCols+` FROM issued_codes WHERE resident_id = ?`+cond+` ORDER BY issued_at DESC, serial`, append([]any{residentID}, args...)...)
}

// RevokeSerial revokes one code (a lost card). Revoking a code that is
// already revoked changes nothing and is not an error. The code of a
// resident the actor in ctx may not see is not found.
func (db *DB) RevokeSerial(ctx context.Context, serial []byte, reason, by string) error {
	by = actorOr(ctx, by)
	now := ms(db.Now())
	cond, cargs := inScope(ctx, "issued_codes.resident_id")
	return db.tx(ctx, func(tx *sql.Tx) error {
		var rid, revoked int64
		err := tx.QueryRowContext(ctx, db.SQL(`SELECT resident_id, revoked_at FROM issued_codes WHERE serial = ?`+cond), append([]any{serial}, cargs...)...).Scan(&rid, &revoked)
		if err == sql.ErrNoRows {
			return errCodeNotFound()
		}
		if err != nil {
			return db.unavailable(err)
		}
		if revoked != 0 {
			return nil
		}
		change, err := db.nextChange(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.SQL(`UPDATE issued_codes SET revoked_at = ?, revoke_reason = ?, revoked_seq = ? WHERE serial = ? AND revoked_at = 0`), now, reason, change, serial); err != nil {
			return db.unavailable(err)
		}
		return db.auditTx(ctx, tx, now, by, "revoke", rid, fmt.Sprintf("serial %s: %s", lifeline.FormatSerial(serial), reason))
	})
}

// RevokeResident revokes every code a resident holds and returns how many
// were newly revoked (a resident the actor in ctx may not see is not
// found).
func (db *DB) RevokeResident(ctx context.Context, residentID int64, reason, by string) (int, error) {
	by = actorOr(ctx, by)
	now := ms(db.Now())
	var n int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.checkResident(ctx, tx, residentID); err != nil {
			return err
		}
		change, err := db.nextChange(ctx, tx)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.SQL(`UPDATE issued_codes SET revoked_at = ?, revoke_reason = ?, revoked_seq = ? WHERE resident_id = ? AND revoked_at = 0`), now, reason, change, residentID)
		if err != nil {
			return db.unavailable(err)
		}
		if n, _ = res.RowsAffected(); n == 0 {
			if err := db.returnChange(ctx, tx); err != nil {
				return err
			}
		}
		return db.auditTx(ctx, tx, now, by, "revoke", residentID, fmt.Sprintf("all codes (%d): %s", n, reason))
	})
	return int(n), err
}

// RevokeKeyBefore revokes every code a key signed before a cut-off, and
// records the cut-off itself so the revocation list catches codes this
// store never heard of. A later cut-off for the same key replaces an
// earlier one; an earlier one never shortens it.
func (db *DB) RevokeKeyBefore(ctx context.Context, kid string, before time.Time, reason, by string) (int, error) {
	kid, err := normKeyID(kid)
	if err != nil {
		return 0, err
	}
	if before.IsZero() {
		return 0, lifeline.Errorf(lifeline.EINVALID, lifeline.T("必须给出截止时间", "a cut-off time is required"))
	}
	by = actorOr(ctx, by)
	now := ms(db.Now())
	var n int64
	err = db.tx(ctx, func(tx *sql.Tx) error {
		change, err := db.nextChange(ctx, tx)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.SQL(`UPDATE issued_codes SET revoked_at = ?, revoke_reason = ?, revoked_seq = ? WHERE key_id = ? AND issued_at < ? AND revoked_at = 0`), now, reason, change, kid, ms(before))
		if err != nil {
			return db.unavailable(err)
		}
		n, _ = res.RowsAffected()
		res, err = tx.ExecContext(ctx, db.SQL(`INSERT INTO key_cutoffs (key_id, cutoff, reason, set_by, set_at, seq) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (key_id) DO UPDATE SET cutoff = excluded.cutoff, reason = excluded.reason, set_by = excluded.set_by, set_at = excluded.set_at, seq = excluded.seq
			WHERE excluded.cutoff > key_cutoffs.cutoff`), kid, ms(before), reason, by, now, change)
		if err != nil {
			return db.unavailable(err)
		}
		if moved, _ := res.RowsAffected(); n == 0 && moved == 0 {
			if err := db.returnChange(ctx, tx); err != nil {
				return err
			}
		}
		return db.auditTx(ctx, tx, now, by, "revoke", 0, fmt.Sprintf("key %s before %s (%d codes): %s", kid, before.UTC().Format(time.RFC3339), n, reason))
	})
	return int(n), err
}

// EachRevoked calls fn for every revoked serial, streaming.
func (db *DB) EachRevoked(ctx context.Context, fn func(serial []byte) error) error {
	return eachRow(ctx, db, db.r, func(s scanner) (serial []byte, err error) { return serial, s.Scan(&serial) },
		fn, `SELECT serial FROM issued_codes WHERE revoked_at <> 0`)
}

// KeyCutoffs returns, per key id, the time before which its codes are
// revoked.
func (db *DB) KeyCutoffs(ctx context.Context) (map[string]time.Time, error) {
	type cutoff struct {
		kid string
		at  int64
	}
	out := map[string]time.Time{}
	err := eachRow(ctx, db, db.r, func(s scanner) (c cutoff, err error) { return c, s.Scan(&c.kid, &c.at) },
		func(c cutoff) error { out[c.kid] = fromMS(c.at); return nil }, `SELECT key_id, cutoff FROM key_cutoffs`)
	if err != nil {
		return nil, err
	}
	return out, nil
}
