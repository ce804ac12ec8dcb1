package lifeline

import (
	"fmt"
	"unicode/utf8"
)

// The longest text each stored field may hold, in characters. Generous for
// what real rosters hold (a Chinese name is two to four characters, a
// transliterated or passport name rarely past 60, a community's full name
// about 20), and small enough that no name can make a multi-segment SMS,
// push a card's layout off the page or carry a payload: a 1 MiB name and a
// 5,000-character one were accepted before these limits.
const (
	MaxNameLen        = 100 // a resident's name
	MaxCommunityLen   = 64  // a community (社区)
	MaxAddressPartLen = 16  // a building, unit or room
	MaxReasonLen      = 100 // why a code has its colour
	MaxSiteLen        = 64  // a sampling site
	MaxTubeLen        = 32  // a tube barcode
	MaxWordLen        = 64  // a cell read as a word, date or number (a colour, a result, a time)
)

// CheckText checks one text before it is stored: no character Printable
// would escape (ESC, BEL, NUL, C1 controls, bidirectional overrides, line
// breaks, invalid UTF-8), and at most max characters. The error is one
// sentence a person can act on, without the field's name, which the caller
// knows.
func CheckText(s string, max int) error {
	if r, bad := UnprintableRune(s); bad {
		return Errorf(EINVALID, T("含有"+runeName(r, Zh)+"，请删除后重试", "contains "+runeName(r, En)+"; remove it and try again"))
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Errorf(EINVALID, T(fmt.Sprintf("太长：%d 个字符，最多 %d 个", n, max), fmt.Sprintf("too long: %d characters, at most %d", n, max)))
	}
	return nil
}

// runeName names a character CheckText refuses, for a person to find it.
func runeName(r rune, l Lang) string {
	switch {
	case r == '\n' || r == '\r':
		return l.Pick("换行", "a line break")
	case r == '\t':
		return l.Pick("制表符（Tab）", "a tab")
	case r == utf8.RuneError:
		return l.Pick("无法识别的字节（文件编码不对？）", "bytes that are not text (the wrong encoding?)")
	}
	return fmt.Sprintf(l.Pick("不可显示的控制字符 U+%04X", "an unprintable control character, U+%04X"), r)
}

// CheckTexts checks a resident's texts (see CheckText) before it is
// stored: name and address. The document is checked by Doc.Validate.
func (r *Resident) CheckTexts() error {
	return checkTexts(
		textField{T("姓名", "name"), r.Name, MaxNameLen},
		textField{T("社区", "community"), r.Address.Community, MaxCommunityLen},
		textField{T("楼栋", "building"), r.Address.Building, MaxAddressPartLen},
		textField{T("单元", "unit"), r.Address.Unit, MaxAddressPartLen},
		textField{T("房号", "room"), r.Address.Room, MaxAddressPartLen},
	)
}

// CheckTexts checks an update's texts (see CheckText) before it is
// stored: the colour's reason, the sample's site and tube.
func (u *StatusUpdate) CheckTexts() error {
	reason := textField{T("赋码原因", "colour reason"), u.ColorReason, MaxReasonLen}
	if u.Test == nil {
		return checkTexts(reason)
	}
	return checkTexts(reason,
		textField{T("采样点", "site"), u.Test.Site, MaxSiteLen},
		textField{T("试管编码", "tube"), u.Test.Tube, MaxTubeLen})
}

// textField is one text CheckTexts checks, named for the message.
type textField struct {
	what Text
	s    string
	max  int
}

func checkTexts(fields ...textField) error {
	for _, f := range fields {
		if err := CheckText(f.s, f.max); err != nil {
			return Wrapf(EINVALID, err, T(f.what.Zh+"："+ErrorMessage(err, Zh), f.what.En+": "+ErrorMessage(err, En)))
		}
	}
	return nil
}
