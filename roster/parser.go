package roster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/xuri/excelize/v2"
)

// Parser reads the files of one import. Duplicates are caught across all of
// them, so the same person in two files is reported like the same person
// twice in one.
type Parser struct {
	Tables    []*Table
	opt       Options
	residents map[string]ref // document key of every roster row
	samples   map[string]ref // document, sample time and site of every result row
	err       error          // what stopped ParseLoaded
	workbooks []*excelize.File
}

// NewParser returns a parser for one import.
func NewParser(opt Options) *Parser {
	return &Parser{opt: opt.withDefaults(), residents: map[string]ref{}, samples: map[string]ref{}}
}

// AddFile reads a CSV or XLSX file, telling them apart by content (a
// workbook is a zip archive) rather than by name.
func (p *Parser) AddFile(path string) error {
	return p.parsed(func() error { return p.LoadFile(path) })
}

// LoadFile reads a CSV or XLSX file as AddFile does, and recognises its
// tables by their headers, but leaves their rows to ParseLoaded, which
// splits them into cells (or reads a workbook's rows: call Close once
// done) as it parses them: an import can then open the
// store and write each chunk of residents while the next is read and
// parsed, from the first row on. A file that cannot be read or recognised
// is an error here, before anything is written.
func (p *Parser) LoadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("无法读取文件 "+path, "cannot read the file "+path))
	}
	name := filepath.Base(path)
	if bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		return p.loadXLSX(name, bytes.NewReader(b))
	}
	if bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0}) {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T(name+" 是旧版 Excel（.xls）文件：请在 Excel 中另存为 .xlsx 或 CSV 后再导入", name+" is an old Excel (.xls) workbook: save it as .xlsx or CSV in Excel, then import that"))
	}
	return p.loadCSV(name, b)
}

// AddCSV reads one CSV file. source names it in messages.
func (p *Parser) AddCSV(source string, r io.Reader) error {
	return p.parsed(func() error {
		raw, err := io.ReadAll(r)
		if err != nil {
			return lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("无法读取文件 "+source, "cannot read the file "+source))
		}
		return p.loadCSV(source, raw)
	})
}

// AddXLSX reads every sheet of a workbook that is a roster or a results
// table; sheets that are neither (notes, a summary) are skipped, but a
// workbook with no usable sheet is an error. Sheets are named
// "file.xlsx#Sheet" in messages; line numbers are the sheet's row numbers.
func (p *Parser) AddXLSX(source string, r io.Reader) error {
	return p.parsed(func() error { return p.loadXLSX(source, r) })
}

// parsed runs load, which loads tables, then parses their rows, a big
// table on two cores.
func (p *Parser) parsed(load func() error) error {
	from, books := len(p.Tables), len(p.workbooks)
	defer func() {
		for _, f := range p.workbooks[books:] {
			f.Close() // every row is read: the temporary files can go
		}
		p.workbooks = p.workbooks[:books]
	}()
	if err := load(); err != nil {
		return err
	}
	for _, t := range p.Tables[from:] {
		recs, err := t.readRows()
		if err != nil {
			return err
		}
		p.parseRows(t, recs, t.serial)
	}
	return nil
}

// Pending is about how many data rows of roster tables are loaded and not
// yet parsed, counted by lines (a sheet's rows): what an import of them
// will bring at most.
func (p *Parser) Pending() int {
	n := 0
	for _, t := range p.Tables {
		if t.Kind.Has(KindRoster) {
			n += t.estimate
		}
	}
	return n
}

// PendingWrites is about how many rows an import of what is loaded will
// write, for readying the store's cache: Pending's residents, and ten
// people a row (a pool's) of results tables with a tube column.
func (p *Parser) PendingWrites() int {
	n := p.Pending()
	for _, t := range p.Tables {
		if !t.Kind.Has(KindRoster) && t.cols.has(fTube) {
			n += 10 * t.estimate
		}
	}
	return n
}

