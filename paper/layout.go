package paper

import (
	"strconv"
	"strings"
	"time"

	"github.com/jung-kurt/gofpdf"
	lifeline "github.com/lifeline-health/lifeline"
)

// Layout is how codes are laid out on paper.
type Layout string

// Layouts.
const (
	// Cards are ID-1 wallet cards (85.6 x 54 mm, the size of an ID card,
	// to keep with it), ten to an A4 sheet with cut marks.
	Cards Layout = "cards"
	// Large is one code per page in very large type, for poor eyesight.
	Large Layout = "large"
)

// ParseLayout reads a --layout value.
func ParseLayout(s string) (Layout, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "cards", "card", "卡片":
		return Cards, nil
	case "large", "big", "大字":
		return Large, nil
	}
	return "", lifeline.Errorf(lifeline.EINVALID, lifeline.T("未知版式“"+s+"”，应为 cards 或 large", "unknown layout \""+s+"\": use cards or large"))
}

// PageSize is the paper a layout is printed on.
type PageSize string

// Page sizes. Cards always go on A4.
const (
	A4 PageSize = "a4"
	A5 PageSize = "a5"
)

// ParsePageSize reads a --page value.
func ParsePageSize(s string) (PageSize, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "a4":
		return A4, nil
	case "a5":
		return A5, nil
	}
	return "", lifeline.Errorf(lifeline.EINVALID, lifeline.T("未知纸张“"+s+"”，应为 a4 或 a5", "unknown page size \""+s+"\": use a4 or a5"))
}

// ParseLayoutPage reads a layout and the page it is printed on, as a
// person types them (ParseLayout, ParsePageSize): cards always go on A4.
func ParseLayoutPage(layout, page string) (Layout, PageSize, error) {
	l, err := ParseLayout(layout)
	if err != nil {
		return l, "", err
	}
	p, err := ParsePageSize(page)
	if err == nil && p == A5 && l != Large {
		err = lifeline.Errorf(lifeline.EINVALID, lifeline.T("--page a5 只用于 --layout large；卡片总是印在 A4 上", "--page a5 is for --layout large only; cards always go on A4"))
	}
	return l, p, err
}

// Card geometry in millimetres: ID-1 cards, 2 columns by 5 rows, touching,
// so one straight cut separates two cards; the grid is centred on A4.
const (
	CardW        = 85.6
	CardH        = 54.0
	CardCols     = 2
	CardRows     = 5
	CardsPerPage = CardCols * CardRows
	a4W, a4H     = 210.0, 297.0
	a5W, a5H     = 148.0, 210.0
	gridX        = (a4W - CardCols*CardW) / 2
	gridY        = (a4H - CardRows*CardH) / 2
	cardQR       = 36.0 // QR side on a card, quiet zone included (>= 30 mm)
	cutMark      = 5.0  // length of a cut mark
	cutGap       = 1.5  // gap between a cut mark and the card edge
)

// CardOrigin returns the top-left corner, in mm from the page's top-left,
// of the card in slot i (0-9, row by row) of a sheet.
func CardOrigin(i int) (x, y float64) {
	return gridX + float64(i%CardCols)*CardW, gridY + float64(i/CardCols)*CardH
}

// CardQRBox returns the QR's square (quiet zone included) on a card whose
// top-left corner is (x, y).
func CardQRBox(x, y float64) (qx, qy, side float64) { return x + 2.5, y + 2, cardQR }

// LargeQRBox returns the QR's square on a large-layout page.
func LargeQRBox(page PageSize) (qx, qy, side float64) {
	w, _, s := largeScale(page)
	side = 120 * s
	return (w - side) / 2, 62 * s, side
}

func largeScale(page PageSize) (w, h, s float64) {
	if page == A5 {
		return a5W, a5H, a5W / a4W
	}
	return a4W, a4H, 1
}

