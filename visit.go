package lifeline

import (
	"fmt"
	"strings"
	"time"
)

// VisitMark is what a volunteer found at a door.
type VisitMark string

// Visit marks.
const (
	VisitNotHome VisitMark = "not_home" // visited, nobody home
	VisitSampled VisitMark = "sampled"  // sampled at home
	VisitRefused VisitMark = "refused"
	VisitAway    VisitMark = "away" // not living there now (travelling, in hospital)
)

// VisitMarks lists the marks in the order a screen offers them.
var VisitMarks = []VisitMark{VisitNotHome, VisitSampled, VisitRefused, VisitAway}

// Label returns the mark's words.
func (v VisitMark) Label(l Lang) string {
	switch v {
	case VisitNotHome:
		return l.Pick("上门未遇", "visited, not home")
	case VisitSampled:
		return l.Pick("已上门采样", "sampled at home")
	case VisitRefused:
		return l.Pick("拒绝采样", "refused")
	case VisitAway:
		return l.Pick("外出不在", "away")
	}
	return string(v)
}

// Short returns the mark in a word or two, for a box on paper.
func (v VisitMark) Short(l Lang) string {
	switch v {
	case VisitNotHome:
		return l.Pick("未遇", "not home")
	case VisitSampled:
		return l.Pick("已采", "sampled")
	case VisitRefused:
		return l.Pick("拒绝", "refused")
	case VisitAway:
		return l.Pick("外出", "away")
	}
	return string(v)
}

// ParseVisitMark reads a mark in English or Chinese, or its number in
// VisitMarks (1-4).
func ParseVisitMark(s string) (VisitMark, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "not_home", "nothome", "not home", "visited, not home", "1", "未遇", "不在家", "上门未遇":
		return VisitNotHome, nil
	case "sampled", "sampled at home", "2", "已采", "上门采样", "已上门采样":
		return VisitSampled, nil
	case "refused", "refuse", "3", "拒绝", "拒绝采样", "拒采":
		return VisitRefused, nil
	case "away", "4", "外出", "外出不在", "不在本地":
		return VisitAway, nil
	}
	return "", Errorf(EINVALID, T("未知上门记录“"+s+"”，应为 not_home、sampled、refused 或 away", "unknown visit mark \""+s+"\": use not_home, sampled, refused or away"))
}

// Visit is one door-to-door visit to a resident in a round.
type Visit struct {
	ID         int64
	RoundID    int64
	ResidentID int64
	Mark       VisitMark
	At         time.Time // when the volunteer was there
	Note       string
	Staff      string
}

// Validate checks a visit before it is stored.
func (v *Visit) Validate(now time.Time) error {
	if _, err := ParseVisitMark(string(v.Mark)); err != nil {
		return err
	}
	if v.At.After(now.Add(time.Hour)) {
		return Errorf(EINVALID, T("上门时间在未来", "the visit time is in the future"))
	}
	v.Note = strings.TrimSpace(v.Note)
	if len([]rune(v.Note)) > 200 {
		return Errorf(EINVALID, T("备注不能超过 200 字", "a note is at most 200 characters"))
	}
	if r, bad := UnprintableRune(v.Note); bad {
		return Errorf(EINVALID, T(fmt.Sprintf("备注含有不可见字符 %U", r), fmt.Sprintf("the note holds an invisible character %U", r)))
	}
	return nil
}
