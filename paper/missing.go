package paper

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/jung-kurt/gofpdf"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/outfile"
)

// A missing list on paper is for a volunteer's clipboard: A4 in large
// type, each building starting on a page of its own (one volunteer takes
// one building), people door to door, and for each person four boxes to
// tick (not home, sampled at home, refused, away) and a line to write on,
// so that the next volunteer's list can be made right from it.

// IsMissingFormat reports whether a missing list can be written to path:
// a workbook (.xlsx) for the office, or a PDF for a clipboard.
func IsMissingFormat(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".xlsx" || ext == ".pdf"
}

// WriteMissingFile writes a round's missing list to path (see
// WriteMissing) as package outfile writes every file: through a file
// beside it and a rename, so an interrupted write leaves no half list, and
// readable by its owner alone: it names people.
func WriteMissingFile(path string, s *lifeline.MissingSheet) error {
	return outfile.Write(path, 0o600, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		if err := WriteMissing(bw, s, path); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// WriteMissing writes a round's missing list as the file path names: a
// workbook for the office (.xlsx) or, in large type, a PDF for a
// volunteer's clipboard (.pdf, with the font LoadFont finds).
func WriteMissing(w io.Writer, s *lifeline.MissingSheet, path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx":
		return writeMissingXLSX(w, s)
	case ".pdf":
		font, err := LoadFont()
		if err != nil {
			return err
		}
		return WriteMissingPDF(w, s, font)
	}
	return lifeline.Errorf(lifeline.EINVALID, lifeline.T("名单只能写成 .xlsx 或 .pdf 文件", "a missing list is written to a .xlsx or .pdf file"))
}

// Geometry of a missing-list page, in millimetres.
const (
	mlMargin  = 12.0
	mlWidth   = a4W - 2*mlMargin
	mlTop     = 34.0 // where the first person's row starts
	mlRowH    = 23.0
	mlBottom  = a4H - 14.0
	mlBoxSide = 5.5
)

// mlRows is how many people a page holds.
var mlRows = int(math.Floor((mlBottom - mlTop) / mlRowH))

// The words a missing list prints besides the people.
var (
	mlNotes   = lifeline.T("备注：", "Notes:")
	mlPage    = lifeline.T("第 %d / %d 页", "page %d of %d")
	mlFooter  = lifeline.T("上门后勾选情况、写明时间，交回社区；采到的样请在系统中登记。", "Tick what you found and write the time; hand it back. Register samples taken.")
	mlBuild   = lifeline.T("%s 栋 · %d 人", "Building %s · %d people")
	mlColumns = []lifeline.Text{lifeline.T("房号", "Room"), lifeline.T("姓名", "Name"), lifeline.T("年龄", "Age"), lifeline.T("电话", "Phone"), lifeline.T("上门情况（打勾）", "Visit (tick one)")}
)

// mlX are where the columns start, from the left margin: room, name,
// age, phone, the boxes.
var mlX = []float64{0, 25, 60, 72, 118}

// MissingTexts returns the fixed words of a missing list in both
// languages, for checking the font before printing.
func MissingTexts() []string {
	out := []string{"0123456789", "-:/.*·+, ()（）：；"}
	for _, t := range append([]lifeline.Text{mlNotes, mlPage, mlFooter, mlBuild, lifeline.T("未采样", "not sampled")}, mlColumns...) {
		out = append(out, t.Zh, t.En)
	}
	for _, m := range lifeline.VisitMarks {
		out = append(out, m.Label(lifeline.Zh), m.Label(lifeline.En), m.Short(lifeline.Zh), m.Short(lifeline.En))
	}
	return append(out, lifeline.PooledPositive.Label(lifeline.Zh), lifeline.PooledPositive.Label(lifeline.En))
}

// WriteMissingPDF writes a round's missing list for volunteers (see
// above). Characters of names the font lacks print as '*' rather than as
// empty boxes.
func WriteMissingPDF(w io.Writer, s *lifeline.MissingSheet, font *Font) error {
	if err := font.Check(MissingTexts()...); err != nil {
		return err
	}
	l := s.Lang
	pdf := newPDF(font, A4, s.At)
	pdf.SetTitle(s.Title(), true)
	lines := s.Lines()
	// Pages, a building at a time.
	type page struct {
		building string
		people   int // in the building
		lines    []lifeline.MissingLine
	}
	var pages []page
	for from := 0; from < len(lines); {
		b := lines[from].Building
		to := from
		for to < len(lines) && lines[to].Building == b {
			to++
		}
		for at := from; at < to; at += mlRows {
			pages = append(pages, page{building: b, people: to - from, lines: lines[at:min(at+mlRows, to)]})
		}
		from = to
	}
	if len(pages) == 0 {
		pages = append(pages, page{})
	}
	for i, p := range pages {
		pdf.AddPage()
		pdf.SetTextColor(0, 0, 0)
		fitText(pdf, sub(font, s.Title()), mlMargin, 12, mlWidth, 12, 8)
		if p.building != "" {
			fitText(pdf, sub(font, fmt.Sprintf(l.Pick(mlBuild.Zh, mlBuild.En), p.building, p.people)), mlMargin, 24, mlWidth-40, 20, 14)
		}
		pdf.SetFontSize(11)
		pg := fmt.Sprintf(l.Pick(mlPage.Zh, mlPage.En), i+1, len(pages))
		pdf.Text(mlMargin+mlWidth-pdf.GetStringWidth(pg), 24, pg)
		pdf.SetFontSize(10)
		for c, t := range mlColumns {
			pdf.Text(mlMargin+mlX[c], 31, t.In(l))
		}
		for k, line := range p.lines {
			drawMissingRow(pdf, font, line, l, mlTop+float64(k)*mlRowH)
		}
		pdf.SetFontSize(9)
		pdf.Text(mlMargin, a4H-7, l.Pick(mlFooter.Zh, mlFooter.En))
	}
	return pdf.Output(w)
}

// sub replaces the characters font lacks by '*'.
func sub(font *Font, s string) string {
	out, _ := printable(font, s)
	return out
}

// drawMissingRow draws one person from y down: room, name, age and phone
// large; why they are listed and the last visit smaller; the four boxes;
// the notes line.
func drawMissingRow(pdf *gofpdf.Fpdf, font *Font, m lifeline.MissingLine, l lifeline.Lang, y float64) {
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.3)
	pdf.Line(mlMargin, y, mlMargin+mlWidth, y)
	room := m.Room
	if m.Unit != "" {
		room = m.Unit + "-" + m.Room
	}
	fitText(pdf, sub(font, room), mlMargin+mlX[0], y+8, mlX[1]-mlX[0]-1, 16, 11)
	fitText(pdf, sub(font, m.Name), mlMargin+mlX[1], y+8, mlX[2]-mlX[1]-1, 16, 11)
	fitText(pdf, m.Age, mlMargin+mlX[2], y+8, mlX[3]-mlX[2]-1, 16, 11)
	fitText(pdf, sub(font, m.Phone), mlMargin+mlX[3], y+8, mlX[4]-mlX[3]-2, 14, 9)
	why := m.Status
	if m.LastVisit != "" {
		why += " · " + m.LastVisit
	}
	if m.Retest {
		pdf.SetTextColor(180, 0, 0)
	}
	fitText(pdf, sub(font, why), mlMargin, y+14.5, mlX[4]-2, 11, 8)
	pdf.SetTextColor(0, 0, 0)
	// The boxes, with their words under them.
	x := mlMargin + mlX[4]
	step := (mlWidth - mlX[4]) / float64(len(lifeline.VisitMarks))
	for _, v := range lifeline.VisitMarks {
		pdf.Rect(x+(step-mlBoxSide)/2, y+2.5, mlBoxSide, mlBoxSide, "D")
		label := v.Short(l)
		pdf.SetFontSize(10)
		if w := pdf.GetStringWidth(label); w < step-1 {
			pdf.Text(x+(step-w)/2, y+13, label)
		} else {
			fitText(pdf, label, x+0.5, y+13, step-1, 10, 6)
		}
		x += step
	}
	pdf.SetFontSize(9)
	pdf.Text(mlMargin, y+mlRowH-3, l.Pick(mlNotes.Zh, mlNotes.En))
	pdf.SetLineWidth(0.15)
	pdf.Line(mlMargin+12, y+mlRowH-2.5, mlMargin+mlWidth, y+mlRowH-2.5)
}
