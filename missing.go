package lifeline

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MissingEntry is one line of a round's missing list: a resident not
// sampled yet, or to be retested alone, with the visits made so far.
type MissingEntry struct {
	Resident *Resident // name, birth, sex, phones and address
	Retest   bool
	Visits   []Visit // oldest first
}

// LastVisit returns the latest visit, nil if none.
func (e *MissingEntry) LastVisit() *Visit {
	if len(e.Visits) == 0 {
		return nil
	}
	return &e.Visits[len(e.Visits)-1]
}

// Status says in words why the resident is on the list.
func (e *MissingEntry) Status(l Lang) string {
	if e.Retest {
		return PooledPositive.Label(l)
	}
	return l.Pick("未采样", "not sampled")
}

// MissingFilter selects a round's missing list.
type MissingFilter struct {
	RoundID  int64
	Building string // "" for the whole round
	// Reveal is for a list about to show full phone numbers: each
	// resident on it is written to the audit log as revealed.
	Reveal bool
}

// NewMissingSheet reads a round's missing list (f) from the store, at
// at, in l: what the store audits is the listing's.
func NewMissingSheet(ctx context.Context, rs RoundService, f MissingFilter, at time.Time, l Lang) (*MissingSheet, error) {
	round, err := rs.Round(ctx, f.RoundID)
	if err != nil {
		return nil, err
	}
	list, err := rs.MissingList(ctx, f)
	if err != nil {
		return nil, err
	}
	return &MissingSheet{Round: *round, Building: f.Building, Entries: list, Reveal: f.Reveal, At: at, Lang: l}, nil
}

// MissingSheet is a missing list made ready for a page or a spreadsheet:
// the lines a volunteer reads, door to door.
type MissingSheet struct {
	Round    Round
	Building string // "" for the whole round
	Entries  []MissingEntry
	// Reveal shows full names and phones, which the store wrote to the
	// audit log as revealed when it listed them; otherwise both are
	// masked.
	Reveal bool
	At     time.Time // when it was made: the ages, the title
	Lang   Lang
}

// MissingLine is one entry as people read it, every stored text escaped
// (Printable), so a name cannot carry a terminal's or a spreadsheet's
// control characters onto the page.
type MissingLine struct {
	Building, Unit, Floor, Room string
	Name, Sex, Age, Phone       string
	Status                      string
	Retest                      bool
	LastVisit                   string // the latest visit: mark and time
	Visits                      string // every visit, with notes
}

// Title says which list it is: round, where, deadline, when made.
func (s *MissingSheet) Title() string {
	l := s.Lang
	where := s.Round.Where(l)
	if s.Building != "" {
		where = s.Round.Community + " " + s.Building + l.Pick("栋", "")
	}
	due := s.Round.DueAt.In(ChinaTime).Format("01-02 15:04")
	made := s.At.In(ChinaTime).Format("01-02 15:04")
	return Printable(l.Pick(
		fmt.Sprintf("第 %d 轮核酸 %s 未采样名单（截止 %s，%s 制表，共 %d 人）", s.Round.ID, where, due, made, len(s.Entries)),
		fmt.Sprintf("Round %d, %s: not yet sampled (due %s; made %s; %d people)", s.Round.ID, where, due, made, len(s.Entries))))
}

// Header names the columns of Cells, the last one for a volunteer's notes.
func (s *MissingSheet) Header() []string {
	l := s.Lang
	return []string{l.Pick("楼栋", "building"), l.Pick("单元", "unit"), l.Pick("楼层", "floor"), l.Pick("房号", "room"),
		l.Pick("姓名", "name"), l.Pick("性别", "sex"), l.Pick("年龄", "age"), l.Pick("电话", "phone"), l.Pick("状态", "status"),
		l.Pick("上门记录", "visits"), l.Pick("备注", "notes")}
}

// Cells are a line's cells in the order of Header, the notes empty.
func (m MissingLine) Cells() []string {
	return []string{m.Building, m.Unit, m.Floor, m.Room, m.Name, m.Sex, m.Age, m.Phone, m.Status, m.Visits, ""}
}

// Lines are the entries as people read them, in the list's order.
func (s *MissingSheet) Lines() []MissingLine {
	l := s.Lang
	out := make([]MissingLine, len(s.Entries))
	for i, e := range s.Entries {
		r := e.Resident
		name := r.Name
		if !s.Reveal {
			name = MaskName(name)
		}
		_, phones := r.ShownNumbers(s.Reveal)
		phone := strings.Join(phones, " ")
		if !s.Reveal && len(phones) > 1 {
			phone = phones[0] + " +" + strconv.Itoa(len(phones)-1)
		}
		age := ""
		if a := Age(r.Birth, s.At); a >= 0 {
			age = strconv.Itoa(a)
		}
		line := MissingLine{
			Building: r.Address.Building, Unit: r.Address.Unit, Floor: Floor(r.Address.Room), Room: r.Address.Room,
			Name: name, Sex: sexLabel(r.Sex, l), Age: age, Phone: phone, Status: e.Status(l), Retest: e.Retest,
		}
		var visits []string
		for _, v := range e.Visits {
			w := v.At.In(ChinaTime).Format("01-02 15:04") + " " + v.Mark.Label(l)
			if v.Note != "" {
				w += l.Pick("（"+v.Note+"）", " ("+v.Note+")")
			}
			visits = append(visits, w)
		}
		if v := e.LastVisit(); v != nil {
			line.LastVisit = v.Mark.Label(l) + " " + v.At.In(ChinaTime).Format("01-02 15:04")
		}
		line.Visits = strings.Join(visits, l.Pick("；", "; "))
		for _, f := range []*string{&line.Building, &line.Unit, &line.Floor, &line.Room, &line.Name, &line.Phone, &line.LastVisit, &line.Visits} {
			*f = Printable(*f)
		}
		out[i] = line
	}
	return out
}

func sexLabel(s Sex, l Lang) string {
	switch s {
	case Male:
		return l.Pick("男", "M")
	case Female:
		return l.Pick("女", "F")
	}
	return ""
}
