package store

import (
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store/internal/synth"
)

// TestSearchUsesIndexes checks with EXPLAIN QUERY PLAN that every query the
// search box runs is answered from an index: a full scan of a million
// residents is the trap this guards against.
func TestSearchUsesIndexes(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	if _, err := db.Import(ctx, &lifeline.ImportBatch{Residents: synth.Residents(0, 500)}); err != nil {
		t.Fatal(err)
	}
	queries := map[string]lifeline.QueryKind{
		synth.ID(7):        lifeline.QueryDocument,
		"E12345678":        lifeline.QueryDocument,
		synth.ID(7)[12:]:   lifeline.QueryDocTail,
		synth.ID(7)[13:]:   lifeline.QueryDocTail,
		"1234":             lifeline.QueryPhoneTail,
		synth.Phone(7)[3:]: lifeline.QueryPhone,
		"+86 10 1234 5678": lifeline.QueryPhone,
		"1-2-301":          lifeline.QueryAddress,
		"1-2":              lifeline.QueryAddress,
		"12":               lifeline.QueryAddress,
		"3栋2单元501":         lifeline.QueryAddress,
		"王":                lifeline.QueryName,
		"王伟":               lifeline.QueryName,
		"欧阳娜娜":             lifeline.QueryName,
		"smith":            lifeline.QueryName,
		"Smith":            lifeline.QueryName, // adds a prefix step for the folded query
		"王 伟":              lifeline.QueryName,
	}
	filters := []lifeline.ResidentFilter{{}, {Community: "社区1"}, {Community: "社区1", Building: "2"}}
	for q, kind := range queries {
		for _, f := range filters {
			steps, err := db.searchSteps(t.Context(), q, f, 20)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, s := range steps {
				found = found || s.kind == kind
				assertIndexed(t, db, q+" ("+string(s.kind)+")", s.sql, s.args)
			}
			if !found {
				t.Errorf("%q was not searched as %s", q, kind)
			}
		}
	}
	// The check itself catches the usual trap.
	if _, scans := planScans(t, db, `SELECT id FROM residents WHERE name LIKE ?`, []any{"%王%"}); len(scans) == 0 {
		t.Error("a LIKE '%...%' search was not reported as a scan")
	}
	assertIndexed(t, db, "gram count", `SELECT count(*) FROM (SELECT 1 FROM name_grams WHERE gram = ? LIMIT ?) s`, []any{"王伟", 256})
	assertIndexed(t, db, "load", `SELECT `+db.residentCols()+residentJoins+` WHERE r.id IN (?, ?)`, []any{1, 2})
	assertIndexed(t, db, "cared for", `SELECT rel.resident_id FROM phones p JOIN relatives rel ON rel.relative_resident_id = p.resident_id WHERE p.tail4 = ? AND p.phone = ? AND rel.state IN ('auto_approved', 'approved')`, []any{"0000", "+8613800000000"})
}

// TestEachResidentStreams checks that batch printing reads residents in
// index order: a whole-roster sort would hold a million rows in memory.
func TestEachResidentStreams(t *testing.T) {
	db := openTemp(t)
	if _, err := db.Import(t.Context(), &lifeline.ImportBatch{Residents: synth.Residents(0, 300)}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []lifeline.ResidentFilter{{}, {Community: "社区1"}, {Community: "社区1", Building: "2"}, {Phone: "13800000000"}} {
		qs, err := db.eachQueries(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			plan, scans := planScans(t, db, q.sql, q.args)
			for _, d := range plan {
				// A phone's few residents may be sorted; nothing else.
				if d == "USE TEMP B-TREE FOR ORDER BY" && f.Phone == "" {
					t.Errorf("filter %+v sorts every row:\n  %s", f, strings.Join(plan, "\n  "))
				}
			}
			// With no filter every resident is read: a scan in index
			// order is the point. With a filter, no scan.
			if f != (lifeline.ResidentFilter{}) && f.Phone == "" && len(scans) > 0 {
				t.Errorf("filter %+v scans: %v", f, scans)
			}
		}
	}
}

func assertIndexed(t *testing.T, db *DB, name, q string, args []any) {
	t.Helper()
	plan, scans := planScans(t, db, q, args)
	for _, d := range scans {
		t.Errorf("%s: full scan %q in plan:\n  %s\nquery: %s", name, d, strings.Join(plan, "\n  "), q)
	}
}

// planScans returns a query's plan and the steps of it that read a whole
// table or index.
func planScans(t *testing.T, db *DB, q string, args []any) (plan, scans []string) {
	t.Helper()
	rows, err := db.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	coroutines := map[string]bool{}
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
		if name, ok := strings.CutPrefix(detail, "CO-ROUTINE "); ok {
			coroutines[name] = true
		}
		// "SCAN r" is a full table scan, "SCAN r USING COVERING INDEX" a
		// full index scan: both read every row. Scanning the rows a
		// subquery produced (a resident's phones, a bounded sample) or
		// the values passed in a JSON array (json_each) is fine.
		name, ok := strings.CutPrefix(detail, "SCAN ")
		if ok && !coroutines[name] && !strings.HasPrefix(name, "(subquery") && !strings.HasPrefix(name, "json_each VIRTUAL TABLE") {
			scans = append(scans, detail)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan, scans
}

func TestMaskQuery(t *testing.T) {
	for q, want := range map[string]string{
		"11010519491231002X":   "**************002X",
		"110105 19491231 002X": "****** ******** 002X",
		"+86 138 1234 5678":    "+** *** **** 5678",
		"E12345678":            "*****5678",
		"5678":                 "5678",
		"12-3-501":             "**-3-501",
		"张三丰":                  "张三丰",
		"John Smith":           "John Smith",
	} {
		if got := MaskQuery(q); got != want {
			t.Errorf("MaskQuery(%q) = %q, want %q", q, got, want)
		}
	}
}

// TestBigImportRestoresCache: a big import raises the writer's page cache
// for its transaction and puts it back afterwards, whether it succeeded or
// failed.
func TestBigImportRestoresCache(t *testing.T) {
	defer func(n int) { bigImport = n }(bigImport)
	bigImport = 10
	db := openTemp(t)
	cache := func() int64 {
		var n int64
		if err := db.w.QueryRow(`PRAGMA cache_size`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := cache()
	st, err := db.Import(t.Context(), &lifeline.ImportBatch{Residents: synth.Residents(0, 50)})
	if err != nil || st.Inserted != 50 {
		t.Fatalf("import: %+v %v", st, err)
	}
	if got := cache(); got != before {
		t.Fatalf("cache_size %d after the import, want %d", got, before)
	}
	bad := &lifeline.ImportBatch{Residents: synth.Residents(100, 50)}
	bad.Updates = []lifeline.StatusUpdate{{Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: synth.ID(999)}, Color: lifeline.Red}}
	if _, err := db.Import(t.Context(), bad); lifeline.ErrorCode(err) != lifeline.ENOTFOUND {
		t.Fatalf("bad import: %v", err)
	}
	if got := cache(); got != before {
		t.Fatalf("cache_size %d after a failed import, want %d", got, before)
	}
	if n, _ := db.CountResidents(t.Context()); n != 50 {
		t.Fatalf("%d residents, want 50", n)
	}
}
