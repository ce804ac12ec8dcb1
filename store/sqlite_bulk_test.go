package store

import (
	"context"
	"database/sql"
	"testing"
)

// On SQLite residents and households are inserted without their ids, for
// SQLite to assign the largest so far plus one (see bulkInsert.rowid). A
// row that would get another id than the one its phones and grams carry
// must fail the import, never be stored under the wrong id.
func TestBulkInsertRowidChecksTheIDs(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	insert := func(ids ...int64) error {
		return db.tx(ctx, func(tx *sql.Tx) error {
			b := db.newBulkInsert(ctx, tx, nil, `INSERT OR IGNORE INTO households (community, building, unit, room)`, 5, ``, 4)
			b.exact, b.rowid = true, true
			defer b.close()
			for _, id := range ids {
				if err := b.add(id, "c", "b", "u", "r"+string(rune('a'+id))); err != nil {
					return err
				}
			}
			return b.flush()
		})
	}
	if err := insert(1, 2, 3); err != nil {
		t.Fatalf("ids following on from an empty table: %v", err)
	}
	if err := insert(4, 5, 6, 7, 8); err != nil { // a full chunk of 4, then 1
		t.Fatalf("ids following on across chunks: %v", err)
	}
	for _, bad := range [][]int64{{10, 11}, {9, 11}, {10, 9}} {
		err := insert(bad...)
		if err == nil {
			t.Fatalf("ids %v were stored: SQLite gave them other ids", bad)
		}
	}
	var n, max int64
	if err := db.w.QueryRow(`SELECT count(*), max(id) FROM households`).Scan(&n, &max); err != nil {
		t.Fatal(err)
	}
	if n != 8 || max != 8 {
		t.Fatalf("%d households up to id %d after the refused inserts, want 8 up to 8", n, max)
	}
}
