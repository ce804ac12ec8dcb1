package store

import (
	"context"
	"database/sql"
	"slices"

	lifeline "github.com/lifeline-health/lifeline"
)

// SetLandline binds a landline to everyone in a resident's household (the
// resident alone when they have none), in place of the landlines they had,
// so that a call from the home phone hears each of them; phone "" unbinds
// the household's landlines. Mobiles stay as they are. The resident must
// be one the actor in ctx may see; each change is written to the audit log
// in the same transaction. It returns how many residents the household
// has.
func (db *DB) SetLandline(ctx context.Context, residentID int64, phone string) (int, error) {
	if phone != "" {
		p, err := lifeline.NormalizePhone(phone)
		if err != nil {
			return 0, err
		}
		if !lifeline.IsLandline(p) {
			return 0, lifeline.Errorf(lifeline.EINVALID, lifeline.T("这是手机号码：请输入带区号的固定电话，如 029-88881234",
				"this is a mobile number: give a landline with its area code, such as 029-88881234"))
		}
		phone = p
	}
	actor := lifeline.ActorFrom(ctx).User
	now := ms(db.Now())
	var members []int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.checkResident(ctx, tx, residentID); err != nil {
			return err
		}
		var err error
		members, err = queryRows(ctx, db, tx, scanID, db.SQL(`SELECT id FROM residents WHERE id = ?
			UNION SELECT m.id FROM residents r JOIN residents m ON m.household_id = r.household_id WHERE r.id = ?`), residentID, residentID)
		if err != nil {
			return db.unavailable(err)
		}
		for _, id := range members {
			if err := db.bindLandline(ctx, tx, id, phone, now, actor); err != nil {
				return err
			}
		}
		return nil
	})
	return len(members), err
}

func scanID(s scanner) (int64, error) {
	var id int64
	err := s.Scan(&id)
	return id, err
}

// bindLandline gives one resident the landline phone ("" for none) in
// place of the landlines they had, keeping their mobiles first.
func (db *DB) bindLandline(ctx context.Context, tx *sql.Tx, id int64, phone string, now int64, actor string) error {
	old, err := queryRows(ctx, db, tx, scanPhone, db.SQL(`SELECT phone FROM phones WHERE resident_id = ? ORDER BY position`), id)
	if err != nil {
		return db.unavailable(err)
	}
	var phones []string
	for _, p := range old {
		if !lifeline.IsLandline(p) {
			phones = append(phones, p)
		}
	}
	if phone != "" {
		phones = append(phones, phone)
	}
	if slices.Equal(old, phones) {
		return nil
	}
	if _, err := tx.ExecContext(ctx, db.SQL(`DELETE FROM phones WHERE resident_id = ?`), id); err != nil {
		return db.unavailable(err)
	}
	for i, p := range phones {
		if _, err := tx.ExecContext(ctx, db.SQL(`INSERT INTO phones (resident_id, position, phone, tail4) VALUES (?, ?, ?, ?)`),
			id, i, p, lifeline.PhoneTail(p)); err != nil {
			return db.unavailable(err)
		}
	}
	if _, err := tx.ExecContext(ctx, db.SQL(`UPDATE residents SET updated_at = ? WHERE id = ?`), now, id); err != nil {
		return db.unavailable(err)
	}
	detail := "unbound"
	if phone != "" {
		detail = "bound " + lifeline.MaskPhone(phone)
	}
	return db.auditTx(ctx, tx, now, actor, "landline", id, detail)
}

func scanPhone(s scanner) (string, error) {
	var p string
	err := s.Scan(&p)
	return p, err
}
