package store

import (
	"context"
	"database/sql"
)

// queryer is what *sql.DB and *sql.Tx have in common.
type queryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// scanner is one row to read: *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// eachRow runs query (written with ? placeholders) on q and calls fn with
// each row as scan reads it, streaming. On a pool the statement is
// prepared once and kept (see prepared): the store's reads are small, and
// parsing one costs about as much as running it. An error of fn is
// returned as it is; the database's are unavailable.
func eachRow[T any](ctx context.Context, db *DB, q queryer, scan func(scanner) (T, error), fn func(T) error, query string, args ...any) error {
	var rows *sql.Rows
	var err error
	if pool, ok := q.(*sql.DB); ok {
		st, e := db.prepared(ctx, pool, db.SQL(query))
		if e != nil {
			return e
		}
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = q.QueryContext(ctx, db.SQL(query), args...)
	}
	if err != nil {
		return db.unavailable(err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return db.unavailable(err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return db.unavailable(err)
	}
	return nil
}

// queryRows is eachRow collecting the rows.
func queryRows[T any](ctx context.Context, db *DB, q queryer, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	var out []T
	err := eachRow(ctx, db, q, scan, func(v T) error {
		out = append(out, v)
		return nil
	}, query, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}
