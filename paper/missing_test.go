package paper

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// missingSheet is a list of twelve people in building 2 (two pages) and
// one in building 12, the first of building 2 to be retested alone.
func missingSheet() *lifeline.MissingSheet {
	s := &lifeline.MissingSheet{Round: lifeline.Round{ID: 7, Community: "幸福里", DueAt: t0.Add(8 * time.Hour)}, At: t0, Lang: lifeline.Zh}
	add := func(name, building, room string) {
		s.Entries = append(s.Entries, lifeline.MissingEntry{Resident: &lifeline.Resident{Name: name, Phones: []string{"+8613812345678"},
			Birth: time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), Sex: lifeline.Female,
			Address: lifeline.Address{Community: "幸福里", Building: building, Unit: "1", Room: room}}})
	}
	for i := range 12 {
		add(testNames[i], "2", fmt.Sprintf("%d01", i+1))
	}
	add("王\x1b[31m红", "12", "101")
	s.Entries[0].Retest = true
	s.Entries[1].Visits = []lifeline.Visit{{Mark: lifeline.VisitNotHome, At: t0}}
	return s
}

// TestMissingPDF: a building starts on a page of its own, people in the
// list's order, each with the boxes to tick; a revealed name's escape
// prints as text; the page renders.
func TestMissingPDF(t *testing.T) {
	var buf bytes.Buffer
	s := missingSheet()
	s.Reveal = true
	if err := WriteMissingPDF(&buf, s, testFont(t)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "missing.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed: scripts/setup.sh installs poppler-utils")
	}
	var pages []string
	for p := 1; p <= 4; p++ {
		out, err := exec.Command("pdftotext", "-f", fmt.Sprint(p), "-l", fmt.Sprint(p), "-layout", path, "-").Output()
		if err != nil {
			break
		}
		pages = append(pages, string(out))
	}
	if len(pages) != 3 {
		t.Fatalf("%d pages, want 3 (building 2 on two, building 12 on its own)", len(pages))
	}
	for i, want := range [][]string{
		{"2 栋 · 12 人", "1/3页", "1-101", "张三丰", "混管阳性，需单管复检", "上门未遇", "未遇", "已采", "拒绝", "外出", "备注"},
		{"2 栋 · 12 人", "2/3页", "1-1101", "1-1201"},
		{"12 栋 · 1 人", `王\x1b[31m红`},
	} {
		for _, w := range want {
			if !strings.Contains(pages[i], w) {
				t.Errorf("page %d lacks %q:\n%s", i+1, w, pages[i])
			}
		}
	}
	if strings.Index(pages[0], "张三丰") > strings.Index(pages[0], "李娜") {
		t.Error("page 1 is not in the list's order")
	}
	img := render(t, path, 1, 50)
	dark := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
				dark++
			}
		}
	}
	if dark < 500 {
		t.Fatalf("page 1 renders almost blank (%d dark samples)", dark)
	}
}
