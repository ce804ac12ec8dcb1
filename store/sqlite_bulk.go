package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
)

// What a big import does on SQLite to write fast, behind bulkWriting:
// a connection of its own, with a bigger page cache for a big import;
// the multi-row INSERTs run as driver statements; ids SQLite assigns; and
// the indexes nothing in the import reads built once at its end.

// sqliteBulk is the bulkWriting of a SQLite store.
type sqliteBulk struct{ db *DB }

// bigImport is the batch size from which an import raises the writer's
// page cache (a variable so a test can lower it).
var bigImport = 50000

// bigImportCache is that page cache, in KiB (SQLite's negative
// cache_size): a big import touches index pages all over the file.
const bigImportCache = 512 << 10

// begin takes the writer's connection for the import: the transaction
// runs on it, and the roster writer's multi-row INSERTs reach its driver
// directly (see driverStatements). A big import gets a bigger page cache
// (here, or from widen), put back when it ends.
func (b sqliteBulk) begin(ctx context.Context, expected int) (*sql.Conn, func(), error) {
	db := b.db
	c, err := db.w.Conn(ctx)
	if err != nil {
		return nil, nil, db.unavailable(err)
	}
	end := func() {
		c.ExecContext(context.Background(), fmt.Sprintf(`PRAGMA cache_size = -%d`, cacheKiB))
		c.Close()
	}
	if expected < bigImport {
		return c, end, nil
	}
	if _, err := c.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, bigImportCache)); err != nil {
		end()
		return nil, nil, db.unavailable(err)
	}
	return c, end, nil
}

// widen gives a transaction that will write rows more rows the big page
// cache, as begin gives a big import.
func (sqliteBulk) widen(ctx context.Context, tx *sql.Tx, rows int) error {
	if rows < bigImport {
		return nil
	}
	_, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, bigImportCache))
	return err
}

// start drops the indexes an import bringing more residents than the store
// holds (stored) builds again at its end (bulkIndexes), and returns the
// statements that build them.
func (sqliteBulk) start(ctx context.Context, tx *sql.Tx, expected, stored int) ([]string, error) {
	if expected <= stored {
		return nil, nil
	}
	names := bulkIndexes
	if stored == 0 {
		// Nothing is looked up by document in an empty store (see
		// rosterWriter.emptyAtStart): its document index too is built
		// at the end.
		names = append(slices.Clone(names), "residents_doc")
	}
	return dropIndexes(ctx, tx, names)
}

// bulkIndexes are the indexes an import into a SQLite store drops and
// builds again at its end when it brings more residents than the store
// holds (the first import of a city's roster, above all). Building an
// index sorts its rows once and writes its pages in order; inserting a row
// at a time goes down the tree for each and splits pages all over it. In
// one transaction with the rows, so a failed or cancelled import leaves
// the indexes as they were; readers meanwhile keep the indexes of their
// snapshot. Only indexes that nothing in an import reads are dropped:
// residents_doc finds stored residents (so it is dropped too only when
// there are none, and the import finds the residents it wrote itself by
// their ids), residents_household is the key
// the households foreign key is checked through (without it every new
// household scans residents), and the households' UNIQUE index finds
// addresses. On PostgreSQL DROP INDEX would lock searches out for the
// whole import, so its indexes stay.
var bulkIndexes = []string{"residents_name", "phones_tail", "households_building"}

// dropIndexes drops the named indexes in tx and returns the statements
// that create them again, read from the schema so they stay those of the
// migrations.
func dropIndexes(ctx context.Context, tx *sql.Tx, names []string) ([]string, error) {
	creates := make([]string, 0, len(names))
	for _, n := range names {
		var q string
		if err := tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`, n).Scan(&q); err != nil {
			return nil, fmt.Errorf("index %s: %w", n, err)
		}
		if _, err := tx.ExecContext(ctx, `DROP INDEX `+n); err != nil {
			return nil, err
		}
		creates = append(creates, q)
	}
	return creates, nil
}

// assignsIDs: residents and households are inserted without their ids,
// for SQLite to give each row the largest id so far plus one, which is
// the id maxIDs handed out. A multi-row INSERT that gives an INTEGER
// PRIMARY KEY gets a statement journal (the value might not be an
// integer, and the statement would then be undone alone): every page it
// touches is copied first. On a big store, where every chunk touches
// pages all over three indexes, that copying cost more than the B-trees.
func (sqliteBulk) assignsIDs() bool { return true }

// ids hands out the ids after max(id): SQLite has one writer, so they are
// free for the whole transaction.
func (b sqliteBulk) ids(ctx context.Context, tx *sql.Tx, table string) idSource {
	return &maxIDs{db: b.db, tx: tx, ctx: ctx, table: table}
}

// statements sends the multi-row INSERTs to the driver directly when the
// transaction's connection is known, through database/sql otherwise.
func (b sqliteBulk) statements(tx *sql.Tx, conn *sql.Conn, query func(rows int) string) insertStatements {
	if conn == nil {
		return &txStatements{db: b.db, tx: tx, query: query, stmts: map[int]*sql.Stmt{}}
	}
	return &driverStatements{conn: conn, query: query}
}

// maxIDs is SQLite's idSource.
type maxIDs struct {
	db    *DB
	tx    *sql.Tx
	ctx   context.Context
	table string
	last  int64 // the last id handed out; 0 until loaded
}

func (s *maxIDs) next() (int64, error) {
	if s.last == 0 {
		if err := s.tx.QueryRowContext(s.ctx, `SELECT coalesce(max(id), 0) FROM `+s.table).Scan(&s.last); err != nil {
			return 0, s.db.unavailable(err)
		}
	}
	s.last++
	return s.last, nil
}

// driverStatements prepares and runs statements on the driver's connection
// directly, the parameters passed in one slice kept from one statement to
// the next: through database/sql every run makes a slice of its own for a
// statement's twelve thousand parameters, and converts each of them.
type driverStatements struct {
	conn  *sql.Conn
	query func(rows int) string
	stmts map[int]driver.Stmt // by row count
	nv    []driver.NamedValue
}

func (d *driverStatements) exec(ctx context.Context, rows int, args []any) (driver.Result, error) {
	var res driver.Result
	err := d.conn.Raw(func(dc any) error {
		ds, ok := d.stmts[rows]
		if !ok {
			var err error
			if ds, err = dc.(driver.ConnPrepareContext).PrepareContext(ctx, d.query(rows)); err != nil {
				return err
			}
			if d.stmts == nil {
				d.stmts = map[int]driver.Stmt{}
			}
			d.stmts[rows] = ds
		}
		for i := len(d.nv); i < len(args); i++ {
			d.nv = append(d.nv, driver.NamedValue{Ordinal: i + 1})
		}
		nv := d.nv[:len(args)]
		for i, a := range args {
			nv[i].Value = a
		}
		var err error
		res, err = ds.(driver.StmtExecContext).ExecContext(ctx, nv)
		return err
	})
	return res, err
}

func (d *driverStatements) close() {
	if len(d.stmts) > 0 {
		d.conn.Raw(func(any) error {
			for _, s := range d.stmts {
				s.Close()
			}
			return nil
		})
	}
	clear(d.nv) // let go of the last statement's values
}
