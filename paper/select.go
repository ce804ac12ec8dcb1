package paper

import (
	"context"
	"strconv"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
)

// Selection is who a batch prints, as staff name them. The first way
// given decides: one resident by the number on their document (of
// whatever type), a household by its id, a household by its address (in
// Community, or in the one community that has it), residents already
// found (a list), or else everyone in a building and/or a community.
type Selection struct {
	Document    string
	HouseholdID int64
	Address     lifeline.Address // a household's address: Building and Room set
	Residents   []*lifeline.Resident
	Building    string
	Community   string
}

// SelectStore is what Selection.Source reads.
type SelectStore interface {
	ResidentByDocument(ctx context.Context, d lifeline.Document) (*lifeline.Resident, error)
	HouseholdMembers(ctx context.Context, householdID int64) ([]*lifeline.Resident, error)
	HouseholdAt(ctx context.Context, a lifeline.Address) (*lifeline.Household, error)
	EachResident(ctx context.Context, f lifeline.ResidentFilter, fn func(*lifeline.Resident) error) error
}

// Source returns the selected residents as a Source, in print order, and
// how many they are. A building is read whole and sorted door to door
// (Less: room 101 before 1001), as its cards are handed out; a community
// is streamed from the store in building, unit, room order, after one
// counting pass that gives the time left; nobody selected is ENOTFOUND.
func (s Selection) Source(ctx context.Context, st SelectStore) (Source, int, error) {
	var rs []*lifeline.Resident
	var err error
	switch {
	case s.Document != "":
		r, err := st.ResidentByDocument(ctx, lifeline.Document{Number: s.Document})
		if err != nil {
			return nil, 0, err
		}
		return Residents([]*lifeline.Resident{r}), 1, nil
	case s.HouseholdID != 0:
		rs, err = st.HouseholdMembers(ctx, s.HouseholdID)
		if err == nil && len(rs) == 0 {
			id := strconv.FormatInt(s.HouseholdID, 10)
			err = lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("户 "+id+" 没有居民", "household "+id+" has no residents"))
		}
	case s.Address.Building != "":
		a := s.Address
		a.Community = s.Community
		var h *lifeline.Household
		if h, err = st.HouseholdAt(ctx, a); err == nil {
			rs, err = st.HouseholdMembers(ctx, h.ID)
		}
		if lifeline.ErrorCode(err) == lifeline.ECONFLICT {
			where := lifeline.Printable(a.Short())
			err = lifeline.Wrapf(lifeline.ECONFLICT, err, lifeline.T("多个社区都有门牌号 "+where+"，请加 --community", "several communities have the address "+where+"; add --community"))
		}
	case s.Residents != nil:
		rs = append(rs, s.Residents...)
	case s.Building != "":
		err = st.EachResident(ctx, lifeline.ResidentFilter{Building: s.Building, Community: s.Community}, func(r *lifeline.Resident) error {
			cp := *r
			rs = append(rs, &cp)
			return nil
		})
		if err == nil && len(rs) == 0 {
			err = lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有符合条件的居民", "no residents match"))
		}
	default:
		f := lifeline.ResidentFilter{Building: s.Building, Community: s.Community}
		total := 0
		if err := st.EachResident(ctx, f, func(*lifeline.Resident) error { total++; return nil }); err != nil {
			return nil, 0, err
		}
		if total == 0 {
			return nil, 0, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有符合条件的居民", "no residents match"))
		}
		return Selected(st, f), total, nil
	}
	if err != nil {
		return nil, 0, err
	}
	SortResidents(rs)
	return Residents(rs), len(rs), nil
}

// SetHousehold selects a household as a person types it: its id, or its
// address such as 12-3-501 (12-501 where there are no units). "" selects
// none.
func (sel *Selection) SetHousehold(h string) error {
	h = strings.TrimSpace(h)
	if h == "" {
		return nil
	}
	if id, err := strconv.ParseInt(h, 10, 64); err == nil && id > 0 {
		sel.HouseholdID = id
		return nil
	}
	a, err := lifeline.ParseAddress(h)
	if err != nil {
		return lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("--household 应为户编号或 楼-单元-房号（如 12-3-501；没有单元的写 楼-房号，如 12-501）",
			"--household must be a household id or building-unit-room such as 12-3-501 (building-room such as 12-501 where there are no units)"))
	}
	sel.Address = a
	return nil
}
