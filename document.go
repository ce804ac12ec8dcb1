package lifeline

import (
	"strings"
	"time"
	"unicode/utf8"
)

// DocType is the kind of identity document a resident holds.
type DocType string

// Document types.
const (
	DocMainlandID DocType = "id"       // 居民身份证, 18 characters, GB 11643
	DocPassport   DocType = "passport" // 护照, with nationality
	DocHKMO       DocType = "hkmo"     // 港澳居民来往内地通行证
	DocTaiwan     DocType = "tw"       // 台湾居民来往大陆通行证
	DocNone       DocType = "none"     // no number yet (a child): registered by a parent, handled manually
)

// DocTypes lists every document type, in display order.
var DocTypes = []DocType{DocMainlandID, DocPassport, DocHKMO, DocTaiwan, DocNone}

// Label returns the document type's name for people.
func (t DocType) Label(l Lang) string {
	switch t {
	case DocMainlandID:
		return l.Pick("身份证", "ID card")
	case DocPassport:
		return l.Pick("护照", "passport")
	case DocHKMO:
		return l.Pick("港澳通行证", "HK/Macau permit")
	case DocTaiwan:
		return l.Pick("台湾通行证", "Taiwan permit")
	case DocNone:
		return l.Pick("无证件", "no document")
	}
	return string(t)
}

// ParseDocType reads a document type written in English or Chinese; the
// empty string means a mainland resident ID.
func ParseDocType(s string) (DocType, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "", "id", "idcard", "id_card", "mainland", "mainland_id", "身份证", "居民身份证", "二代身份证":
		return DocMainlandID, nil
	case "passport", "护照", "外国护照":
		return DocPassport, nil
	case "hkmo", "hk", "mo", "hk/mo", "港澳通行证", "港澳居民来往内地通行证", "回乡证":
		return DocHKMO, nil
	case "tw", "taiwan", "台湾通行证", "台湾居民来往大陆通行证", "台胞证":
		return DocTaiwan, nil
	case "none", "无", "无证件":
		return DocNone, nil
	}
	return "", Errorf(EINVALID, T("未知证件类型“"+s+"”", "unknown document type \""+s+"\""))
}

// Document is one identity document. Number is stored normalised (upper
// case, no spaces). Nationality is an ISO 3166-1 alpha-3 code, for passports.
type Document struct {
	Type        DocType
	Number      string
	Nationality string
}

// Key is the document's unique key in the store: type and number together.
func (d Document) Key() string { return string(d.Type) + ":" + d.Number }

