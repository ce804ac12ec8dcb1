package roster

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// ref is where a row was first seen, for "duplicate of line N" messages.
type ref struct {
	source string
	line   int
}

func (r ref) in(source string) lifeline.Text {
	if r.source == source {
		n := strconv.Itoa(r.line)
		return lifeline.T("第 "+n+" 行", "line "+n)
	}
	at := r.source + ":" + strconv.Itoa(r.line)
	return lifeline.T(at, at)
}

// placeholders are what people type into a cell that has nothing to say.
// In optional columns they mean empty; elsewhere they are reported ("-" is
// also a negative result and "无" a document type, so those columns keep
// them).
var placeholders = map[string]bool{"-": true, "--": true, "—": true, "/": true, "无": true, "暂无": true, "没有": true, "n/a": true, "N/A": true, "NA": true, "null": true, "NULL": true}

var optionalFields = map[field]bool{fPhone: true, fUnit: true, fNationality: true, fBirth: true, fSex: true, fSite: true, fTube: true, fColorReason: true}

// headerSearchRows is how far down a table the header may start: community
// spreadsheets often open with a title row ("幸福里社区居民花名册").
const headerSearchRows = 10

// record is one row as read, with its physical line number.
type record struct {
	cells []string
	line  int
}

// loadTable reads a table's records up to its header, recognises the kind
// of table and leaves the data rows to read and parse (t.more). lines is
// how many lines (a sheet's rows) the table has in all, so t.estimate,
// the lines after the header, is at least how many rows it has.
func (p *Parser) loadTable(source string, next func() (record, bool, error), serial bool, lines int) (*Table, error) {
	t := &Table{Source: source, serial: serial}
	pre := 0
	for pre < headerSearchRows {
		rec, ok, err := next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if blank(rec.cells) {
			continue
		}
		cols, _ := mapHeader(rec.cells)
		if k := cols.kind(); k != 0 {
			t.Kind, t.cols, t.Header = k, cols, rec.cells
			t.more, t.estimate = next, max(0, lines-rec.line)
			return t, nil
		}
		pre++
	}
	return t, lifeline.Errorf(lifeline.EINVALID, lifeline.T(
		source+"：无法识别文件内容。花名册需要“姓名”和“证件号码”两列；检测结果需要“证件号码”以及“健康码”或“检测结果”列。",
		source+": cannot tell what this file holds. A roster needs the columns name and id_number; a results file needs id_number and code_color or result."))
}

// nextRow reads the table's next data record, skipping blank ones; ok is
// false at its end. Once at the end or on an error, the table has nothing
// more to read.
func (t *Table) nextRow() (rec record, ok bool, err error) {
	for t.more != nil {
		rec, ok, err = t.more()
		if err != nil || !ok {
			t.more, t.estimate = nil, 0
			return record{}, false, err
		}
		if !blank(rec.cells) {
			return rec, true, nil
		}
	}
	return record{}, false, nil
}

// readRows reads the rest of the table's data records.
func (t *Table) readRows() ([]record, error) {
	recs := make([]record, 0, t.estimate)
	for {
		rec, ok, err := t.nextRow()
		if err != nil || !ok {
			return recs, err
		}
		recs = append(recs, rec)
	}
}

// parallelRows is the size from which a table's rows are parsed on two
// cores (a variable so tests can lower it).
var parallelRows = 4096

// parseRows parses a table's data rows into t.Rows, a big table on two
// cores, then checks each row for duplicates of the rows before it, in
// order, so the first of two is kept whichever core read it.
func (p *Parser) parseRows(t *Table, recs []record, serial bool) {
	t.Rows = make([]*Row, len(recs))
	parse := func(from, to int) {
		for i := from; i < to; i++ {
			t.Rows[i] = p.parseRow(t, recs[i], serial)
		}
	}
	if len(recs) < parallelRows {
		parse(0, len(recs))
	} else {
		half := len(recs) / 2
		done := make(chan struct{})
		go func() { defer close(done); parse(half, len(recs)) }()
		parse(0, half)
		<-done
	}
	for _, row := range t.Rows {
		p.checkDups(row)
	}
}

