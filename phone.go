package lifeline

import (
	"slices"
	"strings"
)

// NormalizePhone turns a phone number as people write it into E.164
// (+8613812345678). A bare 11-digit number starting with 1 is a mainland
// mobile; a number starting with a single 0 is a mainland landline with its
// trunk prefix (010-12345678 becomes +861012345678); 00 and + start an
// international number. Spaces, dashes, dots, brackets and full-width digits
// are ignored (NormalizeInput reads the number first).
func NormalizePhone(s string) (string, error) {
	var b strings.Builder
	plus := false
	for _, r := range NormalizeInput(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0 && !plus:
			plus = true
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", Errorf(EINVALID, T("电话号码含有无效字符", "phone number holds an invalid character"))
		}
	}
	d := b.String()
	switch {
	case d == "":
		return "", Errorf(EINVALID, T("电话号码为空", "phone number is empty"))
	case plus:
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	case len(d) == 11 && d[0] == '1':
		d = "86" + d
	case len(d) == 13 && strings.HasPrefix(d, "861"):
	case d[0] == '0' && len(d) >= 10 && len(d) <= 12:
		d = "86" + d[1:]
	default:
		return "", Errorf(EINVALID, T("无法识别的电话号码，请填写 11 位手机号或带区号的固定电话", "unrecognised phone number: give an 11-digit mobile or a landline with its area code"))
	}
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return "", Errorf(EINVALID, T("电话号码位数不对", "phone number has the wrong number of digits"))
	}
	if strings.HasPrefix(d, "86") {
		n := d[2:]
		mobile := isMobileDigits(n)
		if mobile && len(n) != 11 {
			return "", Errorf(EINVALID, T("手机号码应为 11 位", "a mainland mobile number must have 11 digits"))
		}
		if !mobile && (len(n) < 9 || len(n) > 11) {
			return "", Errorf(EINVALID, T("固定电话号码位数不对", "landline number has the wrong number of digits"))
		}
	}
	return "+" + d, nil
}

// MaskPhone hides the middle of an E.164 number: +86 138****5678.
func MaskPhone(p string) string {
	d := strings.TrimPrefix(p, "+")
	if strings.HasPrefix(d, "86") && len(d) == 13 {
		return "+86 " + d[2:5] + "****" + d[9:]
	}
	if len(d) <= 4 {
		return p
	}
	return "+" + strings.Repeat("*", len(d)-4) + d[len(d)-4:]
}

// PhoneTail returns the last 4 digits of a phone number, the form used for
// search and in logs.
func PhoneTail(p string) string {
	if len(p) <= 4 {
		return p
	}
	return p[len(p)-4:]
}

// IsLandline reports whether an E.164 number is a mainland landline: a
// mainland number that is not a mobile (+861[3-9]…). Numbers outside the
// mainland are not told apart and count as mobiles, so a roster's or the
// staff screen's landline stays apart from the mobiles on import, and only
// a number that may take an SMS gets one.
func IsLandline(e164 string) bool {
	n, ok := strings.CutPrefix(e164, "+86")
	return ok && !isMobileDigits(n)
}

// isMobileDigits reports whether national digits begin as a mainland
// mobile's: 1 and anything but 0 (Beijing's area code 10 also starts
// with 1).
func isMobileDigits(n string) bool {
	return len(n) > 1 && n[0] == '1' && n[1] != '0'
}

// MergePhones is what a resident's phones become when a roster row gives
// some: its mobiles replace the stored mobiles and its landlines the stored
// landlines, and a kind it does not give stays as stored, so a roster that
// lists only mobiles keeps the landline bound at the desk, and a landline
// column leaves the mobiles alone. Given both kinds, the result is given
// as it is; otherwise given first, then the stored numbers of the other
// kind in their order.
func MergePhones(stored, given []string) []string {
	var mobiles, landlines bool
	for _, p := range given {
		if IsLandline(p) {
			landlines = true
		} else {
			mobiles = true
		}
	}
	if mobiles == landlines { // both, or none given
		if len(given) == 0 {
			return stored
		}
		return given
	}
	out := append([]string(nil), given...)
	for _, p := range stored {
		if IsLandline(p) != landlines && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
