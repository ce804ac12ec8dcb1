package roster

import (
	"slices"
	"strconv"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
)

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
	checkCells(row, rec)
	cell := func(f field) string {
		if i := c.idx[f]; i >= 0 && i < len(rec.cells) && !row.badCell(i) {
			s := strings.TrimSpace(rec.cells[i])
			if optionalFields[f] && placeholders[s] {
				return ""
			}
			return s
		}
		return ""
	}
	// A cell that failed checkCells has said what is wrong with it.
	bad := func(f field, zh, en string) {
		if !row.badCell(c.idx[f]) {
			row.addProblem(c.name(f), lifeline.T(zh, en))
		}
	}
	badErr := func(f field, err error) {
		if !row.badCell(c.idx[f]) {
			row.addProblem(c.name(f), reasonOf(err))
		}
	}
	loc := p.opt.Location

	if !t.Kind.Has(KindRoster) && cell(fDocNumber) == "" && cell(fDocType) == "" && cell(fTube) != "" {
		p.parseTubeRow(row, cell, bad, badErr, loc, serial)
		return row
	}
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

// fieldCaps are the longest cell each column may hold, in characters (see
// lifeline.CheckText): the store's limits, and MaxWordLen for the cells
// read as a word, a date or a number, so that no message quotes a
// megabyte back.
var fieldCaps = [nFields]int{
	fName: lifeline.MaxNameLen, fCommunity: lifeline.MaxCommunityLen,
	fBuilding: lifeline.MaxAddressPartLen, fUnit: lifeline.MaxAddressPartLen, fRoom: lifeline.MaxAddressPartLen,
	fColorReason: lifeline.MaxReasonLen, fSite: lifeline.MaxSiteLen, fTube: lifeline.MaxTubeLen,
	fPhone: 4 * lifeline.MaxWordLen, // several numbers to a cell
}

// checkCells refuses the cells of the columns lifeline reads that hold a
// control character (ESC, NUL, a bidirectional override, a line break
// inside a cell…) or are longer than their field allows: a name must not
// be able to draw on a worker's screen. Each is a problem of its column;
// the row's other checks pass over it (Row.badCell).
func checkCells(row *Row, rec record) {
	c, cells := &row.table.cols, rec.cells
	check := func(i int, f field) {
		if i < 0 || i >= len(cells) || row.badCell(i) {
			return
		}
		max := fieldCaps[f]
		if max == 0 {
			max = lifeline.MaxWordLen
		}
		err := lifeline.CheckText(strings.TrimSpace(cells[i]), max)
		if err != nil && rec.lastLine > rec.line+1 && strings.ContainsAny(cells[i], "\r\n") {
			// A quote that closes lines later (more than one line break in a
			// cell): say which lines it took.
			a, b := strconv.Itoa(rec.line), strconv.Itoa(rec.lastLine)
			err = lifeline.Errorf(lifeline.EINVALID, lifeline.T("含有换行：第 "+a+" 到 "+b+" 行都在这一格里（引号没有闭合？）",
				"contains line breaks: lines "+a+" to "+b+" are all in this cell (a quote left open?)"))
		}
		if err != nil {
			row.addProblem(c.headerName(i), reasonOf(err))
			row.badCells = append(row.badCells, i)
		}
	}
	for f := fName; f < nFields; f++ {
		check(c.idx[f], f)
	}
	for _, i := range c.phones {
		check(i, fPhone)
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