// card is one code's printed content, prepared on a worker.
type card struct {
	resident  *lifeline.Resident
	qr        qrPath
	name      string // masked
	docLabel  string // "身份证" or "护照 Passport"
	tail      string // last 4 characters of the document
	issued    string // dates, already formatted
	expires   string
	community string
	serial    string // lifeline.ShortSerial
	room      string // the household's Address.Short, for handing out door to door
	keep      lifeline.Text
	english   bool // passport holders get English lines too
	issuedAt  time.Time
}

// The words printed on cards. Every one of them is checked against the
// font before anything is printed (see PrintedTexts).
var (
	lblTail       = lifeline.T("尾号", "No.")
	lblIssued     = lifeline.T("签发", "Issued")
	lblExpires    = lifeline.T("有效至", "Valid until")
	lblSerial     = lifeline.T("编号", "Serial")
	lblTitle      = lifeline.T("离线健康码", "Offline health code")
	instructions1 = lifeline.T("检查时出示此码，工作人员扫码核验。", "Show this code at checkpoints to be scanned.")
	instructions2 = lifeline.T("请与身份证件一起保管；遗失请到社区补办。", "Keep it with your ID; if lost, ask your community office.")
	// A child with no document has no ID card to keep it with.
	instructionsNoDoc = lifeline.T("请妥善保管；遗失请到社区补办。", "Keep it safe; if lost, ask your community office.")
)

// PrintedTexts returns every fixed string a card or page can show, in both
// languages, plus the characters variable fields are made of (digits,
// Latin letters and the punctuation of dates, serials and masked names).
func PrintedTexts() []string {
	out := []string{
		"0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "-:/.*·, ",
	}
	for _, t := range append([]lifeline.Text{lblTail, lblIssued, lblExpires, lblSerial, lblTitle, instructions1, instructions2, instructionsNoDoc}, listTexts...) {
		out = append(out, t.Zh, t.En)
	}
	for _, d := range lifeline.DocTypes {
		out = append(out, d.Label(lifeline.Zh), d.Label(lifeline.En))
	}
	return out
}

const dateLayout = "2006-01-02"

// newCard prepares the printed content of one code. Characters of the
// name or community that the font lacks become '*' rather than an empty
// box; substituted counts them.
func newCard(r *lifeline.Resident, c Code, qr qrPath, font *Font, loc *time.Location) (cd card, substituted int) {
	name, n1 := printable(font, c.Claims.Holder.MaskedName)
	community, n2 := printable(font, c.Claims.Issuer)
	english := r.Doc.Type == lifeline.DocPassport
	label := r.Doc.Type.Label(lifeline.Zh)
	if english {
		label += " " + r.Doc.Type.Label(lifeline.En)
	}
	tail, n3 := printable(font, c.Claims.Holder.DocTail)
	room, n4 := printable(font, lifeline.Printable(r.Address.Short()))
	keep := instructions2
	if r.Doc.Type == lifeline.DocNone || r.Doc.Number == "" {
		keep = instructionsNoDoc
	}
	return card{
		resident:  r,
		qr:        qr,
		name:      name,
		docLabel:  label,
		tail:      tail,
		issued:    c.Claims.IssuedAt.In(loc).Format(dateLayout),
		expires:   c.Claims.ExpiresAt.In(loc).Format(dateLayout),
		community: community,
		serial:    lifeline.ShortSerial(c.Claims.Serial),
		room:      room,
		keep:      keep,
		english:   english,
		issuedAt:  c.Claims.IssuedAt,
	}, n1 + n2 + n3 + n4
}

func printable(font *Font, s string) (string, int) {
	s = lifeline.Printable(s) // controls written out, as on every screen
	if font == nil || len(font.Missing(s)) == 0 {
		return s, 0
	}
	n := 0
	out := strings.Map(func(r rune) rune {
		if font.Has(r) {
			return r
		}
		n++
		return '*'
	}, s)
	return out, n
}

// tailLine is the document line in large type: "尾号 1234", or the
// document type alone for a resident with no document number (a child).
func (c *card) tailLine() string {
	if c.tail == "" {
		return c.docLabel
	}
	return c.label(lblTail) + " " + c.tail
}

// label returns a label in Chinese, followed by English for passport
// holders.
func (c *card) label(t lifeline.Text) string {
	if c.english {
		return t.Zh + " " + t.En
	}
	return t.Zh
}

