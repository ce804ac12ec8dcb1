package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/internal/benchenv"
	"github.com/lifeline-health/lifeline/store"
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

// BenchmarkImportTubes imports a lab's results file of tube rows
// (LIFELINE_BENCH_TUBES, default 100,000, of LIFELINE_BENCH_POOL people
// each, default 10) with the import command, into a store where those
// tubes were filled, and reports tube rows and people's results a second;
// run it beside BenchmarkImportCommand, the roster's rate. Each import
// starts from a copy of the filled store, made before the clock starts.
func BenchmarkImportTubes(b *testing.B) {
	tubes := benchenv.Int(b, "LIFELINE_BENCH_TUBES", 100000, 1)
	pool := benchenv.Int(b, "LIFELINE_BENCH_POOL", 10, 1)
	dir := b.TempDir()
	filled := filledStore(b, tubes, pool)
	var lab bytes.Buffer
	lab.WriteString("试管编码,检测结果,采样时间\r\n")
	for i := 1; i <= tubes; i++ {
		fmt.Fprintf(&lab, "T%07d,阴性,2022-04-10 08:00\r\n", i)
	}
	f := writeFile(b, dir, "lab.csv", lab.Bytes())
	var elapsed time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := filepath.Join(dir, "bench"+strconv.Itoa(i)+".db")
		copyFile(b, filled, db)
		b.StartTimer()
		start := time.Now()
		code, out, errOut := cli(b, context.Background(), db, "import", f)
		elapsed += time.Since(start)
		if code != 0 || !strings.Contains(out, fmt.Sprintf("试管结果 %d 管", tubes)) {
			b.Fatalf("import: %d %q %q", code, out, errOut)
		}
	}
	b.ReportMetric(float64(tubes*b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(tubes*pool*b.N)/elapsed.Seconds(), "results/s")
}

// filledStore returns a store, built once into os.TempDir and reused, of
// tubes*pool residents in one round, each tube of it closed with pool of
// them. The residents come in through the import; the round's people,
// tubes and swabs are written with SQL, as filling a million swabs one
// at a time at a desk would take the benchmark hours.
func filledStore(b *testing.B, tubes, pool int) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("lifeline-bench-tubes-v2-%d-%d.db", tubes, pool))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	b.Logf("building %s (once; later runs reuse it)", path)
	tmp := path + ".building"
	os.Remove(tmp)
	if code, _, errOut := cli(b, context.Background(), tmp, "import", seedCSV(b, b.TempDir(), tubes*pool)); code != 0 {
		b.Fatal(errOut)
	}
	raw, err := sql.Open("sqlite", "file:"+tmp)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{
		`INSERT INTO rounds (id, community, pool, starts_at, due_at, created_at, residents) SELECT 1, 'bench', ` + strconv.Itoa(pool) + `, 0, 9999999999999, 0, count(*) FROM residents`,
		`INSERT INTO round_members (round_id, resident_id, building, door, state, tube_id, sampled_at) SELECT 1, id, '1', '', 'sampled', (id - 1) / ` + strconv.Itoa(pool) + ` + 1, 1649548800000 + id FROM residents`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ` + strconv.Itoa(tubes) + `)
			INSERT INTO tubes (id, round_id, code, size, members, idempotency_key, opened_at, closed_at, delivered_at) SELECT i, 1, printf('T%07d', i), ` + strconv.Itoa(pool) + `, ` + strconv.Itoa(pool) + `, 'tube-' || i, 1, 2, 3 FROM n`,
		`INSERT INTO registrations (resident_id, tube, site, sampled_at, staff, idempotency_key, created_at, delivered_at, tube_id, round_id)
			SELECT id, printf('T%07d', (id - 1) / ` + strconv.Itoa(pool) + ` + 1), '1号点', 1649548800000 + id, 'bench', 'swab-' || id, 1, 3, (id - 1) / ` + strconv.Itoa(pool) + ` + 1, 1 FROM residents`,
	} {
		if _, err := raw.Exec(q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(store.LogPath(tmp) + suffix) // the import's audit line stays behind
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

func copyFile(b *testing.B, from, to string) {
	b.Helper()
	src, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		b.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		b.Fatal(err)
	}
}
