package paper

import (
	"io"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/xuri/excelize/v2"
)

// writeMissingXLSX writes a round's missing list as a workbook for the
// office: the title, then a header row frozen above the lines, door to
// door, with an empty notes column; landscape A4, the header repeated on
// every printed page. Every cell is written as text, never as a formula,
// so a name that starts with "=" stays a name.
func writeMissingXLSX(w io.Writer, s *lifeline.MissingSheet) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := s.Lang.Pick("未采样名单", "Missing")
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	// Widths in characters: building, unit, floor, room, name, sex, age,
	// phone, status, visits, notes.
	for i, width := range []float64{8, 6, 6, 8, 12, 6, 6, 18, 22, 40, 30} {
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	row := 1
	put := func(cells []string) error {
		vals := make([]any, len(cells))
		for i, c := range cells {
			vals[i] = excelize.Cell{Value: c}
		}
		at, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		row++
		return sw.SetRow(at, vals)
	}
	if err := put([]string{s.Title()}); err != nil {
		return err
	}
	if err := put(s.Header()); err != nil {
		return err
	}
	for _, l := range s.Lines() {
		if err := put(l.Cells()); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	landscape := "landscape"
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape}); err != nil {
		return err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sheet + "'!$1:$2", Scope: sheet}); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}
