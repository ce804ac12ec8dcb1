package paper

import (
	"bytes"
	"slices"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/xuri/excelize/v2"
)

// TestMissingXLSX: the office's workbook has the title, the header and a
// line a person, door to door, every cell text: a name that looks like a
// formula stays a name.
func TestMissingXLSX(t *testing.T) {
	at := time.Date(2022, 4, 10, 9, 30, 0, 0, lifeline.ChinaTime)
	person := func(name, room string) lifeline.MissingEntry {
		return lifeline.MissingEntry{Resident: &lifeline.Resident{Name: name, Phones: []string{"+8613812345678"},
			Address: lifeline.Address{Building: "12", Unit: "1", Room: room}}}
	}
	s := &lifeline.MissingSheet{Round: lifeline.Round{ID: 2, Community: "幸福里", DueAt: at}, At: at, Lang: lifeline.Zh, Reveal: true,
		Entries: []lifeline.MissingEntry{person("=HYPERLINK(\"http://x\")", "201"), person("李秀英", "1201")}}
	s.Entries[1].Visits = []lifeline.Visit{{Mark: lifeline.VisitRefused, At: at}}
	var buf bytes.Buffer
	if err := writeMissingXLSX(&buf, s); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("未采样名单")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0][0] != s.Title() || !slices.Equal(rows[1], s.Header()[:len(rows[1])]) {
		t.Fatalf("rows %q", rows)
	}
	if rows[2][4] != `=HYPERLINK("http://x")` || rows[3][4] != "李秀英" || rows[3][2] != "12" || rows[3][9] != "04-10 09:30 拒绝采样" {
		t.Fatalf("lines %q", rows[2:])
	}
	if formula, err := f.GetCellFormula("未采样名单", "E3"); err != nil || formula != "" {
		t.Fatalf("a name became a formula: %q, %v", formula, err)
	}
}