const fontFamily = "lifeline"

// newPDF starts a document with the font loaded. epoch, if not zero, fixes
// the creation date and sorts the catalogs so that the same input gives
// the same bytes.
func newPDF(font *Font, page PageSize, epoch time.Time) *gofpdf.Fpdf {
	size := gofpdf.SizeType{Wd: a4W, Ht: a4H}
	if page == A5 {
		size = gofpdf.SizeType{Wd: a5W, Ht: a5H}
	}
	pdf := gofpdf.NewCustom(&gofpdf.InitType{OrientationStr: "P", UnitStr: "mm", Size: size})
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCreator("lifeline", false)
	pdf.SetTitle("lifeline offline codes", false)
	pdf.AddUTF8FontFromBytes(fontFamily, "", font.TTF)
	pdf.SetFont(fontFamily, "", 10)
	if !epoch.IsZero() {
		pdf.SetCreationDate(epoch)
		pdf.SetModificationDate(epoch)
		pdf.SetCatalogSort(true)
	}
	return pdf
}

// drawQR copies a QR path onto the page with its top-left corner at (x, y)
// mm and the given side in mm, quiet zone included.
func drawQR(pdf *gofpdf.Fpdf, qr qrPath, x, y, side float64) {
	k := pdf.GetConversionRatio()
	_, pageH := pdf.GetPageSize()
	s := side / float64(qr.modules) * k
	var b []byte
	b = append(b, "q 0 g "...)
	b = strconv.AppendFloat(b, s, 'f', 5, 64)
	b = append(b, " 0 0 "...)
	b = strconv.AppendFloat(b, -s, 'f', 5, 64)
	b = append(b, ' ')
	b = strconv.AppendFloat(b, x*k, 'f', 3, 64)
	b = append(b, ' ')
	b = strconv.AppendFloat(b, (pageH-y)*k, 'f', 3, 64)
	b = append(b, " cm\n"...)
	pdf.RawWriteStr(string(b))
	pdf.RawWriteStr(string(qr.ops) + "f Q")
}

// fitText writes s with its baseline at y, starting at x, in the largest
// size from max down to min points that fits width w; below min it is cut.
func fitText(pdf *gofpdf.Fpdf, s string, x, y, w, max, min float64) {
	size := max
	pdf.SetFontSize(size)
	for size > min && pdf.GetStringWidth(s) > w {
		size -= 0.5
		pdf.SetFontSize(size)
	}
	if pdf.GetStringWidth(s) > w {
		rs := []rune(s)
		for len(rs) > 1 && pdf.GetStringWidth(string(rs)) > w {
			rs = rs[:len(rs)-1]
		}
		s = string(rs)
	}
	pdf.Text(x, y, s)
}

// centerText writes s centred on cx with its baseline at y.
func centerText(pdf *gofpdf.Fpdf, s string, cx, y, size float64) {
	pdf.SetFontSize(size)
	pdf.Text(cx-pdf.GetStringWidth(s)/2, y, s)
}

// drawSheetMarks draws the cut marks of a card sheet: short lines in the
// margins in line with every cut, and a hairline outline of each card
// slot so that scissors have something to follow.
func drawSheetMarks(pdf *gofpdf.Fpdf) {
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.2)
	right := gridX + CardCols*CardW
	bottom := gridY + CardRows*CardH
	for c := 0; c <= CardCols; c++ {
		x := gridX + float64(c)*CardW
		pdf.Line(x, gridY-cutGap-cutMark, x, gridY-cutGap)
		pdf.Line(x, bottom+cutGap, x, bottom+cutGap+cutMark)
	}
	for r := 0; r <= CardRows; r++ {
		y := gridY + float64(r)*CardH
		pdf.Line(gridX-cutGap-cutMark, y, gridX-cutGap, y)
		pdf.Line(right+cutGap, y, right+cutGap+cutMark, y)
	}
}

