package roster

import (
	"fmt"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// parseUpdate reads a row's health-code colour and test result into a
// status update, and the key checkDups tells a repeated sample apart by.
// A roster row without either has no update; a results row without
// either is reported.
func (p *Parser) parseUpdate(row *Row, doc lifeline.Document, docOK bool, cell func(field) string,
	bad func(field, string, string), badErr func(field, error), loc *time.Location, serial bool) {
	u := &lifeline.StatusUpdate{Doc: doc}
	roster := row.table.Kind.Has(KindRoster)
	if docOK && doc.Type == lifeline.DocNone && !roster {
		bad(fDocNumber, "检测结果需要证件号码", "a result needs a document number")
	}
	if s := cell(fColor); s != "" {
		col, err := lifeline.ParseColor(s)
		if err != nil {
			badErr(fColor, err)
		}
		u.Color = col
		u.ColorReason = cell(fColorReason)
		u.At = p.opt.Now
		if s := cell(fColorAt); s != "" {
			at, err := parseTime(s, loc, serial)
			switch {
			case err != nil:
				bad(fColorAt, "无法识别的时间“"+s+"”，请写成 2022-04-09 08:30", "unrecognised time \""+s+"\": write it as 2022-04-09 08:30")
			case at.After(p.opt.Now.Add(time.Hour)):
				bad(fColorAt, "赋码时间在未来", "colour time is in the future")
			default:
				u.At = at
			}
		}
	}
	at, res := cell(fTestedAt), cell(fResult)
	if at != "" || res != "" {
		test := &lifeline.TestResult{Site: cell(fSite), Tube: cell(fTube)}
		if res == "" {
			bad(fResult, "有采样时间但没有检测结果（未出结果请填“待出”）", "a sample time is given but no result (write pending if there is none yet)")
		} else if r, err := lifeline.ParseResult(res); err != nil {
			badErr(fResult, err)
		} else {
			test.Result = r
		}
		if at == "" {
			bad(fTestedAt, "有检测结果但没有采样时间", "a result is given but no sample time")
		} else if t, err := parseTime(at, loc, serial); err != nil {
			bad(fTestedAt, "无法识别的时间“"+at+"”，请写成 2022-04-09 08:30", "unrecognised time \""+at+"\": write it as 2022-04-09 08:30")
		} else if t.After(p.opt.Now.Add(time.Hour)) {
			bad(fTestedAt, "采样时间在未来", "sample time is in the future")
		} else {
			test.SampledAt = t
		}
		u.Test = test
	}
	if u.Color == "" && u.Test == nil {
		if !roster && len(row.Problems) == 0 {
			bad(fColor, "没有健康码也没有检测结果", "the row has neither a code colour nor a result")
		}
		return
	}
	if docOK && doc.Type != lifeline.DocNone && len(row.Problems) == 0 {
		// The same sample twice, or two colours for one person with no
		// sample to tell them apart, is a copy-paste slip.
		key := doc.Key() + "|colour"
		what := lifeline.T("健康码重复", "duplicate colour")
		if u.Test != nil {
			key = fmt.Sprintf("%s|%d|%s", doc.Key(), u.Test.SampledAt.UnixMilli(), u.Test.Site)
			what = lifeline.T("同一次采样重复", "duplicate sample")
		}
		f := fColor
		if u.Test != nil {
			f = fTestedAt
		}
		// Checked against the rows before it by checkDups.
		row.sampleKey, row.sampleWhat, row.sampleField = key, what, f
	}
	if doc.Type == lifeline.DocNone {
		// A roster row for a child without a document carries no status:
		// there is nothing to find them by but their household.
		return
	}
	row.Update = u
}