// Err is the error that stopped ParseLoaded: a file that could not be
// read to its end. The rows before it were handed on; an import must
// write none of them.
func (p *Parser) Err() error { return p.err }

// streamChunk is how many rows ParseLoaded parses before handing their
// residents on (a variable so tests can lower it).
var streamChunk = 1024

// ParseLoaded parses the rows LoadFile left, in file order, a chunk at a
// time, and calls emit with the residents of each chunk's good rows (a
// slice of their own) as soon as the chunk is checked: a roster row's
// problems, duplicates of earlier rows included, are all known by then
// (only results rows are checked again, by CheckResidents). bad is how
// many rows so far had problems, so an import that will write nothing if
// any row is bad can stop writing at the first. Those residents are not
// in Batch. A file that cannot be read to its end stops it: see Err.
func (p *Parser) ParseLoaded(emit func(rs []lifeline.Resident, bad int)) {
	bad := 0
	for _, t := range p.Tables {
		if t.more == nil || p.err != nil {
			continue
		}
		t.streamed = true
		t.Rows = make([]*Row, 0, t.estimate)
		for more := true; more; {
			var rs []lifeline.Resident
			n := 0
			for ; n < streamChunk; n++ {
				rec, ok, err := t.nextRow()
				if err != nil {
					p.err = err
				}
				if !ok {
					more = false
					break
				}
				row := p.parseRow(t, rec, t.serial)
				p.checkDups(row)
				t.Rows = append(t.Rows, row)
				if !row.OK() {
					bad++
				}
				if row.OK() && row.Resident != nil {
					if rs == nil {
						rs = make([]lifeline.Resident, 0, streamChunk-n)
					}
					rs = append(rs, *row.Resident)
					row.Resident, row.handedOn = nil, true
					// A roster row that is good now stays good (a later
					// duplicate is the later row's problem): its cells,
					// kept for the rejects file, are not needed. A row
					// with a result too is checked again by CheckResidents.
					if row.Update == nil {
						row.Record = nil
					}
				}
			}
			if n > 0 && (len(rs) > 0 || bad > 0) {
				emit(rs, bad)
			}
		}
	}
}

// Where returns the file and line of the roster row that gave a document,
// for messages about its resident (a rename the import would make).
func (p *Parser) Where(doc lifeline.Document) (source string, line int, ok bool) {
	r, ok := p.residents[doc.Key()]
	return r.source, r.line, ok
}

// renamesShown is how many renames Changes lists, line by line.
const renamesShown = 20

// Changes words, in l, what an import of these files changed (dry: would
// change) in stored residents, part by part ("住址 12 人，电话 3 人，姓名 1
// 人"), then each rename with the file and line it came from: a file of
// the wrong people shows up here, before it is written with --dry-run.
// Nothing changed: no lines.
func (p *Parser) Changes(st lifeline.ImportStats, dry bool, l lifeline.Lang) []string {
	if !st.Changed.Any() {
		return nil
	}
	verb := lifeline.T("已更改：", "changed: ")
	if dry {
		verb = lifeline.T("将更改：", "would change: ")
	}
	out := []string{verb.In(l) + st.Changed.In(l)}
	shown := st.Renamed[:min(len(st.Renamed), renamesShown)]
	for i, rn := range shown {
		if i == 0 {
			out = append(out, l.Pick("姓名改变（请核对是否同一人）：", "names changed (check these are the same people):"))
		}
		source, line, _ := p.Where(rn.Doc)
		out = append(out, fmt.Sprintf("  %s:%d  %s → %s", source, line, lifeline.Printable(rn.Old), lifeline.Printable(rn.New)))
	}
	if more := st.Changed.Name - len(shown); more > 0 {
		out = append(out, fmt.Sprintf(l.Pick("  ……另有 %d 人改名", "  … and %d more"), more))
	}
	return out
}

