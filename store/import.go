package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	lifeline "github.com/lifeline-health/lifeline"
)

// bulkWriting is what an import does to write many rows fast that differs
// by database: sqliteBulk (sqlite_bulk.go) and postgresBulk (postgres.go).
type bulkWriting interface {
	// begin readies the store for an import of expected residents,
	// before its transaction: it returns the connection the transaction
	// is to run on (nil: the writer pool), and what to call once it has
	// ended.
	begin(ctx context.Context, expected int) (*sql.Conn, func(), error)
	// start runs first in the import's transaction, stored being about
	// how many residents the store holds; it returns statements to run
	// once the residents are written (indexes built again).
	start(ctx context.Context, tx *sql.Tx, expected, stored int) ([]string, error)
	// widen readies tx, begun on begin's connection, for writing about
	// rows more rows than begin knew of (the people of a results file by
	// tube); what it changes, begin's end puts back.
	widen(ctx context.Context, tx *sql.Tx, rows int) error
	// assignsIDs reports whether the database assigns a new row the
	// largest id so far plus one itself, so that multi-row INSERTs leave
	// the ids idSource handed out to it (see bulkInsert.rowid).
	assignsIDs() bool
	// ids hands out the ids of table's new rows in tx.
	ids(ctx context.Context, tx *sql.Tx, table string) idSource
	// statements runs a bulk insert's statements in tx; conn, if not nil,
	// is the connection tx runs on.
	statements(tx *sql.Tx, conn *sql.Conn, query func(rows int) string) insertStatements
}

// errDryRun rolls a dry-run import back once it has been counted.
var errDryRun = errors.New("dry run")

// Import writes a batch in one transaction: residents upserted by document
// (a replaced document still finds its holder), households created by
// address, phones replaced, then status updates. Either all of it is stored
// or none of it; importing the same batch again changes nothing. The IDs of
// the batch's residents are filled in. A DryRun batch is imported in full
// and rolled back: the stats are those of the real import.
func (db *DB) Import(ctx context.Context, b *lifeline.ImportBatch) (lifeline.ImportStats, error) {
	// The batch goes through ImportStream a chunk at a time: each chunk is
	// prepared (checked, its rowArgs made) on another goroutine while the
	// one before is written, and only a few chunks' rowArgs are alive at
	// once (made for a whole big batch ahead, they would keep the garbage
	// collector busy for a good part of the import). A bad resident fails
	// the import as before, named by its number, with nothing written.
	ch := make(chan []lifeline.Resident)
	go func() {
		defer close(ch)
		for from := 0; from < len(b.Residents); from += chunkRows {
			ch <- b.Residents[from:min(from+chunkRows, len(b.Residents))]
		}
	}()
	return db.ImportStream(ctx, len(b.Residents), ch, func() (*lifeline.ImportBatch, error) { return b, nil })
}

// ImportStream is Import with the residents arriving in chunks while the
// transaction runs, so that a file is parsed while the rows before are
// written: expected is how many residents at most will come (it decides,
// as the batch's size does for Import, how the import writes); residents
// brings them, in order, until it is closed. Then finish gives the rest
// of the batch (its Updates and DryRun; its Residents are ignored), or an
// error, returned as it is, that rolls everything back; so does a failed
// or cancelled import. The stream is always read to its end, so whoever
// sends on it never blocks, even after a failure.
func (db *DB) ImportStream(ctx context.Context, expected int, residents <-chan []lifeline.Resident, finish func() (*lifeline.ImportBatch, error)) (lifeline.ImportStats, error) {
	// Chunks are prepared (normalised, checked, their rowArgs made) on
	// their way in, by a goroutine of their own, while the transaction
	// writes the ones before.
	type chunk struct {
		rs   []lifeline.Resident
		args []rowArgs
		err  error
	}
	ready := make(chan chunk, 2)
	stop := make(chan struct{})
	go func() {
		defer close(ready)
		done, n := false, 0
		for rs := range residents {
			if done {
				continue // drain: the sender must not block
			}
			args, err := prepareChunk(rs, n)
			n += len(rs)
			select {
			case ready <- chunk{rs, args, err}:
				done = err != nil
			case <-stop:
				done = true
			}
		}
	}()
	defer close(stop)
	next := func() ([]lifeline.Resident, []rowArgs, bool, error) {
		c, ok := <-ready
		return c.rs, c.args, ok, c.err
	}
	return db.importRun(ctx, expected, next, finish)
}

// finishError carries the error of ImportStream's finish out of the
// transaction unchanged.
type finishError struct{ err error }

func (e finishError) Error() string { return e.err.Error() }

