package roster

import (
	"context"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// parseTubeRow reads a row of results by tube: a tube barcode (试管编码)
// instead of a document, and the tube's result, which each person in the
// tube gets (lifeline.Tube.MemberResult). A tube carries no colour. Its
// sample time may be given, and is checked, but each person's result is
// dated when their own swab went into the tube, as registered.
func (p *Parser) parseTubeRow(row *Row, cell func(field) string, bad func(field, string, string), badErr func(field, error), loc *time.Location, serial bool) {
	tr := &lifeline.TubeResult{Code: cell(fTube)}
	if err := lifeline.ValidTubeCode(tr.Code); err != nil {
		badErr(fTube, err)
	}
	if cell(fColor) != "" {
		bad(fColor, "按试管给出的结果不能带健康码：健康码请按证件号码给出", "a result by tube carries no code colour: give colours by document number")
	}
	switch res := cell(fResult); {
	case res == "":
		bad(fResult, "缺少检测结果", "the result is missing")
	default:
		r, err := lifeline.ParseResult(res)
		switch {
		case err != nil:
			badErr(fResult, err)
		case r == lifeline.PooledPositive:
			bad(fResult, "试管的结果应为阴性、阳性或待出（混管阳性由系统按管内人数判定）", "a tube's result is negative, positive or pending (pooled positive follows from how many share the tube)")
		default:
			tr.Result = r
		}
	}
	if at := cell(fTestedAt); at != "" {
		if t, err := parseTime(at, loc, serial); err != nil {
			bad(fTestedAt, "无法识别的时间“"+at+"”，请写成 2022-04-09 08:30", "unrecognised time \""+at+"\": write it as 2022-04-09 08:30")
		} else if t.After(p.opt.Now.Add(time.Hour)) {
			bad(fTestedAt, "采样时间在未来", "sample time is in the future")
		}
	}
	if len(row.Problems) == 0 {
		// Checked against the rows before it by checkDups.
		row.sampleKey, row.sampleWhat, row.sampleField = "tube|"+tr.Code, lifeline.T("试管重复", "duplicate tube"), fTube
		row.Tube = tr
	}
}

// CheckTubes marks rows of results by tube whose barcode is not a tube
// in the store as bad: a tube lifeline never registered has no members to
// give its result to. known is called once, with every distinct barcode.
func (p *Parser) CheckTubes(ctx context.Context, known func(context.Context, []string) (map[string]bool, error)) error {
	var ask []string
	asked := map[string]bool{}
	p.Rows(func(r *Row) {
		if r.OK() && r.Tube != nil && !asked[r.Tube.Code] {
			asked[r.Tube.Code] = true
			ask = append(ask, r.Tube.Code)
		}
	})
	if len(ask) == 0 {
		return nil
	}
	stored, err := known(ctx, ask)
	if err != nil {
		return err
	}
	p.Rows(func(r *Row) {
		if r.OK() && r.Tube != nil && !stored[r.Tube.Code] {
			r.addProblem(r.table.cols.name(fTube), lifeline.T("查无此试管：本系统没有登记过这个试管条码", "unknown tube: no tube of this barcode was registered here"))
		}
	})
	return nil
}
