package roster

import (
	"slices"
	"strconv"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// noneKeyPrefix starts the resKey of a resident without a document.
const noneKeyPrefix = "none:"

// parseResident reads a roster row's resident: name, birth and sex, phones
// and address, and the key checkDups tells duplicates apart by.
func (p *Parser) parseResident(row *Row, doc lifeline.Document, docOK bool, cell func(field) string,
	bad func(field, string, string), badErr func(field, error), serial bool) {
	c := &row.table.cols
	r := &lifeline.Resident{Name: strings.Join(strings.Fields(cell(fName)), " "), Doc: doc}
	if r.Name == "" {
		bad(fName, "姓名为空", "name is missing")
	}
	r.NeedsManual = doc.Type == lifeline.DocNone
	r.Omitted = row.table.omitted
	if doc.Type == lifeline.DocMainlandID {
		r.Omitted &^= lifeline.FieldBirth | lifeline.FieldSex // the number gives them
	}

	p.parseBirthAndSex(r, docOK, cell, bad, serial)
	r.Phones = parsePhones(row)

	r.Address = lifeline.Address{
		Community: cell(fCommunity),
		Building:  trimSuffixes(numberCell(cell(fBuilding)), buildingSuffixes),
		Unit:      trimSuffixes(numberCell(cell(fUnit)), unitSuffixes),
		Room:      trimSuffixes(numberCell(cell(fRoom)), roomSuffixes),
	}
	// A roster with an address gives every resident one: a resident the
	// community cannot place cannot be visited or printed for.
	if c.has(fBuilding) && r.Address.Building == "" {
		bad(fBuilding, "楼栋为空", "building is missing")
	}
	if c.has(fRoom) && r.Address.Room == "" {
		bad(fRoom, "房号为空", "room is missing")
	}

	if len(row.Problems) == 0 {
		if err := r.Validate(); err != nil {
			badErr(fNone, err)
		}
	}
	if docOK && r.Name != "" {
		key := doc.Key()
		if doc.Type == lifeline.DocNone {
			// No number to tell them apart: the same name in the same room
			// twice is the same child entered twice.
			key = noneKeyPrefix + r.Name + "|" + r.Address.Key()
		}
		// Checked against the rows before it by checkDups.
		row.resKey, row.resAt = key, len(row.Problems)
	}
	row.Resident = r
}

// parseBirthAndSex reads the date of birth and sex. A mainland ID number
// carries both: a cell that disagrees with it is reported, an empty one
// takes the number's.
func (p *Parser) parseBirthAndSex(r *lifeline.Resident, docOK bool, cell func(field) string, bad func(field, string, string), serial bool) {
	doc := r.Doc
	var idBirth time.Time
	var idSex lifeline.Sex
	if docOK && doc.Type == lifeline.DocMainlandID {
		idBirth, idSex, _ = lifeline.ParseMainlandID(doc.Number)
	}
	if s := cell(fBirth); s != "" {
		b, err := parseDate(s, p.opt.Location, serial)
		switch {
		case err != nil:
			bad(fBirth, "无法识别的日期“"+s+"”，请写成 1950-03-07", "unrecognised date \""+s+"\": write it as 1950-03-07")
		case b.After(p.opt.Now):
			bad(fBirth, "出生日期在未来", "date of birth is in the future")
		case !idBirth.IsZero() && !b.Equal(idBirth):
			bad(fBirth, "出生日期与身份证号码不符（号码中为 "+idBirth.Format("2006-01-02")+"）", "date of birth does not match the ID number (which says "+idBirth.Format("2006-01-02")+")")
		default:
			r.Birth = b
		}
	}
	if r.Birth.IsZero() {
		r.Birth = idBirth
	}
	if s := cell(fSex); s != "" {
		sex, ok := parseSex(s)
		switch {
		case !ok:
			bad(fSex, "无法识别的性别“"+s+"”，应为男或女", "unrecognised sex \""+s+"\": use M or F")
		case idSex != lifeline.SexNone && sex != idSex:
			bad(fSex, "性别与身份证号码不符", "sex does not match the ID number")
		default:
			r.Sex = sex
		}
	}
	if r.Sex == lifeline.SexNone {
		r.Sex = idSex
	}
}

// parsePhones reads every phone column (a mobile and a landline column are
// both the resident's), several numbers to a cell; each bad number is
// reported on its own, and a number given twice is kept once.
func parsePhones(row *Row) []string {
	c := &row.table.cols
	var phones []string
	for _, col := range c.phones {
		s := ""
		if row.badCell(col) {
			continue
		}
		if col < len(row.Record) {
			s = strings.TrimSpace(row.Record[col])
		}
		if placeholders[s] {
			continue
		}
		nums := splitPhones(s)
		for i, n := range nums {
			e164, err := lifeline.NormalizePhone(numberCell(n))
			if err != nil {
				msg := reasonOf(err)
				if len(nums) > 1 {
					k := strconv.Itoa(i + 1)
					msg = lifeline.T("第 "+k+" 个号码："+msg.Zh, "number "+k+": "+msg.En)
				}
				row.addProblem(c.headerName(col), msg)
				continue
			}
			if !slices.Contains(phones, e164) {
				phones = append(phones, e164)
			}
		}
	}
	return phones
}
