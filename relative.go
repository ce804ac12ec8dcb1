package lifeline

import (
	"context"
	"time"
)

// ReviewState is where a relative link stands.
type ReviewState string

// Review states. Links inside one household are approved automatically;
// others wait for staff.
const (
	AutoApproved  ReviewState = "auto_approved"
	ReviewPending ReviewState = "pending"
	Approved      ReviewState = "approved"
	Rejected      ReviewState = "rejected"
)

// Active reports whether the link lets the relative act for the resident.
func (s ReviewState) Active() bool { return s == AutoApproved || s == Approved }

// Label returns the state's words.
func (s ReviewState) Label(l Lang) string {
	switch s {
	case AutoApproved:
		return l.Pick("自动通过", "auto-approved")
	case ReviewPending:
		return l.Pick("待审核", "pending review")
	case Approved:
		return l.Pick("已通过", "approved")
	case Rejected:
		return l.Pick("已驳回", "rejected")
	}
	return string(s)
}

// Relative links a resident (the person cared for) to someone who may ask
// for them: another resident, or a bare phone number.
type Relative struct {
	ID                 int64
	ResidentID         int64  // the person cared for
	RelativeResidentID int64  // 0 if the relative is a bare phone
	Phone              string // E.164; for a resident relative, empty (their phones are used)
	Relation           string // a Relation: 子女, 配偶, 父母…
	State              ReviewState
	Reason             string // why rejected
	CreatedBy          string
	ReviewedBy         string
	CreatedAt          time.Time
	ReviewedAt         time.Time
}

// Relation is what a relative is to the person they care for, stored as
// its Chinese word (what the links made before the list was fixed hold).
// Staff choose it from Relations; Label words it in either language.
type Relation string

// Relations staff choose from, in the order they are offered.
const (
	RelationChild   Relation = "子女"
	RelationSpouse  Relation = "配偶"
	RelationParent  Relation = "父母"
	RelationSibling Relation = "兄弟姐妹"
	RelationOther   Relation = "其他"
)

// Relations is every relation staff may choose, in the order offered.
var Relations = []Relation{RelationChild, RelationSpouse, RelationParent, RelationSibling, RelationOther}

// Label returns the relation's word in l. A relation stored as free text
// before the list existed is shown as it is, made printable.
func (r Relation) Label(l Lang) string {
	switch r {
	case RelationChild:
		return l.Pick("子女", "child")
	case RelationSpouse:
		return l.Pick("配偶", "spouse")
	case RelationParent:
		return l.Pick("父母", "parent")
	case RelationSibling:
		return l.Pick("兄弟姐妹", "sibling")
	case RelationOther:
		return l.Pick("其他", "other")
	}
	return Printable(string(r))
}

// RelativeService links relatives and reviews the links.
type RelativeService interface {
	// LinkRelative stores a link; it is approved automatically when both are
	// residents of the same household, otherwise it waits for review.
	LinkRelative(ctx context.Context, r *Relative) error
	// ReviewRelative approves or rejects a pending link.
	ReviewRelative(ctx context.Context, id int64, approve bool, reason, by string) error
	// Relatives returns the links of one resident (the cared-for side).
	Relatives(ctx context.Context, residentID int64) ([]Relative, error)
	// PendingRelatives returns links waiting for review, oldest first.
	PendingRelatives(ctx context.Context, community string) ([]Relative, error)
	// CaredForByPhone returns the residents a phone may ask about: its own
	// residents and those linked to it (or to its residents) by an active link.
	CaredForByPhone(ctx context.Context, phone string) ([]*Resident, error)
}

// PhoneTie is how the phone that asks about a resident is tied to them, as
// a read for a phone (StatusByPhone) fills it in: the phone is one of the
// resident's own, or reaches them through an active relative link. A reply
// that lists several people uses it to tell apart two whose masked names
// are alike (王*, 王*).
type PhoneTie struct {
	// Own: the phone is the resident's own.
	Own bool
	// Relation is the link's relation when not Own: what the person with
	// the phone is to the resident (子女: the phone's holder is the
	// resident's child).
	Relation string
	// DocTail is the last two characters of the resident's document
	// number, "" without one.
	DocTail string
}

// Word is what the holder of the phone calls the resident: 本人 for their
// own, 母亲 when they are the resident's child and she is a woman, 父母
// when her sex is not known, 亲属 for a relation not on the list
// (子女, 配偶, 父母, 兄弟姐妹). Stored relations are free text from older
// stores, so an unknown one is never echoed back.
func (t PhoneTie) Word(sex Sex, l Lang) string {
	if t.Own {
		return l.Pick("本人", "self")
	}
	pick := func(male, female, either Text) string {
		switch sex {
		case Male:
			return male.In(l)
		case Female:
			return female.In(l)
		}
		return either.In(l)
	}
	switch t.Relation {
	case "子女", "儿子", "女儿":
		return pick(T("父亲", "father"), T("母亲", "mother"), T("父母", "parent"))
	case "父母", "父亲", "母亲":
		return pick(T("儿子", "son"), T("女儿", "daughter"), T("子女", "child"))
	case "配偶", "丈夫", "妻子":
		return pick(T("丈夫", "husband"), T("妻子", "wife"), T("配偶", "spouse"))
	case "兄弟姐妹", "兄弟", "姐妹":
		return pick(T("兄弟", "brother"), T("姐妹", "sister"), T("兄弟姐妹", "sibling"))
	}
	return l.Pick("亲属", "relative")
}
