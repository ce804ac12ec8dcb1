package store

import (
	"context"
	"strings"
	"testing"

	lifeline "github.com/lifeline-health/lifeline"
)

func TestKnownDocuments(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	id := func(first17 string) string {
		c, _ := lifeline.MainlandIDCheckDigit(first17)
		return first17 + string(c)
	}
	a := lifeline.Document{Type: lifeline.DocMainlandID, Number: id("11010519491231001")}
	old := lifeline.Document{Type: lifeline.DocPassport, Number: "E11111111", Nationality: "USA"}
	b := &lifeline.ImportBatch{Residents: []lifeline.Resident{{Name: "张三", Doc: a}, {Name: "John Smith", Doc: old}}}
	if _, err := db.Import(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := db.ChangeDocument(ctx, b.Residents[1].ID, lifeline.Document{Type: lifeline.DocPassport, Number: "E22222222", Nationality: "USA"}); err != nil {
		t.Fatal(err)
	}
	var docs []lifeline.Document
	for i := 0; i < 1000; i++ { // more than one chunk
		docs = append(docs, lifeline.Document{Type: lifeline.DocPassport, Number: "X" + string(rune('A'+i%26)) + "0000" + string(rune('0'+i%10))})
	}
	same := lifeline.Document{Type: lifeline.DocHKMO, Number: a.Number} // same number, other type
	docs = append(docs, a, old, same, lifeline.Document{Type: lifeline.DocPassport, Number: "E22222222"})
	known, err := db.KnownDocuments(ctx, docs)
	if err != nil {
		t.Fatal(err)
	}
	if !known[a.Key()] || !known[old.Key()] || !known["passport:E22222222"] || known[same.Key()] || len(known) != 3 {
		t.Fatalf("known = %v", known)
	}
}

// TestKnownDocumentsUsesIndex: a lookup that scans the residents table is
// fine on a test roster and minutes on a city's.
func TestKnownDocumentsUsesIndex(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	rows, err := db.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+knownQueries("?, ?")[0], "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	plan := ""
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan += detail + "\n"
	}
	if !strings.Contains(plan, "USING COVERING INDEX residents_doc") {
		t.Fatalf("plan:\n%s", plan)
	}
}
