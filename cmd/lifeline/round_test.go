package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/xuri/excelize/v2"
)

// TestRoundCommands: a round opened from the shell, a tube filled at the
// desk, the lab's file by tube imported, and the missing list listed,
// exported and marked.
func TestRoundCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	if code, _, errOut := cli(t, ctx, db, "import", writeFile(t, dir, "roster.csv", []byte(rosterText(t)))); code != 0 {
		t.Fatal(errOut)
	}
	code, out, errOut := cli(t, ctx, db, "--lang", "en", "round", "new", "--community", "幸福里社区", "--by", "2099-01-01 18:00", "--pool", "20")
	if code != 0 || out != "round 1, 幸福里社区, 20 to a tube, due 2099-01-01 18:00: 4 people: done 0, pooled positive 0, missing 4\n" {
		t.Fatalf("round new: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := cli(t, ctx, db, "round", "new", "--community", "幸福里社区", "--by", "18:00", "--pool", "7"); code != 1 || !strings.Contains(errOut, "10、20 或 1") {
		t.Fatalf("pool 7: %d %q", code, errOut)
	}

	// A tube at the desk with two of them, then the lab's file.
	st := openStore(t, db)
	tube := &lifeline.Tube{RoundID: 1, Code: "T-DESK"}
	if err := st.OpenTube(ctx, tube); err != nil {
		t.Fatal(err)
	}
	for _, first17 := range []string{"11010519491231001", "11010519520304002"} {
		r, err := st.ResidentByDocument(ctx, lifeline.Document{Number: testID(t, first17)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddToTube(ctx, tube.ID, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	lab := writeFile(t, dir, "lab.csv", []byte("试管编码,检测结果\r\nT-DESK,阳性\r\n"))
	code, out, errOut = cli(t, ctx, db, "import", lab)
	if code != 0 || !strings.Contains(out, "试管结果 1 管；混管阳性 2 人须单管复检") {
		t.Fatalf("import by tube: %d %q %q", code, out, errOut)
	}
	code, out, _ = cli(t, ctx, db, "--lang", "en", "round", "missing", "--round", "1")
	if code != 0 || !strings.Contains(out, "round 1, 幸福里社区, 20 to a tube, due 2099-01-01 18:00: 4 people: done 0, pooled positive 2, missing 2\n  12  4 people:") {
		t.Fatalf("round list: %q", out)
	}

	st = openStore(t, db)
	zhang, err := st.ResidentByDocument(ctx, lifeline.Document{Number: testID(t, "11010519491231001")})
	if err == nil {
		err = st.MarkVisit(ctx, &lifeline.Visit{RoundID: 1, ResidentID: zhang.ID, Mark: lifeline.VisitAway, Note: "住院"})
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if code, out, _ := cli(t, ctx, db, "round", "missing"); code != 0 || !strings.HasPrefix(out, "第 1 轮 幸福里社区 20合1，截止 2099-01-01 18:00：应采 4，已采 0，混管阳性 2，未采 2\n") {
		t.Fatalf("round missing, every round: %d %q", code, out)
	}
	if code, _, _ := cli(t, ctx, db, "round", "missing", "--out", filepath.Join(dir, "m.xlsx")); code != 2 {
		t.Fatalf("round missing --out without --round: exit %d, want 2", code)
	}
	for _, name := range []string{"m.xlsx", "m.pdf"} {
		path := filepath.Join(dir, name)
		if code, out, errOut := cli(t, ctx, db, "round", "missing", "--round", "1", "--building", "12", "--out", path); code != 0 || !strings.Contains(out, "4 人未采样") {
			t.Fatalf("round missing --out %s: %d %q %q", name, code, out, errOut)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v, want a 0600 file", name, fi, err)
		}
	}
	if code, _, _ := cli(t, ctx, db, "round", "missing", "--round", "1", "--out", filepath.Join(dir, "m.doc")); code != 2 {
		t.Fatalf("a .doc list: exit %d, want 2", code)
	}
	x, err := excelize.OpenFile(filepath.Join(dir, "m.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows(x.GetSheetName(0))
	if err != nil || len(rows) != 6 || rows[2][8] != "混管阳性，需单管复检" || !strings.Contains(strings.Join(rows[2], " ")+strings.Join(rows[3], " "), "外出不在（住院）") {
		t.Fatalf("the workbook: %q, %v", rows, err)
	}
}
