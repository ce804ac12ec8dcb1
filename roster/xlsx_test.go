package roster

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/xuri/excelize/v2"
)

// workbook returns a real one-sheet workbook of rows.
func workbook(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// deflated is a raw deflate stream of prefix, then n MiB of spaces, then
// suffix, made without compressing n MiB: one MiB of spaces compressed
// once (a sync flush: byte-aligned blocks that are not the last) is
// repeated n times, as deflate allows, so a zip bomb of any size is made
// in a moment. It returns the stream, the CRC-32 and the size of what it
// unzips to.
func deflated(prefix string, n int, suffix string) ([]byte, uint32, uint64) {
	piece := func(b []byte, last bool) []byte {
		var buf bytes.Buffer
		w, _ := flate.NewWriter(&buf, flate.BestCompression)
		w.Write(b)
		if last {
			w.Close()
		} else {
			w.Flush()
		}
		return buf.Bytes()
	}
	mib := bytes.Repeat([]byte(" "), 1<<20)
	var out bytes.Buffer
	out.Write(piece([]byte(prefix), false))
	packed := piece(mib, false)
	crc := crc32.Update(0, crc32.IEEETable, []byte(prefix))
	for range n {
		out.Write(packed)
		crc = crc32.Update(crc, crc32.IEEETable, mib)
	}
	out.Write(piece([]byte(suffix), true))
	crc = crc32.Update(crc, crc32.IEEETable, []byte(suffix))
	return out.Bytes(), crc, uint64(len(prefix)) + uint64(n)<<20 + uint64(len(suffix))
}

// bomb returns the workbook book with its part named part replaced by a
// deflate stream of n MiB of spaces between prefix and suffix; declared,
// when not 0, is the size the archive's directory claims for it.
func bomb(t *testing.T, book []byte, part, prefix string, n int, suffix string, declared uint64) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(book), int64(len(book)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if f.Name == part {
			continue
		}
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	raw, crc, size := deflated(prefix, n, suffix)
	if declared != 0 {
		size = declared
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: part, Method: zip.Deflate, CRC32: crc, CompressedSize64: uint64(len(raw)), UncompressedSize64: size})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// replacePart returns the workbook book with its part named part holding
// content.
func replacePart(t *testing.T, book []byte, part, content string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(book), int64(len(book)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if f.Name != part {
			zw.Copy(f)
		}
	}
	w, _ := zw.Create(part)
	io.WriteString(w, content)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// allocated runs fn and returns how many bytes it allocated.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestXLSXZipBombs: workbooks made in the test that unzip far past the
// limits are refused before they are unzipped, each with a sentence that
// names the limit it broke; an archive that lies about a part's size is
// refused as soon as the part outgrows its claim.
func TestXLSXZipBombs(t *testing.T) {
	book := workbook(t, [][]any{{"姓名", "证件号码"}, {"张三", id(t, "11010519491231002")}})
	const sheet = "xl/worksheets/sheet1.xml"
	open := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
	end := `</sheetData></worksheet>`
	for _, c := range []struct {
		name, part string
		mib        int
		declared   uint64
		want       string
	}{
		{"sheet past 512 MiB", sheet, 513, 0, "unzips to more than the 512 MiB limit"},
		{"styles past 64 MiB in memory", "xl/styles.xml", 65, 0, "the parts to unzip into memory exceed the 64 MiB limit"},
		{"shared strings past 64 MiB", "xl/sharedStrings.xml", 65, 0, "its shared strings unzip to more than the 64 MiB limit"},
		// Go's zip reader stops a part at the size its directory declares:
		// the rest is never unzipped, and the sheet cut short holds nothing.
		{"a lie: 1 KiB declared, 64 MiB inside", sheet, 64, 1024, "the workbook is empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := bomb(t, book, c.part, open, c.mib, end, c.declared)
			if len(b) > 1<<20 {
				t.Fatalf("the bomb is %d bytes, not a small file", len(b))
			}
			var err error
			n := allocated(func() { err = NewParser(Options{Now: testNow}).AddXLSX("bomb.xlsx", bytes.NewReader(b)) })
			if lifeline.ErrorCode(err) != lifeline.EINVALID || !strings.Contains(lifeline.ErrorMessage(err, lifeline.En), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if !strings.HasPrefix(lifeline.ErrorMessage(err, lifeline.Zh), "bomb.xlsx") {
				t.Errorf("in Chinese: %q", lifeline.ErrorMessage(err, lifeline.Zh))
			}
			if n > 32<<20 {
				t.Errorf("refusing it allocated %d MiB", n>>20)
			}
		})
	}
}

// TestXLSXRowAndCellLimits: a workbook past the row limit, or with a cell
// longer than Excel allows, stops the import with the place and the limit.
func TestXLSXRowAndCellLimits(t *testing.T) {
	rows := [][]any{{"姓名", "证件号码", "备注"}}
	for i := range 150 {
		rows = append(rows, []any{fmt.Sprintf("居民%d", i), id(t, fmt.Sprintf("110105195001%02d%03d", 1+i%28, i)), ""})
	}
	p := NewParser(Options{Now: testNow, XLSX: XLSXLimits{Rows: 100}})
	err := p.AddXLSX("big.xlsx", bytes.NewReader(workbook(t, rows)))
	if msg := lifeline.ErrorMessage(err, lifeline.En); !strings.Contains(msg, "big.xlsx: the workbook has more than the 100-row limit") {
		t.Errorf("rows: %v", err)
	}
	// excelize itself writes no cell past Excel's limit: the sheet is
	// written by hand.
	long := `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="B1" t="inlineStr"><is><t>证件号码</t></is></c></row>` +
		`<row r="2"><c r="A2" t="inlineStr"><is><t>张三</t></is></c><c r="B2" t="inlineStr"><is><t>` + id(t, "11010519491231002") + `</t></is></c></row>` +
		`<row r="3"><c r="A3" t="inlineStr"><is><t>李四</t></is></c><c r="C3" t="inlineStr"><is><t>` + strings.Repeat("长", 32768) + `</t></is></c></row>` +
		`</sheetData></worksheet>`
	b := replacePart(t, workbook(t, rows[:1]), "xl/worksheets/sheet1.xml", long)
	err = NewParser(Options{Now: testNow}).AddXLSX("cell.xlsx", bytes.NewReader(b))
	if msg := lifeline.ErrorMessage(err, lifeline.En); msg != "cell.xlsx:3: the cell in column C has 32768 characters, more than the 32767 limit" {
		t.Errorf("cell: %v", err)
	}
}

// TestXLSXStreamsBigSheets: a sheet too big to hold in memory is read row
// by row from a temporary file, which is gone once the parser is closed.
func TestXLSXStreamsBigSheets(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	// Ten unread columns of long numbers, which a sheet holds in place
	// (text goes to the shared strings), take it past xmlInMemory.
	defer func(was int64) { xmlInMemory = was }(xmlInMemory)
	xmlInMemory = 64 << 10
	rows := [][]any{{"姓名", "证件号码", "楼栋", "房号"}}
	const n = 500
	for i := range n {
		row := []any{fmt.Sprintf("居民%d", i), id(t, fmt.Sprintf("1101051950%02d%02d%03d", 1+i/28%12, 1+i%28, i%1000)), "1", fmt.Sprint(i)}
		for j := range 10 {
			row = append(row, int64(123456789012345+i*10+j))
		}
		rows = append(rows, row)
	}
	b := workbook(t, rows)
	p := NewParser(Options{Now: testNow})
	if err := p.loadXLSX("big.xlsx", bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) == 0 {
		t.Fatal("the big sheet was not unzipped to a temporary file")
	}
	got := 0
	p.ParseLoaded(func(rs []lifeline.Resident, bad int) { got += len(rs) })
	if p.Err() != nil || got != n || len(p.Problems()) != 0 {
		t.Fatalf("%d residents, err %v, problems %v", got, p.Err(), p.Problems()[:min(3, len(p.Problems()))])
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// FuzzParseXLSX: any bytes given as a workbook are read or refused with an
// error, within small limits; what is read holds only residents the store
// takes.
func FuzzParseXLSX(f *testing.F) {
	x := excelize.NewFile()
	x.SetSheetRow("Sheet1", "A1", &[]any{"姓名", "证件号码", "手机号码", "健康码"})
	x.SetSheetRow("Sheet1", "A2", &[]any{"张三", "11010519491231002X", 13812345678, "绿码"})
	var buf bytes.Buffer
	x.Write(&buf)
	x.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		p := NewParser(Options{Now: testNow, XLSX: XLSXLimits{Unzipped: 16 << 20, InMemory: 8 << 20, SharedStrings: 4 << 20, Rows: 1000}})
		if err := p.AddXLSX("f.xlsx", bytes.NewReader(data)); err != nil {
			if lifeline.ErrorCode(err) != lifeline.EINVALID {
				t.Fatalf("not a sentence for a person: %v", err)
			}
			return
		}
		for _, r := range p.Batch().Residents {
			if err := r.Validate(); err != nil {
				t.Fatalf("a good row holds an invalid resident: %v", err)
			}
			if err := r.CheckTexts(); err != nil {
				t.Fatalf("a good row holds a text the store refuses: %v", err)
			}
		}
	})
}
