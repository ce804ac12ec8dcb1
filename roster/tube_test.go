package roster

import (
	"context"
	"slices"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
)

func TestResultsByTube(t *testing.T) {
	p := parse(t, map[string]string{"lab.csv": "试管编码,检测结果,采样时间\r\n" +
		"T0001,阴性,2022-04-10 08:00\r\n" +
		"T0002,阳性,\r\n" +
		"T0003,,2022-04-10 08:00\r\n" +
		"T0001,阴性,2022-04-10 08:00\r\n" +
		"T 4,阴性,\r\n" +
		"T0005,混阳,\r\n" +
		"T0006,阴性,明天\r\n"})
	if k := p.Tables[0].Kind; k != KindResults {
		t.Fatalf("a file of tubes and results is %v", k.Label(lifeline.En))
	}
	want := []string{
		"lab.csv:4: 检测结果: the result is missing",
		"lab.csv:5: 试管编码: duplicate tube, same as line 2",
		"lab.csv:6: 试管编码: a tube barcode is at most 40 letters, digits or symbols",
		"lab.csv:7: 检测结果: a tube's result is negative, positive or pending (pooled positive follows from how many share the tube)",
		`lab.csv:8: 采样时间: unrecognised time "明天": write it as 2022-04-09 08:30`,
	}
	if got := problems(p, lifeline.En); !slices.Equal(got, want) {
		t.Fatalf("problems:\n%q\nwant\n%q", got, want)
	}
	b := p.Batch()
	if len(b.Tubes) != 2 || b.Tubes[0] != (lifeline.TubeResult{Code: "T0001", Result: lifeline.Negative}) || b.Tubes[1].Result != lifeline.Positive || len(b.Updates) != 0 {
		t.Fatalf("batch: %+v", b)
	}
	if c := p.Counts(); c.Tubes != 2 || c.Bad != 5 {
		t.Fatalf("counts %+v", c)
	}
}

// A lab's file with both columns: a row with a document is that person's
// result (its tube recorded), a row with a tube alone is the tube's.
func TestResultsByPersonAndTube(t *testing.T) {
	doc := id(t, "11010519491231001")
	p := parse(t, map[string]string{"mixed.csv": "证件号码,试管编码,检测结果,采样时间,健康码\r\n" +
		doc + ",T9,阴性,2022-04-10 08:00,\r\n" +
		",T10,阳性,2022-04-10 08:00,\r\n" +
		",T11,阴性,,红码\r\n"})
	want := []string{"mixed.csv:4: 健康码: a result by tube carries no code colour: give colours by document number"}
	if got := problems(p, lifeline.En); !slices.Equal(got, want) {
		t.Fatalf("problems %q", got)
	}
	b := p.Batch()
	if len(b.Updates) != 1 || b.Updates[0].Test.Tube != "T9" || b.Updates[0].Doc.Number != doc || len(b.Tubes) != 1 || b.Tubes[0].Code != "T10" {
		t.Fatalf("batch %+v", b)
	}
}

func TestCheckTubes(t *testing.T) {
	p := parse(t, map[string]string{"lab.csv": "tube,result\nT1,negative\nT2,negative\nT1-B,positive\n"})
	var asked []string
	err := p.CheckTubes(context.Background(), func(_ context.Context, codes []string) (map[string]bool, error) {
		asked = codes
		return map[string]bool{"T1": true, "T1-B": true}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(asked, []string{"T1", "T2", "T1-B"}) {
		t.Fatalf("asked about %v", asked)
	}
	if got := problems(p, lifeline.En); !slices.Equal(got, []string{"lab.csv:3: tube: unknown tube: no tube of this barcode was registered here"}) {
		t.Fatalf("problems %q", got)
	}
}