// importRun is Import and ImportStream: next gives the residents a chunk
// at a time, prepared, with their rowArgs (ok false at the end), finish
// the updates.
func (db *DB) importRun(ctx context.Context, expected int, next func() (rs []lifeline.Resident, args []rowArgs, ok bool, err error), finish func() (*lifeline.ImportBatch, error)) (lifeline.ImportStats, error) {
	var st lifeline.ImportStats
	conn, end, err := db.bulk.begin(ctx, expected)
	if err != nil {
		return st, err
	}
	defer end()
	var on beginner = db.w
	if conn != nil {
		on = conn
	}
	err = db.txOn(ctx, on, func(tx *sql.Tx) error {
		st = lifeline.ImportStats{}
		stored, err := db.storedResidents(ctx, tx)
		if err != nil {
			return err
		}
		rebuild, err := db.bulk.start(ctx, tx, expected, stored)
		if err != nil {
			return db.unavailable(err)
		}
		w, err := db.newRosterWriter(ctx, tx, conn)
		if err != nil {
			return err
		}
		defer w.close()
		// Nothing was stored: a resident can only be found again if
		// this import wrote it (a repeated row), so only those are looked
		// up.
		w.emptyAtStart = stored == 0
		written := 0
		for {
			rs, args, ok, err := next()
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			if err := w.upsertAll(rs, args, written, &st); err != nil {
				return err
			}
			written += len(rs)
		}
		if err := w.flush(); err != nil {
			return err
		}
		b, err := finish()
		if err != nil {
			return finishError{err}
		}
		// Status updates find residents through the indexes.
		for _, q := range rebuild {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return db.unavailable(err)
			}
		}
		s := &statusWriter{db: db, tx: tx, ctx: w.ctx, now: w.now}
		defer s.close()
		if err := s.applyAll(ctx, b, &st); err != nil {
			return err
		}
		detail := fmt.Sprintf("inserted=%d updated=%d unchanged=%d results=%d colors=%d tubes=%d", st.Inserted, st.Updated, st.Unchanged, st.Results, st.Colors, st.Tubes)
		err = db.auditTx(ctx, tx, w.now, "", "import", 0, detail)
		if err == nil && b.DryRun {
			err = errDryRun
		}
		return err
	})
	if errors.Is(err, errDryRun) {
		return st, nil
	}
	if fe, ok := err.(finishError); ok {
		return lifeline.ImportStats{}, fe.err
	}
	if err != nil {
		if ctx.Err() != nil {
			return lifeline.ImportStats{}, lifeline.Wrapf(lifeline.EUNAVAILABLE, ctx.Err(), lifeline.T("导入已取消，未写入任何数据", "the import was cancelled; nothing was written"))
		}
		return lifeline.ImportStats{}, db.unavailable(err)
	}
	return st, nil
}

// prepareChunk prepares residents (offset: how many of the import came
// before them, for messages) and makes their rowArgs; the error is that of
// the first bad one.
func prepareChunk(rs []lifeline.Resident, offset int) ([]rowArgs, error) {
	args := make([]rowArgs, len(rs))
	for i := range rs {
		if err := prepareResident(&rs[i]); err != nil {
			return nil, fmt.Errorf("resident %d: %w", offset+i+1, err)
		}
		args[i] = argsOf(&rs[i])
	}
	return args, nil
}

