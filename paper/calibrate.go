package paper

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jung-kurt/gofpdf"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/outfile"
)

// Offset moves everything on a page by X millimetres to the right and Y
// down (negative: left and up), for a printer whose paper path puts the
// page a little off where it is told, as label printers' tools allow.
type Offset struct {
	X float64 `json:"x_mm"`
	Y float64 `json:"y_mm"`
}

// MaxOffset bounds an offset: more than this is a wrong setting, not a
// printer's drift.
const MaxOffset = 20.0

func (o Offset) check() error {
	if math.Abs(o.X) > MaxOffset || math.Abs(o.Y) > MaxOffset || math.IsNaN(o.X) || math.IsNaN(o.Y) {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T(
			fmt.Sprintf("偏移应在 ±%.0f 毫米以内", MaxOffset), fmt.Sprintf("an offset must be within ±%.0f mm", MaxOffset)))
	}
	return nil
}

// begin starts a page's drawing moved by the offset; TransformEnd ends it
// before the next page.
func (o Offset) begin(pdf *gofpdf.Fpdf) {
	pdf.TransformBegin()
	pdf.TransformTranslate(o.X, o.Y)
}

// The words of the calibration page.
var (
	calTitle = lifeline.T("打印校准页", "Printer calibration page")
	calHow   = lifeline.T("用尺量：卡片框线应离纸边左 %.1f 毫米、上 %.1f 毫米；刻度每格 1 毫米。", "Measure: the card outlines should be %.1f mm from the left edge and %.1f mm from the top; ruler marks are 1 mm apart.")
	calFix   = lifeline.T("若偏了，用 --offset-x（向右为正）和 --offset-y（向下为正）按毫米修正，每台打印机记住自己的偏移。", "If they are off, correct with --offset-x (right is positive) and --offset-y (down is positive) in mm; each printer keeps its own.")
	calNow   = lifeline.T("当前偏移：x %+.1f 毫米，y %+.1f 毫米", "Offset now: x %+.1f mm, y %+.1f mm")
)

// Calibrate writes one A4 page to out (atomically): the outline of every
// card position of a sheet, numbered as --start-at counts them, and rulers
// in millimetres along the top and left edges, all moved by offset, so
// that what the printer does to a page can be measured and corrected.
func Calibrate(ctx context.Context, out string, font *Font, offset Offset, l lifeline.Lang) error {
	if err := offset.check(); err != nil {
		return err
	}
	if err := outfile.Check(out); err != nil {
		return err
	}
	pdf := newPDF(font, A4, time.Time{})
	pdf.AddPage()
	offset.begin(pdf)
	drawSheetMarks(pdf)
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.3)
	for i := 0; i < CardsPerPage; i++ {
		x, y := CardOrigin(i)
		pdf.Rect(x, y, CardW, CardH, "D")
		centerText(pdf, fmt.Sprintf("%d", i+1), x+CardW/2, y+CardH-10, 28)
	}
	drawRulers(pdf)
	// What the page is and what to do, inside the first two outlines,
	// where every printer prints.
	x, y := CardOrigin(0)
	fitText(pdf, calTitle.In(l), x+4, y+8, CardW-8, 12, 8)
	fitText(pdf, fmt.Sprintf(calNow.In(l), offset.X, offset.Y), x+4, y+14, CardW-8, 9, 6)
	x, y = CardOrigin(1)
	pdf.SetFontSize(8)
	pdf.SetXY(x+4, y+4)
	pdf.MultiCell(CardW-8, 3.6, fmt.Sprintf(calHow.In(l), gridX+offset.X, gridY+offset.Y)+"\n"+calFix.In(l), "", "L", false)
	pdf.TransformEnd()
	f, err := writePDF(out, pdf, nil)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// drawRulers draws millimetre rulers along the page's top and left edges,
// from the edge inwards: a tick a millimetre, longer every 5, numbered
// every 10.
func drawRulers(pdf *gofpdf.Fpdf) {
	pdf.SetLineWidth(0.1)
	pdf.SetFontSize(5)
	for mm := 0; mm <= int(a4W); mm++ {
		pdf.Line(float64(mm), 0, float64(mm), tick(mm))
		if mm%10 == 0 && mm > 0 {
			pdf.Text(float64(mm)-1, 7, fmt.Sprintf("%d", mm))
		}
	}
	for mm := 0; mm <= int(a4H); mm++ {
		pdf.Line(0, float64(mm), tick(mm), float64(mm))
		if mm%10 == 0 && mm > 0 {
			pdf.Text(4.5, float64(mm)+0.8, fmt.Sprintf("%d", mm))
		}
	}
}

func tick(mm int) float64 {
	switch {
	case mm%10 == 0:
		return 4
	case mm%5 == 0:
		return 3
	}
	return 1.5
}
