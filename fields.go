package lifeline

import (
	"sort"
	"strconv"
	"strings"
)

// Field is a part of a resident a roster gives in a column of its own. A
// file without the column says nothing about that part: an import leaves
// it as stored (Resident.Omitted), and clearing it takes an empty cell in a
// column the file has.
type Field uint16

// Fields of a resident a roster may give or leave out.
const (
	FieldNationality Field = 1 << iota
	FieldBirth
	FieldSex
	FieldPhones
	FieldCommunity
	FieldBuilding
	FieldUnit
	FieldRoom

	// FieldAddress is every part of the address.
	FieldAddress = FieldCommunity | FieldBuilding | FieldUnit | FieldRoom
)

// Has reports whether f includes every field of o.
func (f Field) Has(o Field) bool { return f&o == o }

// MergeAddress returns a with the parts omitted taken from stored: a file
// with a building and a room but no community column keeps the resident's
// community.
func MergeAddress(a, stored Address, omitted Field) Address {
	if omitted.Has(FieldCommunity) {
		a.Community = stored.Community
	}
	if omitted.Has(FieldBuilding) {
		a.Building = stored.Building
	}
	if omitted.Has(FieldUnit) {
		a.Unit = stored.Unit
	}
	if omitted.Has(FieldRoom) {
		a.Room = stored.Room
	}
	return a
}

// FieldChanges counts, per part, the stored residents an import changed
// (or, dry, would change): what a person checks before a wrong file is
// written ("住址 12 人，电话 3 人，姓名 1 人").
type FieldChanges struct {
	Name, Address, Phones, Birth, Sex, Nationality int
}

// Any reports whether anything changed.
func (c FieldChanges) Any() bool { return c != FieldChanges{} }

// In words the changes in l, the parts with most changes first, those with
// none left out: "住址 12 人，电话 3 人，姓名 1 人".
func (c FieldChanges) In(l Lang) string {
	parts := []struct {
		n    int
		what Text
	}{
		{c.Address, T("住址", "address")}, {c.Phones, T("电话", "phones")}, {c.Name, T("姓名", "name")},
		{c.Birth, T("出生日期", "date of birth")}, {c.Sex, T("性别", "sex")}, {c.Nationality, T("国籍", "nationality")},
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].n > parts[j].n })
	var out []string
	for _, p := range parts {
		if p.n > 0 {
			out = append(out, p.what.In(l)+" "+strconv.Itoa(p.n)+l.Pick(" 人", ""))
		}
	}
	return strings.Join(out, l.Pick("，", ", "))
}

// Rename is a stored resident's name an import changed: listed, with the
// line of the file, so a file of the wrong people is noticed before it is
// written.
type Rename struct {
	Doc      Document
	Old, New string
}

// MaxRenamesListed is how many renames ImportStats.Renamed keeps; the
// count of them all is FieldChanges.Name.
const MaxRenamesListed = 100
