package lifeline

import "strings"

// formulaStarts are the first characters that make a spreadsheet run a
// cell as a formula (=HYPERLINK(…), +cmd|…, -2+3, @SUM(…)), or that
// Excel's import turns into one (a tab, a carriage return).
const formulaStarts = "=+-@\t\r"

// SpreadsheetCell is s as a cell of a CSV or XLSX file lifeline writes:
// its controls written out (Printable), and a cell a spreadsheet would run
// as a formula guarded by a leading apostrophe, which makes it text. A
// rejected row's name of =HYPERLINK(…) must not become a link in the
// clerk's Excel. UnguardCell takes the guard off when the file comes back.
func SpreadsheetCell(s string) string {
	s = Printable(s)
	if s != "" && strings.IndexByte(formulaStarts, s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// UnguardCell undoes SpreadsheetCell's guard on a cell read from a file:
// an apostrophe before a formula's first character. Any other cell comes
// back as it is.
func UnguardCell(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.IndexByte(formulaStarts, s[1]) >= 0 {
		return s[1:]
	}
	return s
}
