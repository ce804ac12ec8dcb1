package roster

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
)

// WriteRejects writes the bad rows as CSV for fixing in Excel: UTF-8 with a
// BOM (without it Excel on Chinese Windows reads UTF-8 as GB18030), the
// original columns, then a column with what is wrong and one with where the
// row came from. Tables with different headers share one header: the union
// of their columns in order of first appearance. The two added columns are
// unknown to the importer, so a fixed rejects file can be imported as is.
// Every cell goes through lifeline.SpreadsheetCell: a name of
// =HYPERLINK(…) is text in Excel, and its guard comes off when the file
// is imported again.
func (p *Parser) WriteRejects(w io.Writer, l lifeline.Lang) error {
	var header []string
	pos := map[string]int{}
	p.Rows(func(r *Row) {
		if r.OK() {
			return
		}
		for _, h := range r.table.Header {
			h = strings.TrimPrefix(h, "\ufeff")
			if _, ok := pos[h]; !ok {
				pos[h] = len(header)
				header = append(header, h)
			}
		}
	})
	bw := bufio.NewWriter(w)
	bw.WriteString("\ufeff")
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true // what Excel writes and expects
	write := func(cells []string) {
		for i, c := range cells {
			cells[i] = lifeline.SpreadsheetCell(c) // what Excel would run or a terminal obey, made text
		}
		cw.Write(cells)
	}
	write(append(append([]string{}, header...), l.Pick("错误", "error"), l.Pick("来源", "source")))
	p.Rows(func(r *Row) {
		if r.OK() {
			return
		}
		out := make([]string, len(header)+2)
		for i, h := range r.table.Header {
			if i < len(r.Record) {
				out[pos[strings.TrimPrefix(h, "\ufeff")]] = r.Record[i]
			}
		}
		msgs := make([]string, len(r.Problems))
		for i, pr := range r.Problems {
			if f := pr.Field(l); f != "" {
				msgs[i] = f + l.Pick("：", ": ") + pr.Reason.In(l)
			} else {
				msgs[i] = pr.Reason.In(l)
			}
		}
		out[len(header)] = strings.Join(msgs, l.Pick("；", "; "))
		out[len(header)+1] = fmt.Sprintf("%s:%d", r.Source, r.Line)
		write(out)
	})
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
