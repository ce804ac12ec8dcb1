package store

import (
	"context"

	lifeline "github.com/lifeline-health/lifeline"
)

// residentByAnyDocument finds the resident holding a document number of
// whatever type (ResidentByDocument with no type): people are asked for
// "the number on your document", not its type. The types are tried in
// lifeline.DocTypes order, each only if the number could be one of its;
// a holder outside the actor's community is not found (scope.go).
func (db *DB) residentByAnyDocument(ctx context.Context, number string) (*lifeline.Resident, error) {
	for _, t := range lifeline.DocTypes {
		d := lifeline.Document{Type: t, Number: number}
		if t == lifeline.DocNone || d.Validate() != nil {
			continue
		}
		id, err := db.residentIDByDoc(ctx, db.r, d)
		var r *lifeline.Resident
		if err == nil {
			r, err = db.Resident(ctx, id)
		}
		if lifeline.ErrorCode(err) == lifeline.ENOTFOUND {
			continue
		}
		return r, err
	}
	masked := lifeline.MaskDocNumber(number)
	return nil, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有证件号码为 "+masked+" 的居民", "no resident holds the document "+masked))
}

// HouseholdAt returns the household that lives at an address: in
// a.Community, or in any community the actor may see when that is empty.
// A household nobody lives in any more is not found; an address that
// households of several communities have is a conflict, to be settled by
// naming the community.
func (db *DB) HouseholdAt(ctx context.Context, a lifeline.Address) (*lifeline.Household, error) {
	short := a.Short()
	notFound := lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有门牌号为 "+short+" 的住户", "no household lives at "+short))
	community, ok := scopeCommunity(ctx, a.Community)
	if !ok {
		return nil, notFound
	}
	q := `SELECT h.id, h.community FROM households h
		WHERE h.building = ? AND h.unit = ? AND h.room = ?
		AND EXISTS (SELECT 1 FROM residents r WHERE r.household_id = h.id)`
	args := []any{a.Building, a.Unit, a.Room}
	if community != "" {
		q += ` AND h.community = ?`
		args = append(args, community)
	}
	found, err := queryRows(ctx, db, db.r, func(s scanner) (lifeline.Household, error) {
		h := lifeline.Household{Address: a}
		err := s.Scan(&h.ID, &h.Address.Community)
		return h, err
	}, q+` ORDER BY h.community LIMIT 2`, args...)
	if err != nil {
		return nil, err
	}
	switch len(found) {
	case 0:
		return nil, notFound
	case 1:
		return &found[0], nil
	}
	return nil, lifeline.Errorf(lifeline.ECONFLICT, lifeline.T("多个社区都有门牌号 "+short+"，请指明社区", "several communities have the address "+short+"; name the community"))
}