// Rows calls fn for every data row of every table, in file order.
func (p *Parser) Rows(fn func(*Row)) {
	for _, t := range p.Tables {
		for _, r := range t.Rows {
			fn(r)
		}
	}
}

// Problems returns every problem found, in file and line order.
func (p *Parser) Problems() []Problem {
	var out []Problem
	p.Rows(func(r *Row) { out = append(out, r.Problems...) })
	return out
}

// Counts says how many rows an import read.
type Counts struct {
	Residents int // good roster rows
	Updates   int // good rows with a colour or result
	Tubes     int // good rows of results by tube
	Bad       int // rows with at least one problem
}

// Counts counts good and bad rows.
func (p *Parser) Counts() Counts {
	var c Counts
	p.Rows(func(r *Row) {
		switch {
		case !r.OK():
			c.Bad++
		default:
			if r.IsRoster() {
				c.Residents++
			}
			if r.Update != nil {
				c.Updates++
			}
			if r.Tube != nil {
				c.Tubes++
			}
		}
	})
	return c
}

// CheckResidents marks results rows whose document is neither on a good
// roster row of this import nor known to the store as bad: a result for a
// person lifeline has never heard of cannot be stored. known is called once,
// with every distinct document left to check, and returns the keys
// (Document.Key) of those the store holds.
func (p *Parser) CheckResidents(ctx context.Context, known func(context.Context, []lifeline.Document) (map[string]bool, error)) error {
	results := false // any good results row without a resident on it
	p.Rows(func(r *Row) { results = results || (r.OK() && r.Update != nil && !r.IsRoster()) })
	if !results {
		return nil // a roster alone: nothing to check, no map of its documents
	}
	inImport := map[string]bool{}
	p.Rows(func(r *Row) {
		if k := r.docKey(); r.OK() && k != "" {
			inImport[k] = true
		}
	})
	var ask []lifeline.Document
	asked := map[string]bool{}
	p.Rows(func(r *Row) {
		if !r.OK() || r.Update == nil || r.IsRoster() {
			return
		}
		if key := r.Update.Doc.Key(); !inImport[key] && !asked[key] {
			asked[key] = true
			ask = append(ask, r.Update.Doc)
		}
	})
	if len(ask) == 0 {
		return nil
	}
	stored, err := known(ctx, ask)
	if err != nil {
		return err
	}
	p.Rows(func(r *Row) {
		if !r.OK() || r.Update == nil || r.IsRoster() {
			return
		}
		if key := r.Update.Doc.Key(); !inImport[key] && !stored[key] {
			r.addProblem(r.table.cols.name(fDocNumber), lifeline.T("查无此人：本次导入和系统中都没有这个证件号码，请先导入花名册", "unknown resident: this document is neither in this import nor in the store; import the roster first"))
		}
	})
	return nil
}

// Batch returns the good rows as one batch for the store: every resident
// (but those ParseLoaded handed on), then every update, then every result
// by tube, in file order.
func (p *Parser) Batch() *lifeline.ImportBatch {
	// Room for what the batch holds: not the residents already streamed,
	// which in a big roster import are every one of them.
	var residents, updates int
	p.Rows(func(r *Row) {
		if r.OK() && r.Resident != nil && !r.table.streamed {
			residents++
		}
		if r.OK() && r.Update != nil {
			updates++
		}
	})
	b := &lifeline.ImportBatch{
		Residents: make([]lifeline.Resident, 0, residents),
		Updates:   make([]lifeline.StatusUpdate, 0, updates),
	}
	p.Rows(func(r *Row) {
		if !r.OK() {
			return
		}
		if r.Resident != nil && !r.table.streamed {
			b.Residents = append(b.Residents, *r.Resident)
		}
		if r.Update != nil {
			b.Updates = append(b.Updates, *r.Update)
		}
		if r.Tube != nil {
			b.Tubes = append(b.Tubes, *r.Tube)
		}
	})
	return b
}
