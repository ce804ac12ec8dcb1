package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache holds prepared statements per pool and query text. SQLite
// (modernc) parses a query on every call that is not prepared, and on hot
// paths (the SMS gateway answers each message with a few small queries)
// parsing costs more than running. database/sql re-prepares a *sql.Stmt on
// each connection it lands on, so one Stmt serves the whole pool.
//
// It is a package map rather than a DB field so that code outside db.go can
// use it; entries of a closed DB stay until the process ends (a few per
// store).
var stmtCache sync.Map // stmtKey → *sql.Stmt

type stmtKey struct {
	pool  *sql.DB
	query string
}

// prepared returns the prepared statement for query (already rewritten by
// db.SQL) on pool, preparing it on first use.
func (db *DB) prepared(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, error) {
	k := stmtKey{pool, query}
	if s, ok := stmtCache.Load(k); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, db.unavailable(err)
	}
	if old, loaded := stmtCache.LoadOrStore(k, s); loaded {
		s.Close()
		return old.(*sql.Stmt), nil
	}
	return s, nil
}

// preparedAlready returns the statement for query on pool if it has been
// prepared: inside a transaction on a pool of one connection, preparing
// would wait for that connection for ever.
func preparedAlready(pool *sql.DB, query string) (*sql.Stmt, bool) {
	s, ok := stmtCache.Load(stmtKey{pool, query})
	if !ok {
		return nil, false
	}
	return s.(*sql.Stmt), true
}