// storedResidents is an upper bound of the residents stored: the largest
// id (a count would read a whole index).
func (db *DB) storedResidents(ctx context.Context, tx *sql.Tx) (int, error) {
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM residents`).Scan(&n); err != nil {
		return 0, db.unavailable(err)
	}
	return int(n), nil
}

// statusWriter applies status updates inside one transaction.
type statusWriter struct {
	db    *DB
	tx    *sql.Tx
	ctx   context.Context
	now   int64
	stmts map[string]*sql.Stmt
	// rounds are every round, read on the first sample that may count
	// in one (roundsCovering).
	rounds     []lifeline.Round
	roundsRead bool
}

func (s *statusWriter) stmt(q string) (*sql.Stmt, error) {
	if st, ok := s.stmts[q]; ok {
		return st, nil
	}
	st, err := s.tx.PrepareContext(s.ctx, s.db.SQL(q))
	if err != nil {
		return nil, s.db.unavailable(err)
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	s.stmts[q] = st
	return st, nil
}

func (s *statusWriter) close() {
	for _, st := range s.stmts {
		st.Close()
	}
}

func (s *statusWriter) exec(q string, args ...any) (int64, error) {
	st, err := s.stmt(q)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(s.ctx, args...)
	if err != nil {
		return 0, s.db.unavailable(err)
	}
	return res.RowsAffected()
}

func (s *statusWriter) queryRow(q string, args []any, dest ...any) error {
	st, err := s.stmt(q)
	if err != nil {
		return err
	}
	return st.QueryRowContext(s.ctx, args...).Scan(dest...)
}

type applied struct {
	color, result bool
	residentID    int64 // whose status it is, even when nothing changed
}

// apply stores one update: the test result (new, or a changed result for
// the same sample) and the colour, each only if it changes something.
func (s *statusWriter) apply(u lifeline.StatusUpdate) (applied, error) {
	var res applied
	id := u.ResidentID
	if id == 0 {
		d := u.Doc
		d.Number = lifeline.NormalizeDocNumber(d.Number)
		if d.Type == "" {
			d.Type = lifeline.DocMainlandID
		}
		if d.Number == "" {
			return res, lifeline.Errorf(lifeline.EINVALID, lifeline.T("状态更新缺少居民或证件号码", "a status update needs a resident or a document number"))
		}
		var err error
		if id, err = s.db.residentIDByDoc(s.ctx, s.tx, d); err != nil {
			return res, err
		}
	} else {
		var one int
		err := s.queryRow(`SELECT 1 FROM residents WHERE id = ?`, []any{id}, &one)
		if errors.Is(err, sql.ErrNoRows) {
			return res, errResidentNotFound()
		} else if err != nil {
			return res, s.db.unavailable(err)
		}
	}
	res.residentID = id
	if err := u.CheckTexts(); err != nil {
		return res, err
	}
	if u.Color != "" {
		if _, err := lifeline.ParseColor(string(u.Color)); err != nil {
			return res, err
		}
	}
	if u.ExternalID != "" {
		n, err := s.exec(`INSERT INTO status_updates (external_id, resident_id, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, u.ExternalID, id, s.now)
		if err != nil || n == 0 {
			return res, err
		}
	}
	if u.Test != nil {
		changed, err := s.applyTest(id, *u.Test)
		if err != nil {
			return res, err
		}
		res.result = changed
	}
	if u.Color != "" {
		at := ms(u.At)
		if at == 0 {
			at = s.now
		}
		// An older colour arriving late does not override a newer one.
		n, err := s.exec(`UPDATE residents SET color = ?, color_reason = ?, color_at = ?, status_updated_at = ?
			WHERE id = ? AND (color <> ? OR color_reason <> ?) AND color_at <= ?`,
			string(u.Color), u.ColorReason, at, s.now, id, string(u.Color), u.ColorReason, at)
		if err != nil {
			return res, err
		}
		res.color = n > 0
	}
	return res, nil
}

func (s *statusWriter) applyTest(residentID int64, t lifeline.TestResult) (bool, error) {
	if t.SampledAt.IsZero() {
		return false, lifeline.Errorf(lifeline.EINVALID, lifeline.T("缺少采样时间", "the sample time is missing"))
	}
	if _, err := lifeline.ParseResult(string(t.Result)); err != nil {
		return false, err
	}
	received := ms(t.ReceivedAt)
	if received == 0 {
		received = s.now
	}
	sampled := ms(t.SampledAt)
	var (
		id           int64
		result, tube string
		ext          sql.NullString
	)
	err := sql.ErrNoRows
	if t.ExternalID != "" {
		err = s.queryRow(`SELECT id, result, tube, external_id FROM test_results WHERE external_id = ?`, []any{t.ExternalID}, &id, &result, &tube, &ext)
	}
	if errors.Is(err, sql.ErrNoRows) {
		err = s.queryRow(`SELECT id, result, tube, external_id FROM test_results WHERE resident_id = ? AND sampled_at = ? AND site = ?`,
			[]any{residentID, sampled, t.Site}, &id, &result, &tube, &ext)
	}
	var extArg any
	if t.ExternalID != "" {
		extArg = t.ExternalID
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		err = s.queryRow(`INSERT INTO test_results (resident_id, sampled_at, result, site, tube, external_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{residentID, sampled, string(t.Result), t.Site, t.Tube, extArg, received}, &id)
		if err != nil {
			return false, s.db.unavailable(err)
		}
	case err != nil:
		return false, s.db.unavailable(err)
	default:
		// The same sample again: only a changed result (pending, then
		// negative) or a tube barcode filled in later is news.
		if result == string(t.Result) && (t.Tube == "" || tube == t.Tube) && (t.ExternalID == "" || ext.String == t.ExternalID) {
			return false, nil
		}
		if t.Tube == "" {
			t.Tube = tube
		}
		if extArg == nil && ext.Valid {
			extArg = ext.String
		}
		if _, err := s.exec(`UPDATE test_results SET result = ?, tube = ?, external_id = ?, received_at = ? WHERE id = ?`,
			string(t.Result), t.Tube, extArg, received, id); err != nil {
			return false, err
		}
	}
	// Keep latest_test_id on the newest sample.
	_, err = s.exec(`UPDATE residents SET latest_test_id = ?, status_updated_at = ?
		WHERE id = ? AND (latest_test_id IS NULL OR latest_test_id = ?
			OR (SELECT sampled_at FROM test_results WHERE test_results.id = residents.latest_test_id) <= ?)`,
		id, s.now, residentID, id, sampled)
	if err != nil {
		return false, err
	}
	return true, s.countInRounds(residentID, t)
}
