package roster

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/xuri/excelize/v2"
)

// XLSXLimits bound what a workbook may make an import hold. A workbook is
// a zip archive: a 1 MB file can unzip to gigabytes, and excelize's
// defaults (16 GB, every sheet read whole) let one do so in memory. The
// limits are checked on the archive's directory before anything is
// unzipped (the sizes it declares are the most Go's zip reader will
// produce), and rows are read one at a time as they are parsed.
type XLSXLimits struct {
	// Unzipped bounds all the parts together, unzipped: what a workbook
	// may take in memory and in temporary files.
	Unzipped int64
	// InMemory bounds the parts unzipped into memory: all but worksheets
	// over xmlInMemory, which are read row by row from a temporary file.
	InMemory int64
	// SharedStrings bounds the table of text cells share, which excelize
	// indexes whole.
	SharedStrings int64
	// Rows bounds the rows of all the workbook's sheets together.
	Rows int
	// CellChars bounds a cell's length in characters.
	CellChars int
}

// DefaultXLSXLimits hold a workbook of a million roster rows (Excel's own
// limit for one sheet; bigger rosters come as CSV) and no zip bomb.
var DefaultXLSXLimits = XLSXLimits{
	Unzipped:      512 << 20,
	InMemory:      64 << 20,
	SharedStrings: 64 << 20,
	Rows:          1 << 20,
	CellChars:     32767, // Excel's own limit
}

// xmlInMemory is the size over which a worksheet or the shared strings
// are unzipped to a temporary file and read from there (a variable so
// tests can lower it).
var xmlInMemory int64 = 4 << 20

func (l XLSXLimits) withDefaults() XLSXLimits {
	d := DefaultXLSXLimits
	if l.Unzipped > 0 {
		d.Unzipped = l.Unzipped
	}
	if l.InMemory > 0 {
		d.InMemory = l.InMemory
	}
	if l.SharedStrings > 0 {
		d.SharedStrings = l.SharedStrings
	}
	if l.Rows > 0 {
		d.Rows = l.Rows
	}
	if l.CellChars > 0 {
		d.CellChars = l.CellChars
	}
	return d
}

// mib words a size limit.
func mib(n int64) string { return fmt.Sprintf("%d MiB", n>>20) }

// checkZip checks a workbook's parts against the limits from the
// archive's directory, before any of it is unzipped, and says which limit
// it broke.
func checkZip(source string, b []byte, lim XLSXLimits) error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T(source+"：无法打开 Excel 文件", source+": cannot open the Excel workbook"))
	}
	var total, inMemory uint64
	for _, f := range zr.File {
		size := f.UncompressedSize64
		total += size
		name := strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))
		sheet := strings.HasPrefix(name, "xl/worksheets/sheet")
		switch {
		case total > uint64(lim.Unzipped):
			return lifeline.Errorf(lifeline.EINVALID, lifeline.T(
				source+"：解压后超过 "+mib(lim.Unzipped)+" 的上限（压缩炸弹，或工作簿太大），没有读取；请另存为 CSV 后导入",
				source+": unzips to more than the "+mib(lim.Unzipped)+" limit (a zip bomb, or too big a workbook), so it was not read; save it as CSV and import that"))
		case name == "xl/sharedstrings.xml" && size > uint64(lim.SharedStrings):
			return lifeline.Errorf(lifeline.EINVALID, lifeline.T(
				source+"：共享文本表解压后超过 "+mib(lim.SharedStrings)+" 的上限，没有读取；请另存为 CSV 后导入",
				source+": its shared strings unzip to more than the "+mib(lim.SharedStrings)+" limit, so it was not read; save it as CSV and import that"))
		case !(sheet || name == "xl/sharedstrings.xml") || size <= uint64(xmlInMemory):
			inMemory += size
		}
		if inMemory > uint64(lim.InMemory) {
			return lifeline.Errorf(lifeline.EINVALID, lifeline.T(
				source+"：需要在内存中解压的部分超过 "+mib(lim.InMemory)+" 的上限（压缩炸弹？），没有读取",
				source+": the parts to unzip into memory exceed the "+mib(lim.InMemory)+" limit (a zip bomb?), so it was not read"))
		}
	}
	return nil
}