// checkDups reports a row whose document (a roster row) or sample (a
// results row) was already in an earlier row, or remembers it. A
// duplicate document is reported where parseResident found the rest of
// its resident's problems; a row with problems is not checked for a
// duplicate sample.
func (p *Parser) checkDups(row *Row) {
	resDup := false
	if row.resKey != "" {
		if first, dup := p.residents[row.resKey]; dup {
			w := first.in(row.Source)
			pr := Problem{Source: row.Source, Line: row.Line, field: row.table.cols.name(fDocNumber),
				Reason: lifeline.T("证件号码重复，与"+w.Zh+"相同", "duplicate document, same as "+w.En)}
			row.Problems = slices.Insert(row.Problems, row.resAt, pr)
			resDup = true
		} else {
			p.residents[row.resKey] = ref{row.Source, row.Line}
		}
	}
	if row.sampleKey == "" || resDup {
		return
	}
	if first, dup := p.samples[row.sampleKey]; dup {
		w := first.in(row.Source)
		row.addProblem(row.table.cols.name(row.sampleField), lifeline.T(row.sampleWhat.Zh+"，与"+w.Zh+"相同", row.sampleWhat.En+", same as "+w.En))
	} else {
		p.samples[row.sampleKey] = ref{row.Source, row.Line}
	}
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// parseRow validates one data row. Every problem in the row is reported,
// not just the first, so one pass over the rejects file fixes it.
func (p *Parser) parseRow(t *Table, rec record, serial bool) *Row {
	row := &Row{Source: t.Source, Line: rec.line, Record: rec.cells, table: t}
	c := &t.cols
	cell := func(f field) string {
		if i := c.idx[f]; i >= 0 && i < len(rec.cells) {
			s := strings.TrimSpace(rec.cells[i])
			if optionalFields[f] && placeholders[s] {
				return ""
			}
			return s
		}
		return ""
	}
	bad := func(f field, zh, en string) { row.addProblem(c.name(f), lifeline.T(zh, en)) }
	badErr := func(f field, err error) { row.addProblem(c.name(f), reasonOf(err)) }
	loc := p.opt.Location

	// The document, which both kinds of row need.
	doc, docOK := lifeline.Document{}, true
	if dt, err := lifeline.ParseDocType(cell(fDocType)); err != nil {
		badErr(fDocType, err)
		docOK = false
	} else {
		doc.Type = dt
	}
	raw := cell(fDocNumber)
	doc.Number = lifeline.NormalizeDocNumber(raw)
	doc.Nationality = strings.ToUpper(cell(fNationality))
	if n := doc.Nationality; n != "" && !isCountryCode(n) {
		bad(fNationality, "国籍应为三位字母代码（如 USA）", "nationality must be a three-letter code such as USA")
		doc.Nationality = ""
		docOK = false
	}
	if docOK {
		switch {
		case doc.Number == "" && doc.Type != lifeline.DocNone:
			bad(fDocNumber, "证件号码为空（没有证件的儿童请把证件类型填为“无证件”）", "document number is missing (for a child with no document, set id_type to none)")
			docOK = false
		case looksLikeMangledNumber(raw):
			bad(fDocNumber, "证件号码被 Excel 存成了数字，末几位已丢失；请把该列设为文本后重新填写", "the document number was stored by Excel as a number and lost its last digits; format the column as text and enter it again")
			docOK = false
		default:
			if err := doc.Validate(); err != nil {
				badErr(fDocNumber, err)
				docOK = false
			}
		}
	}

	if t.Kind.Has(KindRoster) {
		p.parseResident(row, doc, docOK, cell, bad, badErr, serial)
	}
	if t.Kind.Has(KindResults) {
		p.parseUpdate(row, doc, docOK, cell, bad, badErr, loc, serial)
	}
	return row
}

// noneKeyPrefix starts the resKey of a resident without a document.
const noneKeyPrefix = "none:"

func (p *Parser) parseResident(row *Row, doc lifeline.Document, docOK bool, cell func(field) string,
	bad func(field, string, string), badErr func(field, error), serial bool) {
	c := &row.table.cols
	r := &lifeline.Resident{Name: strings.Join(strings.Fields(cell(fName)), " "), Doc: doc}
	if r.Name == "" {
		bad(fName, "姓名为空", "name is missing")
	}
	r.NeedsManual = doc.Type == lifeline.DocNone

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

	for _, col := range c.phones {
		s := ""
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
			if !contains(r.Phones, e164) {
				r.Phones = append(r.Phones, e164)
			}
		}
	}

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

func (p *Parser) parseUpdate(row *Row, doc lifeline.Document, docOK bool, cell func(field) string,
	bad func(field, string, string), badErr func(field, error), loc *time.Location, serial bool) {
	u := &lifeline.StatusUpdate{Doc: doc}
	roster := row.table.Kind.Has(KindRoster)
	if docOK && doc.Type == lifeline.DocNone && !roster {
		bad(fDocNumber, "检测结果需要证件号码", "a result needs a document number")
	}
	if s := cell(fColor); s != "" {
		col, err := lifeline.ParseColor(s)
		if err != nil {
			badErr(fColor, err)
		}
		u.Color = col
		u.ColorReason = cell(fColorReason)
		u.At = p.opt.Now
		if s := cell(fColorAt); s != "" {
			at, err := parseTime(s, loc, serial)
			switch {
			case err != nil:
				bad(fColorAt, "无法识别的时间“"+s+"”，请写成 2022-04-09 08:30", "unrecognised time \""+s+"\": write it as 2022-04-09 08:30")
			case at.After(p.opt.Now.Add(time.Hour)):
				bad(fColorAt, "赋码时间在未来", "colour time is in the future")
			default:
				u.At = at
			}
		}
	}
	at, res := cell(fTestedAt), cell(fResult)
	if at != "" || res != "" {
		test := &lifeline.TestResult{Site: cell(fSite), Tube: cell(fTube)}
		if res == "" {
			bad(fResult, "有采样时间但没有检测结果（未出结果请填“待出”）", "a sample time is given but no result (write pending if there is none yet)")
		} else if r, err := lifeline.ParseResult(res); err != nil {
			badErr(fResult, err)
		} else {
			test.Result = r
		}
		if at == "" {
			bad(fTestedAt, "有检测结果但没有采样时间", "a result is given but no sample time")
		} else if t, err := parseTime(at, loc, serial); err != nil {
			bad(fTestedAt, "无法识别的时间“"+at+"”，请写成 2022-04-09 08:30", "unrecognised time \""+at+"\": write it as 2022-04-09 08:30")
		} else if t.After(p.opt.Now.Add(time.Hour)) {
			bad(fTestedAt, "采样时间在未来", "sample time is in the future")
		} else {
			test.SampledAt = t
		}
		u.Test = test
	}
	if u.Color == "" && u.Test == nil {
		if !roster && len(row.Problems) == 0 {
			bad(fColor, "没有健康码也没有检测结果", "the row has neither a code colour nor a result")
		}
		return
	}
	if docOK && doc.Type != lifeline.DocNone && len(row.Problems) == 0 {
		// The same sample twice, or two colours for one person with no
		// sample to tell them apart, is a copy-paste slip.
		key := doc.Key() + "|colour"
		what := lifeline.T("健康码重复", "duplicate colour")
		if u.Test != nil {
			key = fmt.Sprintf("%s|%d|%s", doc.Key(), u.Test.SampledAt.UnixMilli(), u.Test.Site)
			what = lifeline.T("同一次采样重复", "duplicate sample")
		}
		f := fColor
		if u.Test != nil {
			f = fTestedAt
		}
		// Checked against the rows before it by checkDups.
		row.sampleKey, row.sampleWhat, row.sampleField = key, what, f
	}
	if doc.Type == lifeline.DocNone {
		// A roster row for a child without a document carries no status:
		// there is nothing to find them by but their household.
		return
	}
	row.Update = u
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isCountryCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
