package store

import (
	"context"
	"database/sql"
)

// QueryRowForTest runs a read query written with ? placeholders. It exists
// for test suites (storetest), which check rows no method returns, such as
// table counts; application code uses the service methods.
func (db *DB) QueryRowForTest(q string, args ...any) *sql.Row {
	return db.r.QueryRowContext(context.Background(), db.SQL(q), args...)
}
