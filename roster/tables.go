package roster

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
)

// headerSearchRows is how far down a table the header may start: community
// spreadsheets often open with a title row ("幸福里社区居民花名册").
const headerSearchRows = 10

// record is one row as read, with its physical line number, and the line
// it ends on when a quoted cell runs over several.
type record struct {
	cells          []string
	line, lastLine int
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
			t.Kind, t.cols, t.Header, t.omitted = k, cols, rec.cells, cols.omitted()
			t.more, t.estimate = next, max(0, lines-rec.line)
			return t, nil
		}
		pre++
	}
	t.blank = pre == 0
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

// loadCSV loads the CSV file raw (read whole: the encoding is told from
// all of it).
func (p *Parser) loadCSV(source string, raw []byte) error {
	text, enc, err := decode(source, raw, p.opt.Encoding)
	if err != nil {
		return err
	}
	cr := csv.NewReader(bytes.NewReader(text))
	cr.Comma = sniffComma(text)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	pos, posLine := int64(0), 1     // an offset read up to, and its line
	lineAt := func(off int64) int { // off never goes back
		posLine += bytes.Count(text[pos:off], []byte{'\n'})
		pos = off
		return posLine
	}
	next := func() (record, bool, error) {
		start := cr.InputOffset()
		cells, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return record{}, false, nil
		}
		if err != nil {
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			at := fmt.Sprintf("%s:%d", source, line)
			return record{}, false, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T(at+"：CSV 格式错误，请用 Excel 重新另存为 CSV", at+": malformed CSV; save the file again as CSV from Excel"))
		}
		line, _ := cr.FieldPos(0)
		rec := record{cells: unguard(cells), line: line, lastLine: line}
		end := cr.InputOffset()
		if end == int64(len(text)) {
			// A quote left open swallows the rest of the file into one
			// cell, which encoding/csv's lazy quotes accept: say where.
			if open, ok := unclosedQuote(text[start:], cr.Comma); ok {
				from := lineAt(start + int64(open))
				return record{}, false, lifeline.Errorf(lifeline.EINVALID, lifeline.T(
					fmt.Sprintf("%s：第 %d 行的引号没有闭合，一直延续到文件末尾；请补上或删去这个引号", source, from),
					fmt.Sprintf("%s: unclosed quote from line %d runs to the end of the file; close it or remove it", source, from)))
			}
		}
		if slices.ContainsFunc(cells, func(c string) bool { return strings.ContainsAny(c, "\r\n") }) {
			rec.lastLine = lineAt(end - 1)
		}
		return rec, true, nil
	}
	lines := bytes.Count(text, []byte{'\n'})
	if len(text) > 0 && text[len(text)-1] != '\n' {
		lines++
	}
	t, err := p.loadTable(source, next, false, lines)
	if err != nil {
		return err
	}
	t.Encoding = enc
	p.Tables = append(p.Tables, t)
	return nil
}

// unclosedQuote reports whether a record read to the end of the file (b,
// from where the record starts) has a field that opens a quote and never
// closes it, as encoding/csv reads with LazyQuotes: a quote inside a
// quoted field that is not followed by the delimiter or a line's end is
// kept as text. open is the offset of the quote in b.
func unclosedQuote(b []byte, comma rune) (open int, ok bool) {
	fieldStart := true
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case fieldStart && c == '"':
			open = i
			for i++; ; i++ {
				if i >= len(b) {
					return open, true
				}
				if b[i] != '"' {
					continue
				}
				if i+1 < len(b) && b[i+1] == '"' {
					i++ // "" is a quote in the text
					continue
				}
				if i+1 == len(b) || rune(b[i+1]) == comma || b[i+1] == '\n' || b[i+1] == '\r' {
					break
				}
			}
			fieldStart = false
		case rune(c) == comma || c == '\n':
			fieldStart = true
		default:
			fieldStart = false
		}
	}
	return 0, false
}

// unguard takes off the guard lifeline puts on cells a spreadsheet would
// run as formulas (lifeline.SpreadsheetCell), so that a rejects file,
// fixed, imports as the rows it came from.
func unguard(cells []string) []string {
	for i, c := range cells {
		cells[i] = lifeline.UnguardCell(c)
	}
	return cells
}

// sniffComma picks the delimiter from the first line: a tab when it has
// more tabs than commas (Excel's "text" export), a comma otherwise.
func sniffComma(text []byte) rune {
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	if sc.Scan() {
		line := sc.Bytes()
		if bytes.Count(line, []byte("\t")) > bytes.Count(line, []byte(",")) {
			return '\t'
		}
	}
	return ','
}
