package lifeline

import "strings"

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
		// Mobiles are 1[3-9]…; Beijing's area code 10 also starts with 1.
		mobile := n[0] == '1' && len(n) > 1 && n[1] != '0'
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
