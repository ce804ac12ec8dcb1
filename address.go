package lifeline

import "strings"

// ParseAddress reads a room address as staff type it: building-unit-room
// (12-3-501), or building-room (12-501) where a roster has no units, the
// form Address.Short gives. It is read as typed (NormalizeInput): full-width
// digits and any dash an input method types (３－４－９０１, 12—3—501) count;
// spaces around the parts are ignored. The community is left empty: an
// address alone may exist in several.
func ParseAddress(s string) (Address, error) {
	parts := strings.Split(NormalizeInput(s), "-")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	var a Address
	switch len(parts) {
	case 2:
		a = Address{Building: parts[0], Room: parts[1]}
	case 3:
		a = Address{Building: parts[0], Unit: parts[1], Room: parts[2]}
	}
	if a.Building == "" || a.Room == "" {
		return Address{}, Errorf(EINVALID, T("门牌号应为 楼-单元-房号（如 12-3-501；没有单元的写 楼-房号，如 12-501）",
			"an address is building-unit-room such as 12-3-501 (building-room such as 12-501 where there are no units)"))
	}
	return a, nil
}
