// Package roster reads the spreadsheets communities keep: rosters of
// residents and files of health-code colours and test results, as CSV (UTF-8,
// UTF-8 with BOM or GB18030) or XLSX, with English or Chinese headers. Every
// row is validated on its own; a bad row becomes a Problem that names the
// file, the physical line and the column, so a person can fix it in the
// spreadsheet they know.
//
// The files, in the order a row passes through them: parser.go is the
// Parser, what an import calls; tables.go reads CSV and XLSX files into
// tables and finds each table's header; columns.go recognises the columns
// from their headers, in either language; rows.go parses a table's rows,
// a big one on two cores, and reports duplicates across files; resident.go
// and result.go read a roster row's resident and a row's colour and test,
// tube.go a row of results by tube;
// values.go reads single cells (times, dates, phones, placeholders);
// rejects.go writes the bad rows back out for fixing in Excel.
package roster

import (
	"fmt"
	"slices"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// Kind says what a table holds, recognised from its columns. A table may be
// both: a roster that also carries each resident's colour or last test.
type Kind int

// Kinds of table.
const (
	KindRoster  Kind = 1 << iota // residents: name and document, address, phones
	KindResults                  // colours and/or test results by document, or results by tube
)

// Has reports whether k includes every kind in o.
func (k Kind) Has(o Kind) bool { return k&o == o }

// Label names the kind for people.
func (k Kind) Label(l lifeline.Lang) string {
	switch k {
	case KindRoster:
		return l.Pick("花名册", "roster")
	case KindResults:
		return l.Pick("检测结果", "results")
	case KindRoster | KindResults:
		return l.Pick("花名册及检测结果", "roster with results")
	}
	return l.Pick("未知", "unknown")
}

// Problem is one thing wrong with one row (or, with Line 0, a whole file).
type Problem struct {
	Source string // file name, with "#Sheet" for a sheet of a workbook
	Line   int    // physical line (CSV) or row number (XLSX); the header is line 1
	field  fieldName
	Reason lifeline.Text
}

// Field returns the column the problem is in, as the file names it.
func (p Problem) Field(l lifeline.Lang) string { return p.field.in(l) }

// In formats the problem as file:line: field: reason in the given language.
func (p Problem) In(l lifeline.Lang) string {
	f := p.field.in(l)
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.Source, p.Reason.In(l))
	}
	if f == "" {
		return fmt.Sprintf("%s:%d: %s", p.Source, p.Line, p.Reason.In(l))
	}
	return fmt.Sprintf("%s:%d: %s: %s", p.Source, p.Line, f, p.Reason.In(l))
}

// String is the English form, for logs and test failures.
func (p Problem) String() string { return p.In(lifeline.En) }

// Row is one data row of a table: what it says, and what is wrong with it.
type Row struct {
	Source string
	Line   int
	Record []string // the cells as read, for the rejects file
	// Resident is set for roster rows; Update for rows with a colour or
	// result. A combined table fills both. Once ParseLoaded has handed a
	// good row's resident on, Resident is nil and IsRoster still true: a
	// big roster is not held twice, as rows and as residents, while the
	// store writes it.
	Resident *lifeline.Resident
	Update   *lifeline.StatusUpdate
	// Tube is set for a row of results by tube (a barcode and no
	// document): the tube's result, for each person in it.
	Tube     *lifeline.TubeResult
	Problems []Problem
	table    *Table
	handedOn bool
	badCells []int // columns checkCells refused
	// What checkDups checks once every row is parsed: the document key of
	// a roster row and how many problems it had then, and the key, what
	// and field of a results row's sample ("" when not to be checked).
	resKey, sampleKey string
	resAt             int
	sampleWhat        lifeline.Text
	sampleField       field
}

// badCell reports whether checkCells refused column i.
func (r *Row) badCell(i int) bool { return i >= 0 && slices.Contains(r.badCells, i) }

// OK reports whether the row has no problems.
func (r *Row) OK() bool { return len(r.Problems) == 0 }

// IsRoster reports whether the row gave a resident: Resident, or one
// ParseLoaded handed on.
func (r *Row) IsRoster() bool { return r.Resident != nil || r.handedOn }

// docKey is the Document.Key of the row's resident, "" for one without a
// document number.
func (r *Row) docKey() string {
	if r.Resident != nil {
		if r.Resident.Doc.Number == "" {
			return ""
		}
		return r.Resident.Doc.Key()
	}
	if r.handedOn && !strings.HasPrefix(r.resKey, noneKeyPrefix) {
		return r.resKey // parseResident's key: Doc.Key, which a good row has
	}
	return ""
}

func (r *Row) addProblem(f fieldName, reason lifeline.Text) {
	r.Problems = append(r.Problems, Problem{Source: r.Source, Line: r.Line, field: f, Reason: reason})
}

// Table is one CSV file or one sheet of a workbook.
type Table struct {
	Source   string
	Kind     Kind
	Encoding Encoding // what a CSV file was written in; "XLSX" for a sheet
	Header   []string
	Rows     []*Row
	cols     columns
	omitted  lifeline.Field // cols.omitted
	// more reads the data records not yet parsed (LoadFile leaves them
	// to ParseLoaded, which reads them as it parses); estimate is at
	// least how many are left. serial says whether cells hold Excel
	// serial dates (a workbook).
	more     func() (record, bool, error)
	estimate int
	serial   bool
	// streamed: the residents of this table's good rows went to
	// ParseLoaded's emit, not into Batch.
	streamed bool
	// blank: no header was found, and nothing else either (a sheet left
	// empty).
	blank bool
}

// Options tune parsing.
type Options struct {
	// Location is the time zone of times written without one; default
	// China Standard Time (UTC+8), what every roster means.
	Location *time.Location
	// Now is when the import runs: the colour time of rows that give none,
	// and the limit for times in the future. Default time.Now().
	Now time.Time
	// XLSX bounds what a workbook may make an import hold; zero fields
	// take DefaultXLSXLimits.
	XLSX XLSXLimits
	// Encoding is what CSV files are written in, a WHATWG label such as
	// gb18030, big5 or windows-1252 (what import --encoding takes), for
	// a file whose bytes cannot tell (see Decode); "" detects it.
	Encoding string
}

// ChinaTime is lifeline.ChinaTime (UTC+8), kept here for callers of the
// roster package.
var ChinaTime = lifeline.ChinaTime

func (o Options) withDefaults() Options {
	if o.Location == nil {
		o.Location = ChinaTime
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.XLSX = o.XLSX.withDefaults()
	return o
}
