package paper

import (
	"sort"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
)

// Less orders residents for handing cards out door to door: by community,
// building, unit and room, comparing numbers as numbers (building 2 before
// building 12), then by name and id.
func Less(a, b *lifeline.Resident) bool {
	if c := compareAddress(a.Address, b.Address); c != 0 {
		return c < 0
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.ID < b.ID
}

// SortResidents sorts residents in place by Less.
func SortResidents(rs []*lifeline.Resident) {
	sort.SliceStable(rs, func(i, j int) bool { return Less(rs[i], rs[j]) })
}

func compareAddress(a, b lifeline.Address) int {
	for _, p := range [][2]string{{a.Community, b.Community}, {a.Building, b.Building}, {a.Unit, b.Unit}, {a.Room, b.Room}} {
		if c := compareNatural(p[0], p[1]); c != 0 {
			return c
		}
	}
	return 0
}

// compareNatural compares strings with runs of ASCII digits compared by
// value: "2" < "12", "3A" < "3B", "501" < "1201".
func compareNatural(a, b string) int {
	for a != "" && b != "" {
		da, db := digitPrefix(a), digitPrefix(b)
		if da > 0 && db > 0 {
			na := strings.TrimLeft(a[:da], "0")
			nb := strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return cmpInt(len(na), len(nb))
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			if da != db { // same value, fewer leading zeros first
				return cmpInt(da, db)
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmpInt(int(a[0]), int(b[0]))
		}
		a, b = a[1:], b[1:]
	}
	return cmpInt(len(a), len(b))
}

func digitPrefix(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
