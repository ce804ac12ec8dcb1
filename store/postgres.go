package store

import (
	"context"
	"database/sql"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	lifeline "github.com/lifeline-health/lifeline"
)

// What only a PostgreSQL store has: one pool for everything (the logs are
// tables of the one database), and ids taken from the identity sequences.

func (db *DB) openPostgres(ctx context.Context, dsn string) error {
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("数据库地址无效", "invalid database URL"))
	}
	p.SetMaxOpenConns(32)
	p.SetMaxIdleConns(32)
	if err := p.PingContext(ctx); err != nil {
		p.Close()
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法连接 PostgreSQL 数据库", "cannot connect to the PostgreSQL database"))
	}
	db.w, db.r, db.log, db.dialect = p, p, p, postgresDialect
	db.sids, db.bulk = inboundTable{db: db}, postgresBulk{db: db}
	return nil
}

// postgresHasStore reports, as noStore, a database without lifeline's
// tables (OpenExisting): one that has never been migrated.
func (db *DB) postgresHasStore(ctx context.Context) error {
	var name string
	var found bool
	if err := db.w.QueryRowContext(ctx, `SELECT current_database(), to_regclass('schema_migrations') IS NOT NULL`).Scan(&name, &found); err != nil {
		return db.unavailable(err)
	}
	if !found {
		// Named by the database, not the URL, which may hold a password.
		return noStore("PostgreSQL " + name)
	}
	return nil
}

// postgresBulk is the bulkWriting of a PostgreSQL store: an import runs
// on the pool like any transaction, and keeps its indexes (DROP INDEX
// would lock searches out for the whole import).
type postgresBulk struct{ db *DB }

func (postgresBulk) begin(context.Context, int) (*sql.Conn, func(), error) {
	return nil, func() {}, nil
}

func (postgresBulk) start(context.Context, *sql.Tx, int, int) ([]string, error) { return nil, nil }

func (postgresBulk) widen(context.Context, *sql.Tx, int) error { return nil }

func (postgresBulk) assignsIDs() bool { return false }

func (b postgresBulk) ids(ctx context.Context, tx *sql.Tx, table string) idSource {
	return &sequenceIDs{db: b.db, tx: tx, ctx: ctx, table: table}
}

func (b postgresBulk) statements(tx *sql.Tx, _ *sql.Conn, query func(rows int) string) insertStatements {
	return &txStatements{db: b.db, tx: tx, query: query, stmts: map[int]*sql.Stmt{}}
}

// sequenceIDs takes ids from a table's identity sequence a chunk at a
// time (unused ones are gaps, as after any rollback).
type sequenceIDs struct {
	db    *DB
	tx    *sql.Tx
	ctx   context.Context
	table string
	pool  []int64 // taken from the sequence, not yet used
}

func (s *sequenceIDs) next() (int64, error) {
	if len(s.pool) == 0 {
		err := eachRow(s.ctx, s.db, s.tx, func(r scanner) (id int64, err error) { return id, r.Scan(&id) },
			func(id int64) error { s.pool = append(s.pool, id); return nil },
			`SELECT nextval(pg_get_serial_sequence('`+s.table+`', 'id')) FROM generate_series(1, ?)`, chunkRows)
		if err != nil {
			return 0, err
		}
		if len(s.pool) == 0 {
			return 0, s.db.unavailable(fmt.Errorf("no ids for %s", s.table))
		}
	}
	id := s.pool[0]
	s.pool = s.pool[1:]
	return id, nil
}