// drawCard draws one wallet card with its top-left corner at (x, y).
func drawCard(pdf *gofpdf.Fpdf, c *card, x, y float64) {
	pdf.SetDrawColor(190, 190, 190)
	pdf.SetLineWidth(0.1)
	pdf.Rect(x, y, CardW, CardH, "D")
	qx, qy, side := CardQRBox(x, y)
	drawQR(pdf, c.qr, qx, qy, side)

	pdf.SetTextColor(0, 0, 0)
	// Serial under the QR, to read aloud.
	centerText(pdf, lblSerial.Zh+" "+c.serial, qx+side/2, qy+side+4.2, 11)

	tx := x + 39.0
	tw := CardW - 39.0 - 2.5
	pdf.SetFontSize(8)
	pdf.Text(tx, y+5.5, lblTitle.Zh+" · "+c.community)
	fitText(pdf, c.name, tx, y+13.5, tw, 20, 14)
	if c.tail != "" {
		pdf.SetFontSize(8)
		pdf.Text(tx, y+18.5, c.docLabel)
	}
	fitText(pdf, c.tailLine(), tx, y+25, tw, 16, 14)
	pdf.SetFontSize(9)
	pdf.Text(tx, y+31, c.label(lblIssued)+" "+c.issued)
	pdf.SetFontSize(10)
	pdf.Text(tx, y+37.5, c.label(lblExpires))
	label := pdf.GetStringWidth(c.label(lblExpires) + " ")
	fitText(pdf, c.expires, tx+label, y+37.5, tw-label, 14, 7)
	// The room, small, on the serial's line: whoever hands the cards out
	// door to door (with the distribution list) puts each at its door.
	if c.room != "" {
		pdf.SetTextColor(60, 60, 60)
		fitText(pdf, c.room, tx, qy+side+4.2, tw, 8, 6)
		pdf.SetTextColor(0, 0, 0)
	}

	// Instructions along the bottom.
	iw := CardW - 5
	if c.english {
		// Two languages in two lines: the second sentence gives way.
		fitText(pdf, instructions1.Zh, x+2.5, y+47.5, iw, 8.5, 6)
		fitText(pdf, instructions1.En, x+2.5, y+51.5, iw, 8.5, 6)
	} else {
		fitText(pdf, instructions1.Zh, x+2.5, y+47.5, iw, 8.5, 6)
		fitText(pdf, c.keep.Zh, x+2.5, y+51.5, iw, 8.5, 6)
	}
}

// drawLarge draws one code on a page of its own in very large type.
func drawLarge(pdf *gofpdf.Fpdf, c *card, page PageSize) {
	w, _, s := largeScale(page)
	m := 15 * s
	tw := w - 2*m
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFontSize(18 * s)
	pdf.Text(m, 20*s, lblTitle.Zh+" · "+c.community)
	fitText(pdf, c.name, m, 40*s, tw, 44*s, 28*s)
	line := c.tailLine()
	if c.tail != "" {
		line = c.docLabel + "  " + line
	}
	fitText(pdf, line, m, 56*s, tw, 32*s, 20*s)
	qx, qy, side := LargeQRBox(page)
	drawQR(pdf, c.qr, qx, qy, side)
	centerText(pdf, c.label(lblSerial)+" "+c.serial, w/2, qy+side+14*s, 26*s)
	if c.room != "" {
		centerText(pdf, c.room, w/2, qy+side+21*s, 12*s)
	}
	fitText(pdf, c.label(lblIssued)+" "+c.issued, m, qy+side+32*s, tw, 22*s, 16*s)
	fitText(pdf, c.label(lblExpires)+" "+c.expires, m, qy+side+46*s, tw, 28*s, 18*s)
	fitText(pdf, instructions1.Zh, m, qy+side+62*s, tw, 18*s, 12*s)
	fitText(pdf, c.keep.Zh, m, qy+side+72*s, tw, 18*s, 12*s)
	if c.english {
		fitText(pdf, instructions1.En, m, qy+side+82*s, tw, 16*s, 10*s)
		fitText(pdf, c.keep.En, m, qy+side+90*s, tw, 16*s, 10*s)
	}
}
