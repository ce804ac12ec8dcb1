package paper

import (
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jung-kurt/gofpdf"
	lifeline "github.com/lifeline-health/lifeline"
)

// newListRow is card c's line on the distribution list, at position slot
// (from 1) of page of file.
func newListRow(c *card, font *Font, file, page, slot int) listRow {
	show := func(s string) string {
		p, _ := printable(font, lifeline.Printable(s))
		return p
	}
	a := c.resident.Address
	return listRow{building: show(a.Building), unit: show(a.Unit), room: show(a.Room), community: show(a.Community),
		household: a.Key(), name: c.name, serial: c.serial, file: file, page: page, slot: slot}
}

// listRow is one card on the distribution list.
type listRow struct {
	// building, unit, room and community as printed (made printable, and
	// characters the font lacks as *); household tells households apart.
	building, unit, room, community string
	household                       string
	name                            string // masked, as on the card
	serial                          string // lifeline.ShortSerial, as on the card
	file                            int    // which output file (from 1), page and card position
	page                            int
	slot                            int
}

// The words of the distribution list.
var (
	listTitle   = lifeline.T("纸质码派发清单", "Paper code distribution list")
	listSummary = lifeline.T("共 %d 张，%d 户。按门牌顺序逐户派发，交到本人或家属手中后在「已发」栏打勾。", "%d cards for %d households. Go door to door in this order; tick each card once it is in the holder's or a relative's hands.")
	listHeads   = []lifeline.Text{lifeline.T("楼", "Bldg"), lifeline.T("单元", "Unit"), lifeline.T("房号", "Room"), lifeline.T("姓名", "Name"), lifeline.T("编号", "Serial"), lifeline.T("在第几页第几张", "Sheet · card"), lifeline.T("已发", "Given")}
	listPage    = lifeline.T("第 %d 页，共 %d 页", "page %d of %d")
	listTexts   = append([]lifeline.Text{listTitle, listSummary, listPage}, listHeads...)
)

// List geometry, in millimetres on A4.
const (
	listMargin = 15.0
	listRowH   = 6.5
	listTop    = 38.0 // first row's top, under the title and the heads
)

// listCols are the columns' left edges from the margin and widths.
var listCols = []float64{16, 16, 22, 34, 30, 34, 18}

// writeListFile writes the distribution list of rows to opt.List: one
// line per card, in the order the cards were printed (door to door: the
// building, unit and room order of a batch), with a box to tick, and on
// every page the heads again and its number. Households are set apart by
// a rule. files names the card files, when there are several, so that a
// sheet is found.
func writeListFile(opt Options, rows []listRow, files []string) error {
	pdf := newPDF(opt.Font, A4, opt.Epoch)
	l := lifeline.Zh
	usable := a4H - listTop - 15
	perPage := int(usable / listRowH)
	pages := (len(rows) + perPage - 1) / perPage
	households := 0
	for i, r := range rows {
		if i == 0 || r.household != rows[i-1].household {
			households++
		}
	}
	date := opt.Now().In(opt.Location)
	if !opt.Epoch.IsZero() {
		date = opt.Epoch.In(opt.Location)
	}
	for p := 0; p < pages; p++ {
		pdf.AddPage()
		listHead(pdf, rows[0].community, date, len(rows), households, l)
		end := min((p+1)*perPage, len(rows))
		for i := p * perPage; i < end; i++ {
			y := listTop + float64(i-p*perPage)*listRowH
			if i > p*perPage && rows[i].household != rows[i-1].household {
				pdf.SetLineWidth(0.3)
				pdf.Line(listMargin, y, a4W-listMargin, y)
			}
			listLine(pdf, rows[i], y, len(files) > 1)
		}
		pdf.SetFontSize(8)
		centerText(pdf, fmt.Sprintf(listPage.In(l), p+1, pages), a4W/2, a4H-8, 8)
	}
	f, err := writePDF(opt.List, pdf, nil)
	if err != nil {
		return err
	}
	return f.Commit()
}

// listHead is a page's title, summary and column heads.
func listHead(pdf *gofpdf.Fpdf, where string, date time.Time, cards, households int, l lifeline.Lang) {
	pdf.SetTextColor(0, 0, 0)
	fitText(pdf, listTitle.In(l)+" · "+where+" · "+date.Format(dateLayout), listMargin, 16, a4W-2*listMargin, 14, 10)
	fitText(pdf, fmt.Sprintf(listSummary.In(l), cards, households), listMargin, 23, a4W-2*listMargin, 9, 7)
	x := listMargin
	pdf.SetFontSize(9)
	for i, h := range listHeads {
		pdf.Text(x+1, listTop-2, h.In(l))
		x += listCols[i]
	}
	pdf.SetLineWidth(0.4)
	pdf.Line(listMargin, listTop, a4W-listMargin, listTop)
}

// listLine is one card's line, its top at y.
func listLine(pdf *gofpdf.Fpdf, r listRow, y float64, files bool) {
	where := strconv.Itoa(r.page) + " · " + strconv.Itoa(r.slot)
	if files {
		where = strconv.Itoa(r.file) + "/" + where
	}
	cells := []string{r.building, r.unit, r.room, r.name, r.serial, where}
	x := listMargin
	base := y + listRowH - 1.8
	for i, c := range cells {
		fitText(pdf, c, x+1, base, listCols[i]-2, 11, 7)
		x += listCols[i]
	}
	pdf.SetLineWidth(0.3)
	pdf.Rect(x+5, y+1, listRowH-2, listRowH-2, "D")
	pdf.SetLineWidth(0.1)
	pdf.SetDrawColor(170, 170, 170)
	pdf.Line(listMargin, y+listRowH, a4W-listMargin, y+listRowH)
	pdf.SetDrawColor(0, 0, 0)
}

// ListName is the distribution list's file beside a batch's output:
// FILE.pdf gives FILE-list.pdf.
func ListName(out string) string {
	ext := filepath.Ext(out)
	return out[:len(out)-len(ext)] + "-list" + ext
}
