package seed

import (
	"bufio"
	"encoding/csv"
	"io"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
)

// RosterHeader is the header WriteRosterCSV writes: the Chinese column
// names community spreadsheets use.
var RosterHeader = []string{"姓名", "证件类型", "证件号码", "国籍", "手机号码", "社区", "楼栋", "单元", "房号"}

// ResultsHeader is the header WriteResultsCSV writes.
var ResultsHeader = []string{"证件号码", "证件类型", "健康码", "赋码原因", "赋码时间", "采样时间", "检测结果", "采样点", "试管编码"}

const timeLayout = "2006-01-02 15:04"

// WriteRosterCSV writes the generated residents as a roster CSV in UTF-8,
// one row per resident, phones as people write them (138 1234 5678 style
// is left to real files: these are plain digits, landlines with their
// trunk 0 and a dash).
func WriteRosterCSV(w io.Writer, cfg Config) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	cw := csv.NewWriter(bw)
	cw.Write(RosterHeader)
	row := make([]string, len(RosterHeader))
	err := Generate(cfg, func(h *Household) error {
		for _, m := range h.Members {
			phones := make([]string, len(m.Phones))
			for i, p := range m.Phones {
				phones[i] = localPhone(p)
			}
			row[0], row[1], row[2], row[3] = m.Name, m.Doc.Type.Label(lifeline.Zh), m.Doc.Number, m.Doc.Nationality
			row[4] = strings.Join(phones, ";")
			row[5], row[6], row[7], row[8] = m.Address.Community, m.Address.Building, m.Address.Unit, m.Address.Room
			if err := cw.Write(cells(row)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteResultsCSV writes the generated colours and test results as a
// results CSV in UTF-8.
func WriteResultsCSV(w io.Writer, cfg Config) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	cw := csv.NewWriter(bw)
	cw.Write(ResultsHeader)
	row := make([]string, len(ResultsHeader))
	err := Generate(cfg, func(h *Household) error {
		for _, u := range h.Updates {
			clear(row)
			row[0], row[1] = u.Doc.Number, u.Doc.Type.Label(lifeline.Zh)
			row[2], row[3], row[4] = u.Color.Label(lifeline.Zh), u.ColorReason, u.At.In(lifeline.ChinaTime).Format(timeLayout)
			if t := u.Test; t != nil {
				row[5], row[6], row[7], row[8] = t.SampledAt.In(lifeline.ChinaTime).Format(timeLayout), t.Result.Label(lifeline.Zh), t.Site, t.Tube
			}
			if err := cw.Write(cells(row)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// cells makes row's cells safe in a spreadsheet, as every CSV lifeline
// writes is (lifeline.SpreadsheetCell: +1 415… is text, not a formula);
// the import takes the guard off.
func cells(row []string) []string {
	for i, c := range row {
		row[i] = lifeline.SpreadsheetCell(c)
	}
	return row
}

// localPhone writes an E.164 number as people in China write it: a bare
// 11-digit mobile, or a landline with its trunk 0 and a dash.
func localPhone(p string) string {
	d := strings.TrimPrefix(p, "+86")
	if d == p {
		return p
	}
	if len(d) == 11 && d[0] == '1' {
		return d
	}
	return "0" + d[:2] + "-" + d[2:]
}