// loadXLSX loads every sheet of a workbook that is a roster or a results
// table; their rows are read as ParseLoaded parses them, from the
// workbook, which stays open until Close.
func (p *Parser) loadXLSX(source string, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("无法读取文件 "+source, "cannot read the file "+source))
	}
	lim := p.opt.XLSX
	if err := checkZip(source, b, lim); err != nil {
		return err
	}
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: lim.Unzipped, UnzipXMLSizeLimit: xmlInMemory})
	if err != nil {
		return lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T(source+"：无法打开 Excel 文件", source+": cannot open the Excel workbook"))
	}
	p.workbooks = append(p.workbooks, f)
	sheets := f.GetSheetList()
	var firstErr error
	added, rowsRead := 0, 0
	for _, sheet := range sheets {
		name := source
		if len(sheets) > 1 {
			name = source + "#" + sheet
		}
		rows, err := f.Rows(sheet)
		if err != nil {
			return lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T(source+"：无法读取工作表 "+sheet, source+": cannot read the sheet "+sheet))
		}
		line := 0
		next := func() (record, bool, error) {
			if !rows.Next() {
				rows.Close()
				return record{}, false, nil
			}
			line++
			if rowsRead++; rowsRead > lim.Rows {
				return record{}, false, lifeline.Errorf(lifeline.EINVALID, lifeline.T(
					fmt.Sprintf("%s：工作簿超过 %d 行的上限；请拆分，或另存为 CSV 后导入", name, lim.Rows),
					fmt.Sprintf("%s: the workbook has more than the %d-row limit; split it, or save it as CSV and import that", name, lim.Rows)))
			}
			cells, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				return record{}, false, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T(fmt.Sprintf("%s:%d：无法读取这一行", name, line), fmt.Sprintf("%s:%d: cannot read this row", name, line)))
			}
			for i, c := range cells {
				if n := utf8.RuneCountInString(c); n > lim.CellChars {
					col, _ := excelize.ColumnNumberToName(i + 1)
					return record{}, false, lifeline.Errorf(lifeline.EINVALID, lifeline.T(
						fmt.Sprintf("%s:%d：%s 列的单元格有 %d 个字符，超过 %d 的上限", name, line, col, n, lim.CellChars),
						fmt.Sprintf("%s:%d: the cell in column %s has %d characters, more than the %d limit", name, line, col, n, lim.CellChars)))
				}
			}
			return record{cells: unguard(cells), line: line}, true, nil
		}
		t, err := p.loadTable(name, next, true, sheetRows(f, sheet, lim.Rows))
		if err != nil {
			rows.Close()
			if firstErr == nil && (t == nil || !t.blank) {
				firstErr = err
			}
			continue
		}
		t.Encoding = XLSX
		p.Tables = append(p.Tables, t)
		added++
	}
	if added == 0 {
		if firstErr != nil {
			return firstErr
		}
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T(source+"：工作簿是空的", source+": the workbook is empty"))
	}
	return nil
}

// sheetRows is how many rows a sheet says it spans (its dimension, such as
// A1:H2001), at most max: only an estimate, which a sheet may get wrong.
func sheetRows(f *excelize.File, sheet string, max int) int {
	ref, err := f.GetSheetDimension(sheet)
	if err != nil || ref == "" {
		return 0
	}
	_, last, _ := strings.Cut(ref, ":")
	if last == "" {
		last = ref
	}
	_, rows, err := excelize.CellNameToCoordinates(last)
	if err != nil {
		return 0
	}
	return min(rows, max)
}

// Close closes the workbooks whose rows were read as they were parsed,
// removing the temporary files a big sheet was unzipped to.
func (p *Parser) Close() error {
	var first error
	for _, f := range p.workbooks {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	p.workbooks = nil
	return first
}