// NormalizeDocNumber reads a document number as typed (NormalizeInput, so
// full-width digits and letters count), upper-cases it and drops spaces and
// dashes, which people and spreadsheets add.
func NormalizeDocNumber(s string) string {
	var b strings.Builder
	for _, r := range NormalizeInput(s) {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			continue
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Validate checks the document's number against its type.
func (d Document) Validate() error {
	switch d.Type {
	case DocMainlandID:
		_, _, err := ParseMainlandID(d.Number)
		return err
	case DocPassport:
		if !isAlnum(d.Number, 5, 20) {
			return Errorf(EINVALID, T("护照号码应为 5 到 20 位字母或数字", "passport number must be 5 to 20 letters or digits"))
		}
		if d.Nationality != "" && !isUpperAlpha(d.Nationality, 3) {
			return Errorf(EINVALID, T("国籍应为三位字母代码（如 USA）", "nationality must be a three-letter code such as USA"))
		}
	case DocHKMO:
		// H/M followed by 8 or 10 digits (old and new style permits).
		if len(d.Number) < 9 || (d.Number[0] != 'H' && d.Number[0] != 'M') || !isDigits(d.Number[1:]) || (len(d.Number) != 9 && len(d.Number) != 11) {
			return Errorf(EINVALID, T("港澳通行证号码应为 H 或 M 加 8 或 10 位数字", "HK/Macau permit number must be H or M followed by 8 or 10 digits"))
		}
	case DocTaiwan:
		if (len(d.Number) != 8 && len(d.Number) != 10) || !isDigits(d.Number) {
			return Errorf(EINVALID, T("台湾通行证号码应为 8 或 10 位数字", "Taiwan permit number must be 8 or 10 digits"))
		}
	case DocNone:
		if d.Number != "" {
			return Errorf(EINVALID, T("无证件类型不应填写证件号码", "a resident with no document must have an empty document number"))
		}
	default:
		return Errorf(EINVALID, T("未知证件类型", "unknown document type"))
	}
	return nil
}

// Tail returns the last n characters of the document number, which is what
// paper codes and search by "last digits" use.
func (d Document) Tail(n int) string {
	if len(d.Number) <= n {
		return d.Number
	}
	return d.Number[len(d.Number)-n:]
}

// Masked returns the number with all but the first and last 4 characters
// replaced by '*' (110105********1234), the form shown by default.
func (d Document) Masked() string { return MaskDocNumber(d.Number) }

// MaskDocNumber masks a document number for display: the first 6 (mainland
// IDs: the region) or first 1 characters, and the last 4, stay.
func MaskDocNumber(n string) string {
	switch {
	case n == "":
		return ""
	case len(n) <= 4:
		return strings.Repeat("*", len(n))
	case len(n) == 18:
		return n[:6] + strings.Repeat("*", 8) + n[14:]
	case len(n) <= 8:
		return strings.Repeat("*", len(n)-4) + n[len(n)-4:]
	}
	return n[:1] + strings.Repeat("*", len(n)-5) + n[len(n)-4:]
}

// MaskName keeps the first and last characters of a name and hides the
// middle (张*丰); a two-character name keeps its first (张*). Names written
// in Latin letters keep the first letter of each word.
func MaskName(name string) string {
	name = strings.TrimSpace(name)
	if strings.ContainsAny(name, " ·") && isMostlyASCII(name) {
		words := strings.Fields(name)
		for i, w := range words {
			r, size := utf8.DecodeRuneInString(w)
			words[i] = string(r) + strings.Repeat("*", utf8.RuneCountInString(w[size:]))
		}
		return strings.Join(words, " ")
	}
	rs := []rune(name)
	switch len(rs) {
	case 0:
		return ""
	case 1:
		return string(rs)
	case 2:
		return string(rs[0]) + "*"
	}
	return string(rs[0]) + strings.Repeat("*", len(rs)-2) + string(rs[len(rs)-1])
}

var gb11643Weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const gb11643Check = "10X98765432"

// MainlandIDCheckDigit computes the GB 11643 check character for the first
// 17 digits of a mainland resident ID.
func MainlandIDCheckDigit(first17 string) (byte, bool) {
	if len(first17) != 17 || !isDigits(first17) {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * gb11643Weights[i]
	}
	return gb11643Check[sum%11], true
}

// ParseMainlandID validates an 18-character mainland resident ID: digits,
// a real birth date not in the future, and the GB 11643 check character. It
// returns the birth date and sex encoded in the number.
func ParseMainlandID(n string) (birth time.Time, sex Sex, err error) {
	if len(n) != 18 {
		return time.Time{}, "", Errorf(EINVALID, T("身份证号码应为 18 位", "ID number must have 18 characters"))
	}
	if !isDigits(n[:17]) || !(isDigits(n[17:]) || n[17] == 'X') {
		return time.Time{}, "", Errorf(EINVALID, T("身份证号码只能包含数字和末位 X", "ID number may hold only digits and a final X"))
	}
	if n[0] == '0' || n[0] == '9' {
		return time.Time{}, "", Errorf(EINVALID, T("身份证号码的地区码无效", "ID number has an invalid region code"))
	}
	birth, perr := time.Parse("20060102", n[6:14])
	if perr != nil || birth.Year() < 1880 || birth.After(time.Now()) {
		return time.Time{}, "", Errorf(EINVALID, T("身份证号码中的出生日期无效", "ID number holds an invalid birth date"))
	}
	want, _ := MainlandIDCheckDigit(n[:17])
	if n[17] != want {
		return time.Time{}, "", errCheckDigit
	}
	if (n[16]-'0')%2 == 1 {
		sex = Male
	} else {
		sex = Female
	}
	return birth, sex, nil
}

// errCheckDigit is a mainland ID number whose last character does not
// check out: almost always a digit mistyped or misread off the card.
var errCheckDigit = Errorf(EINVALID, T("身份证号码校验位错误，请核对", "the ID number's check digit is wrong: please check the number"))

// MistypedMainlandID returns the check-digit error when s, as typed
// (NormalizeDocNumber), has the shape of a mainland ID number (17 digits
// and a digit or X) but its check character is wrong: a typo to point out
// at once, rather than a number to look up and not find. Otherwise nil.
func MistypedMainlandID(s string) error {
	n := NormalizeDocNumber(s)
	if len(n) != 18 || !isDigits(n[:17]) || !(isDigits(n[17:]) || n[17] == 'X') {
		return nil
	}
	if want, _ := MainlandIDCheckDigit(n[:17]); n[17] != want {
		return errCheckDigit
	}
	return nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isAlnum(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func isUpperAlpha(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func isMostlyASCII(s string) bool {
	n := 0
	for _, r := range s {
		if r < 128 {
			n++
		}
	}
	return n*2 > utf8.RuneCountInString(s)
}
