package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"

	lifeline "github.com/lifeline-health/lifeline"
)

// How a SQLite store keeps MessageSids in its log file (PostgreSQL keeps
// its one inbound_messages table, shared by replicas: inboundTable).
//
// Twilio's sids are random. Kept in a table with an index on sid, every
// sid landed on an index leaf of its own, and a group commit of 64 sids
// wrote some 64 pages to the WAL (which the checkpoint then copied again),
// whatever the index's size: most of what a message cost the gateway, and
// more as the log grew (BenchmarkBeginInbound). So the log is kept in
// generations of inboundGenRows sids:
//
//   - inbound_log holds every message, in arrival order (an AUTOINCREMENT
//     rowid: ids are never reused, so each generation is a range of ids).
//     A commit appends to its last page or two. The sids of the current
//     generation, and their ids, are kept in memory, loaded from
//     inbound_log when the store is first used for messages.
//   - A full generation is sealed a chunk at a time: each commit also
//     writes the next sealChunk of its sids, in sid order, into
//     inbound_sids, keyed (gen, sid). Being sorted and behind every older
//     generation's keys, they are appended at the index's right edge, a
//     few pages a chunk, and no commit waits for a whole generation to be
//     indexed. The last chunk marks the generation sealed (inbound_gens);
//     until then its sids stay in memory.
//   - A sealed generation has a Bloom filter in memory (12-24 bits a sid),
//     built as it is sealed or, on loading, from inbound_sids. A new sid is
//     looked up in inbound_sids only for the generations whose filter may
//     hold it (0.3% of them at most).
//   - inbound_messages, where earlier versions kept every sid, is read the
//     same way, through a filter built when loading, and pruned as before;
//     nothing new is written to it.
//   - Pruning deletes a generation whose messages are all old in ranges of
//     ids, and old rows one by one from the others. Their inbound_sids
//     entries may outlive them: a lookup reads the row itself.
//
// A crash at any point leaves what was committed: inbound_log and
// inbound_sids change only in transactions, and loading finds the current
// generation (the newest in inbound_gens), the ones being sealed (the
// others not marked sealed: their sids are read back from their id range
// and their sealing goes on where it stopped), and the sealed ones.
//
// One gateway process writes a store's log (replicas belong on
// PostgreSQL). A second one on the same file is noticed at its next commit,
// which finds ids taken that it did not take: it loads the log again before
// it records anything, so no sid is recorded twice.

// inboundGenRows is how many sids a generation holds before it is sealed
// (a variable so tests can make small ones).
var inboundGenRows = 1 << 16

// sealChunk is how many sids of a generation being sealed each commit
// writes into inbound_sids (a variable so tests can make it small): few
// enough that sealing adds little to the commit that carries it.
var sealChunk = 512

// inboundLogSchema is created in the log file with logSchema.
const inboundLogSchema = `CREATE TABLE IF NOT EXISTS inbound_log (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	gen INTEGER NOT NULL,
	sid TEXT NOT NULL,
	from_phone TEXT NOT NULL,
	command TEXT NOT NULL DEFAULT '',
	reply TEXT NOT NULL DEFAULT '',
	received_at BIGINT NOT NULL,
	finished_at BIGINT NOT NULL DEFAULT 0,
	state INTEGER NOT NULL DEFAULT 1,
	claimed_until BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS inbound_sids (
	gen INTEGER NOT NULL,
	sid TEXT NOT NULL,
	id INTEGER NOT NULL,
	PRIMARY KEY (gen, sid)
) WITHOUT ROWID;
-- first_id: the first id of the generation (the next one's first id ends
-- it); sealed: all of its sids are in inbound_sids.
CREATE TABLE IF NOT EXISTS inbound_gens (
	gen INTEGER PRIMARY KEY,
	first_id INTEGER NOT NULL,
	sealed INTEGER NOT NULL DEFAULT 0
);`

// inboundLogIndexes is created after a log of an earlier version has been
// given the columns it lacks (see upgradeLog): only pending messages are
// in the index, so a message answered at once costs no entry in it.
// inbound_messages, read here but no longer written, keeps the shape
// migration 0010 gives it in the store.
const inboundLogIndexes = `CREATE INDEX IF NOT EXISTS inbound_log_pending ON inbound_log (id) WHERE state = 0;
CREATE INDEX IF NOT EXISTS inbound_messages_pending ON inbound_messages (received_at) WHERE state = 0;`

// logColumns are the columns later versions added to the log's tables:
// an audit entry's place and note (the store's accounts migration), the
// state of a message's answer (rows written before were all answered
// inline, the default) and its lease.
var logColumns = []struct{ table, name, def string }{
	{"audit_log", "place", "TEXT NOT NULL DEFAULT ''"},
	{"audit_log", "note", "TEXT NOT NULL DEFAULT ''"},
	{"inbound_log", "state", "INTEGER NOT NULL DEFAULT 1"},
	{"inbound_log", "claimed_until", "BIGINT NOT NULL DEFAULT 0"},
	{"inbound_messages", "state", "INTEGER NOT NULL DEFAULT 1"},
	{"inbound_messages", "claimed_by", "TEXT NOT NULL DEFAULT ''"},
	{"inbound_messages", "claimed_until", "BIGINT NOT NULL DEFAULT 0"},
}

// upgradeLog gives the log file of an earlier version the columns and
// indexes it lacks.
func upgradeLog(l *sql.DB) error {
	for _, c := range logColumns {
		var n int
		if err := l.QueryRow(`SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, c.table, c.name).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if _, err := l.Exec(`ALTER TABLE ` + c.table + ` ADD COLUMN ` + c.name + ` ` + c.def); err != nil {
				return err
			}
		}
	}
	_, err := l.Exec(inboundLogIndexes)
	return err
}

// errLogChanged is a commit finding that another process wrote the log.
var errLogChanged = errors.New("the SMS log was written by another process")

// inboundLog is the inboundStore of a SQLite store, and what it knows of
// its log. mu is held for the whole of every inbound operation, taken
// before its transaction begins (never the other way round: the log has
// one connection).
type inboundLog struct {
	db     *DB
	mu     sync.Mutex
	loaded bool
	cur    *genState   // the generation being written
	stored bool        // cur's row in inbound_gens is committed
	gens   []*genState // full ones, oldest first: being sealed, then sealed
	legacy *bloom      // the sids of inbound_messages; nil when it is empty
	lastID int64       // the last id inbound_log handed out
	seed   maphash.Seed
	seeded bool
}

// genState is one generation.
type genState struct {
	gen     int
	firstID int64
	lastID  int64            // 0 while it is the current one
	ids     map[string]int64 // its sids, until sealed
	order   []string         // its sids in order, while being sealed
	done    int              // how many of order are in inbound_sids
	filter  *bloom           // from the time it is full
	sealed  bool
	// oldest and newest received_at of its rows, and how many of them
	// are pending, for pruning; known is false until read (and after rows
	// are deleted).
	oldest, newest int64
	rows, pending  int64
	known          bool
}

// has reports the id of sid if the generation holds it (only while its
// sids are in memory: see lookup for sealed ones).
func (g *genState) has(sid string) (int64, bool) {
	id, ok := g.ids[sid]
	return id, ok
}

// full turns a generation whose ids are loaded into one being sealed:
// its sids in order and their filter.
func (l *inboundLog) full(g *genState) {
	g.order = make([]string, 0, len(g.ids))
	g.filter = newBloom(l.seed, len(g.ids))
	for sid := range g.ids {
		g.order = append(g.order, sid)
		g.filter.add(sid)
	}
	slices.Sort(g.order)
}

// reload reads the log: its generations and the sids of
// inbound_messages. It runs in its own transaction, before the one it
// serves. The caller holds l.mu.
func (l *inboundLog) reload(ctx context.Context) error {
	db := l.db
	if !l.seeded {
		l.seed, l.seeded = maphash.MakeSeed(), true
	}
	l.loaded, l.cur, l.stored, l.gens, l.legacy, l.lastID = false, nil, false, nil, nil, 0
	err := db.txOn(ctx, db.log, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'inbound_log'), 0)`).Scan(&l.lastID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT gen, first_id, sealed FROM inbound_gens ORDER BY gen`)
		if err != nil {
			return err
		}
		var all []*genState
		for rows.Next() {
			g := &genState{}
			if err := rows.Scan(&g.gen, &g.firstID, &g.sealed); err != nil {
				rows.Close()
				return err
			}
			all = append(all, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(all) == 0 {
			all = append(all, &genState{gen: 1, firstID: l.lastID + 1})
			if _, err := tx.ExecContext(ctx, `INSERT INTO inbound_gens (gen, first_id) VALUES (?, ?)`, 1, l.lastID+1); err != nil {
				return err
			}
		}
		for i, g := range all {
			last := l.lastID
			if i+1 < len(all) {
				last = all[i+1].firstID - 1
				g.lastID = last // a full generation's range is closed
			}
			if g.sealed {
				if g.filter, err = l.filterOf(ctx, tx, `SELECT sid FROM inbound_sids WHERE gen = ?`, g.gen); err != nil {
					return err
				}
				continue
			}
			g.ids = map[string]int64{}
			rows, err := tx.QueryContext(ctx, `SELECT id, sid FROM inbound_log WHERE id BETWEEN ? AND ?`, g.firstID, last)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				var sid string
				if err := rows.Scan(&id, &sid); err != nil {
					rows.Close()
					return err
				}
				g.ids[sid] = id
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if i+1 == len(all) {
				break // the current one
			}
			l.full(g)
			// Chunks went in in sid order: the sids up to the greatest
			// there are in (those since pruned are not in order).
			var top sql.NullString
			if err := tx.QueryRowContext(ctx, `SELECT max(sid) FROM inbound_sids WHERE gen = ?`, g.gen).Scan(&top); err != nil {
				return err
			}
			if top.Valid {
				pos, found := slices.BinarySearch(g.order, top.String)
				if found {
					pos++
				}
				g.done = pos
			}
		}
		l.cur, l.gens, l.stored = all[len(all)-1], all[:len(all)-1], true
		if l.legacy, err = l.filterOf(ctx, tx, `SELECT sid FROM inbound_messages`); err != nil {
			return err
		}
		if l.legacy.n == 0 {
			l.legacy = nil
		}
		return nil
	})
	if err != nil {
		return db.unavailable(fmt.Errorf("load the SMS log: %w", err))
	}
	l.loaded = true
	return nil
}

// filterOf builds a Bloom filter of the sids a query returns.
func (l *inboundLog) filterOf(ctx context.Context, tx *sql.Tx, q string, args ...any) (*bloom, error) {
	var sids []string
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var sid string
		if err := rows.Scan(&sid); err != nil {
			return nil, err
		}
		sids = append(sids, sid)
	}
	f := newBloom(l.seed, len(sids))
	for _, sid := range sids {
		f.add(sid)
	}
	return f, rows.Err()
}

// load reads the log on first use (see DB.LoadInboundLog), and drops the
// leases on pending messages and on the outbox's queued ones: they were
// taken by a process that is gone, as one gateway process serves a SQLite
// store, and its messages are answered and sent now instead of when the
// leases run out (a message that was being sent comes back in doubt, as
// after any lease).
func (l *inboundLog) load(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ensure(ctx); err != nil {
		return err
	}
	if _, err := l.db.log.ExecContext(ctx, `UPDATE inbound_log SET claimed_until = 0 WHERE state = 0 AND claimed_until > 0`); err != nil {
		return l.db.unavailable(err)
	}
	if _, err := l.db.w.ExecContext(ctx, `UPDATE outbox SET claimed_until = 0 WHERE state = 'queued' AND claimed_until > 0`); err != nil {
		return l.db.unavailable(err)
	}
	return nil
}

// ensure reads the log on first use. The caller holds l.mu.
func (l *inboundLog) ensure(ctx context.Context) error {
	if l.loaded {
		return nil
	}
	return l.reload(ctx)
}

// record writes a batch into the current generation (see write). Its
// context has no end, as batchContext's on SQLite.
func (l *inboundLog) record(batch []*inboundWait) {
	db := l.db
	ctx := context.Background()
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.ensure(ctx)
	var added map[string]int64
	var sealing *genState
	var sealed int
	if err == nil {
		added, sealing, sealed, err = l.write(ctx, batch)
		if errors.Is(err, errLogChanged) {
			// Another process wrote the log: read it again, and record
			// the batch against what is there now.
			if err = l.reload(ctx); err == nil {
				added, sealing, sealed, err = l.write(ctx, batch)
			}
		}
	}
	if err == nil {
		l.stored = true
		for sid, id := range added {
			l.cur.ids[sid] = id
			l.lastID = max(l.lastID, id)
		}
		if sealing != nil {
			sealing.done += sealed
			if sealing.done == len(sealing.order) {
				sealing.sealed, sealing.ids, sealing.order = true, nil, nil
			}
		}
		if len(l.cur.ids) >= inboundGenRows {
			l.cur.lastID = l.lastID
			l.full(l.cur)
			l.gens = append(l.gens, l.cur)
			l.cur, l.stored = &genState{gen: l.cur.gen + 1, firstID: l.lastID + 1, ids: map[string]int64{}}, false
		}
	}
	for _, w := range batch {
		if err != nil {
			w.first, w.prev, w.err = false, nil, db.unavailable(err)
		}
		close(w.done)
	}
}

// write writes a batch into the current generation, and the next chunk
// of the oldest generation being sealed, in one transaction. It returns
// the sids it added (by id), and the generation and the number of its
// sids it sealed.
func (l *inboundLog) write(ctx context.Context, batch []*inboundWait) (added map[string]int64, sealing *genState, sealed int, err error) {
	st, err := l.prepareWrite(ctx, len(batch))
	if err != nil {
		return nil, nil, 0, err
	}
	db := l.db
	added = make(map[string]int64, len(batch))
	err = db.txOn(ctx, db.log, func(tx *sql.Tx) error {
		// The log as this process left it? (In the transaction, with the
		// write lock held, nobody can change it now.)
		var last int64
		if err := tx.StmtContext(ctx, st.lastSeq).QueryRowContext(ctx).Scan(&last); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if last != l.lastID {
			return errLogChanged
		}
		if !l.stored {
			if _, err := tx.ExecContext(ctx, `INSERT INTO inbound_gens (gen, first_id) VALUES (?, ?)`, l.cur.gen, l.cur.firstID); err != nil {
				return err
			}
		}
		byID := tx.StmtContext(ctx, st.byID)
		// First what is already in the log (a retried sid: its stored row
		// comes back), then every new message in one multi-row INSERT a
		// few dozen at a time.
		fresh, dups, err := l.sortOut(ctx, tx, byID, batch)
		if err != nil {
			return err
		}
		if err := l.insertFresh(ctx, tx, st.one, fresh, added); err != nil {
			return err
		}
		for _, w := range dups {
			prev, err := scanInbound(byID.QueryRowContext(ctx, added[w.m.Sid]))
			if err != nil {
				return fmt.Errorf("read inbound message: %w", err)
			}
			w.prev = prev
		}
		sealing = l.sealing()
		sealed, err = l.sealNext(ctx, tx, st.putOne, sealing)
		return err
	})
	if err != nil {
		return nil, nil, 0, err
	}
	return added, sealing, sealed, nil
}

// writeStatements are the prepared statements a write uses.
type writeStatements struct {
	lastSeq, byID, one, putOne *sql.Stmt
}

// prepareWrite prepares what a write of a batch of n needs. The
// multi-row INSERTs a batch of this size needs, all new (the usual case),
// are prepared now too: the log's pool has one connection, which the
// transaction holds. Other sizes write a row at a time.
func (l *inboundLog) prepareWrite(ctx context.Context, n int) (*writeStatements, error) {
	db := l.db
	queries := []string{
		`SELECT seq FROM sqlite_sequence WHERE name = 'inbound_log'`,
		`SELECT ` + inboundCols + ` FROM inbound_log WHERE id = ?`,
		inboundInsertSQL(1),
		inboundSealSQL(1),
		inboundInsertSQL(min(n, inboundInsertRows)),
	}
	if r := n % inboundInsertRows; r > 0 {
		queries = append(queries, inboundInsertSQL(r))
	}
	if g := l.sealing(); g != nil {
		queries = append(queries, inboundSealSQL(inboundInsertRows))
		if r := min(sealChunk, len(g.order)-g.done) % inboundInsertRows; r > 0 {
			queries = append(queries, inboundSealSQL(r))
		}
	}
	stmts := make([]*sql.Stmt, len(queries))
	for i, q := range queries {
		var err error
		if stmts[i], err = db.prepared(ctx, db.log, q); err != nil {
			return nil, err
		}
	}
	return &writeStatements{lastSeq: stmts[0], byID: stmts[1], one: stmts[2], putOne: stmts[3]}, nil
}

// sortOut sets each message of a batch apart: a sid already in the log
// gets its stored row (w.prev); a sid the batch holds twice is a dup,
// read back once the first is written; the rest are fresh.
func (l *inboundLog) sortOut(ctx context.Context, tx *sql.Tx, byID *sql.Stmt, batch []*inboundWait) (fresh, dups []*inboundWait, err error) {
	inBatch := make(map[string]bool, len(batch))
	for _, w := range batch {
		m := w.m
		w.first, w.prev = false, nil
		if inBatch[m.Sid] {
			dups = append(dups, w)
			continue
		}
		if id, ok := l.find(ctx, tx, m.Sid); ok {
			prev, err := scanInbound(byID.QueryRowContext(ctx, id))
			if err != nil {
				return nil, nil, fmt.Errorf("read inbound message: %w", err)
			}
			w.prev = prev
			continue
		}
		if l.legacy != nil && l.legacy.has(m.Sid) {
			prev, err := scanInbound(tx.QueryRowContext(ctx, `SELECT sid, from_phone, command, reply, received_at, 1 FROM inbound_messages WHERE sid = ?`, m.Sid))
			if err == nil {
				w.prev = prev
				continue
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return nil, nil, fmt.Errorf("read inbound message: %w", err)
			}
		}
		inBatch[m.Sid] = true
		fresh = append(fresh, w)
	}
	return fresh, dups, nil
}

// insertFresh writes new messages a few dozen to a statement and notes
// each one's id in added. Ids are AUTOINCREMENT and the transaction holds
// the write lock, so the rows of one statement get the ids after the last
// one, in order: the statement's last id checks it.
func (l *inboundLog) insertFresh(ctx context.Context, tx *sql.Tx, one *sql.Stmt, fresh []*inboundWait, added map[string]int64) error {
	now := ms(l.db.Now())
	next := l.lastID + 1
	for from := 0; from < len(fresh); from += inboundInsertRows {
		part := fresh[from:min(from+inboundInsertRows, len(fresh))]
		args := make([]any, 0, 9*len(part))
		for _, w := range part {
			m := w.m
			finished := int64(0)
			if m.Reply != "" {
				finished = now
			}
			args = append(args, l.cur.gen, m.Sid, m.From, m.Command, m.Reply, ms(m.ReceivedAt), finished, int(m.State), ms(m.HeldUntil))
		}
		res, err := execRows(ctx, tx, l.db.log, inboundInsertSQL, one, 9, args)
		if err != nil {
			return fmt.Errorf("insert inbound message: %w", err)
		}
		last, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if want := next + int64(len(part)) - 1; last != want {
			return fmt.Errorf("insert inbound message: ids up to %d, want %d", last, want)
		}
		for _, w := range part {
			added[w.m.Sid] = next
			w.first = true
			next++
		}
	}
	return nil
}

// sealNext indexes the next chunk of a generation being sealed (none when
// sealing is nil) and marks it sealed once all its sids are in; it returns
// how many sids of its order it took.
func (l *inboundLog) sealNext(ctx context.Context, tx *sql.Tx, putOne *sql.Stmt, sealing *genState) (int, error) {
	if sealing == nil {
		return 0, nil
	}
	todo := sealing.order[sealing.done:min(sealing.done+sealChunk, len(sealing.order))]
	var rows []any
	for _, sid := range todo {
		if id, ok := sealing.ids[sid]; ok { // not pruned meanwhile
			rows = append(rows, sealing.gen, sid, id)
		}
	}
	for from := 0; from < len(rows); from += 3 * inboundInsertRows {
		part := rows[from:min(from+3*inboundInsertRows, len(rows))]
		if _, err := execRows(ctx, tx, l.db.log, inboundSealSQL, putOne, 3, part); err != nil {
			return 0, fmt.Errorf("seal inbound messages: %w", err)
		}
	}
	if sealing.done+len(todo) == len(sealing.order) {
		if _, err := tx.ExecContext(ctx, `UPDATE inbound_gens SET sealed = 1 WHERE gen = ?`, sealing.gen); err != nil {
			return 0, err
		}
	}
	return len(todo), nil
}

// inboundInsertRows is how many rows one INSERT of the log writes at most.
const inboundInsertRows = 64

// inboundInsertSQL inserts n messages into the log.
func inboundInsertSQL(n int) string {
	return `INSERT INTO inbound_log (gen, sid, from_phone, command, reply, received_at, finished_at, state, claimed_until) VALUES ` + tuples(n, 9)
}

// inboundSealSQL writes n sids of a sealed generation.
func inboundSealSQL(n int) string {
	return `INSERT OR IGNORE INTO inbound_sids (gen, sid, id) VALUES ` + tuples(n, 3)
}

// execRows writes rows of width values each (args, one after another)
// with the multi-row statement for that many rows where it was prepared
// before the transaction began (see preparedAlready), or else a row at a
// time with one, the statement for a single row. The result is that of
// the last statement run.
func execRows(ctx context.Context, tx *sql.Tx, pool *sql.DB, multi func(int) string, one *sql.Stmt, width int, args []any) (sql.Result, error) {
	if st, ok := preparedAlready(pool, multi(len(args)/width)); ok {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	row := tx.StmtContext(ctx, one)
	var res sql.Result
	for i := 0; i < len(args); i += width {
		var err error
		if res, err = row.ExecContext(ctx, args[i:i+width]...); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// sealing returns the oldest generation not yet sealed, or nil.
func (l *inboundLog) sealing() *genState {
	for _, g := range l.gens {
		if !g.sealed {
			return g
		}
	}
	return nil
}

// find returns the id of a sid's row in inbound_log, if it has one.
func (l *inboundLog) find(ctx context.Context, tx *sql.Tx, sid string) (int64, bool) {
	if id, ok := l.cur.has(sid); ok {
		return id, true
	}
	for i := len(l.gens) - 1; i >= 0; i-- {
		g := l.gens[i]
		if !g.sealed {
			if id, ok := g.has(sid); ok {
				return id, true
			}
			continue
		}
		if !g.filter.has(sid) {
			continue
		}
		var id int64
		// The row may have been pruned since: it must still be there.
		err := tx.QueryRowContext(ctx, `SELECT s.id FROM inbound_sids s JOIN inbound_log l ON l.id = s.id WHERE s.gen = ? AND s.sid = ?`, g.gen, sid).Scan(&id)
		if err == nil {
			return id, true
		}
	}
	return 0, false
}

// byID runs fn in one transaction of the log on the row of each of sids in
// inbound_log (i is its place in sids), for those the log holds (rows of
// inbound_messages, from an earlier version, were all answered, and stay
// as they are).
func (l *inboundLog) byID(ctx context.Context, sids []string, fn func(tx *sql.Tx, i int, id int64) error) error {
	db := l.db
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ensure(ctx); err != nil {
		return err
	}
	return db.txOn(ctx, db.log, func(tx *sql.Tx) error {
		for i, sid := range sids {
			id, ok := l.find(ctx, tx, sid)
			if !ok {
				continue
			}
			if err := fn(tx, i, id); err != nil {
				return err
			}
		}
		return nil
	})
}

func (l *inboundLog) answer(ctx context.Context, answers []inboundAnswer) error {
	at := ms(l.db.Now())
	sids := make([]string, len(answers))
	for i, a := range answers {
		sids[i] = a.sid
	}
	return l.byID(ctx, sids, func(tx *sql.Tx, i int, id int64) error {
		a := answers[i]
		_, err := tx.ExecContext(ctx, `UPDATE inbound_log SET state = ?, reply = ?, finished_at = ?, claimed_until = 0 WHERE id = ? AND state = 0`, int(a.state), a.reply, at, id)
		return err
	})
}

func (l *inboundLog) finishInline(ctx context.Context, sid string, held int64, reply string) (bool, error) {
	return l.updateOne(ctx, sid, `UPDATE inbound_log SET state = 1, reply = ?, finished_at = ?, claimed_until = 0 WHERE state = 0 AND claimed_until = ? AND id = ?`,
		reply, ms(l.db.Now()), held)
}

func (l *inboundLog) reopen(ctx context.Context, sid, from string) (bool, error) {
	return l.updateOne(ctx, sid, `UPDATE inbound_log SET state = 0, reply = '', finished_at = 0, claimed_until = 0 WHERE state = 1 AND from_phone = ? AND claimed_until <> ? AND id = ?`,
		from, replayedMark)
}

// updateOne runs an UPDATE of the row of sid, whose id is the query's
// last parameter, after args, and reports whether it changed the row.
func (l *inboundLog) updateOne(ctx context.Context, sid, query string, args ...any) (bool, error) {
	done := false
	err := l.byID(ctx, []string{sid}, func(tx *sql.Tx, _ int, id int64) error {
		res, err := tx.ExecContext(ctx, query, append(args, id)...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		done = n == 1
		return err
	})
	return done, err
}

func (l *inboundLog) replay(ctx context.Context, sid, from string) (string, bool, error) {
	var reply string
	found := false
	err := l.byID(ctx, []string{sid}, func(tx *sql.Tx, _ int, id int64) error {
		err := tx.QueryRowContext(ctx, `UPDATE inbound_log SET claimed_until = ? WHERE id = ? AND state = 1 AND from_phone = ? RETURNING reply`, replayedMark, id, from).Scan(&reply)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	})
	return reply, found, err
}

// claim leases pending rows. One process writes a SQLite log, so the
// lease only matters within it; the leases of a process that died are
// dropped when the next one loads the log (see load).
func (l *inboundLog) claim(ctx context.Context, _ string, n int, now, until int64) ([]lifeline.InboundMessage, error) {
	db := l.db
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ensure(ctx); err != nil {
		return nil, err
	}
	var out []lifeline.InboundMessage
	err := db.txOn(ctx, db.log, func(tx *sql.Tx) error {
		var err error
		out, err = queryRows(ctx, db, tx, scanInboundValue, `UPDATE inbound_log SET claimed_until = ? WHERE id IN (SELECT id FROM inbound_log WHERE state = 0 AND claimed_until <= ? ORDER BY id LIMIT ?) RETURNING `+inboundCols, until, now, n)
		return err
	})
	if err != nil {
		return nil, db.unavailable(fmt.Errorf("claim inbound messages: %w", err))
	}
	sortInbound(out)
	return out, nil
}

func (l *inboundLog) pending(ctx context.Context) (int, int64, error) {
	db := l.db
	var n int
	var oldest sql.NullInt64
	if err := db.log.QueryRowContext(ctx, `SELECT COUNT(*), MIN(received_at) FROM inbound_log WHERE state = 0`).Scan(&n, &oldest); err != nil {
		return 0, 0, db.unavailable(err)
	}
	return n, oldest.Int64, nil
}

// prune forgets old messages: the messages of a sealed
// generation that are all older than before go a range of ids at a time,
// then its inbound_sids entries; from the other generations and from
// inbound_messages, the old rows go one by one. Each transaction deletes
// pruneBatch rows at most and holds the log only for itself, so messages
// go on being recorded in between.
func (l *inboundLog) prune(ctx context.Context, before int64) (int64, error) {
	db := l.db
	var total int64
	// steps runs one transaction's worth of pruning at a time, under the
	// lock, until fn says there is no more.
	steps := func(fn func() (n int64, more bool, err error)) error {
		for {
			l.mu.Lock()
			err := l.ensure(ctx)
			var n int64
			more := false
			if err == nil {
				n, more, err = fn()
			}
			l.mu.Unlock()
			total += n
			if err != nil || !more {
				return err
			}
		}
	}
	err := steps(func() (int64, bool, error) {
		return l.pruneRows(ctx, `DELETE FROM inbound_messages WHERE rowid IN (SELECT rowid FROM inbound_messages WHERE received_at < ? LIMIT ?) RETURNING sid`, nil, before)
	})
	if err != nil {
		return total, err
	}
	l.mu.Lock()
	var nums []int
	for _, g := range l.gens {
		nums = append(nums, g.gen)
	}
	if l.cur != nil {
		nums = append(nums, l.cur.gen)
	}
	l.mu.Unlock()
	for _, num := range nums {
		err := steps(func() (int64, bool, error) {
			i := slices.IndexFunc(l.gens, func(g *genState) bool { return g.gen == num })
			if i < 0 {
				if l.cur.gen != num {
					return 0, false, nil // gone, or the log was loaded again
				}
				return l.pruneRows(ctx, `DELETE FROM inbound_log WHERE id IN (SELECT id FROM inbound_log WHERE id >= ? AND received_at < ? AND state <> 0 LIMIT ?) RETURNING sid`, l.cur.ids, l.cur.firstID, before)
			}
			g := l.gens[i]
			if !g.known {
				var oldest, newest sql.NullInt64
				if err := db.log.QueryRowContext(ctx, `SELECT min(received_at), max(received_at), count(*), count(*) FILTER (WHERE state = 0) FROM inbound_log WHERE id BETWEEN ? AND ?`, g.firstID, g.lastID).
					Scan(&oldest, &newest, &g.rows, &g.pending); err != nil {
					return 0, false, db.unavailable(err)
				}
				g.oldest, g.newest, g.known = oldest.Int64, newest.Int64, true
			}
			switch {
			case g.sealed && g.newest < before && g.pending == 0:
				n, more, err := l.dropGen(ctx, g)
				if err == nil && !more {
					l.gens = slices.Delete(l.gens, i, i+1)
				}
				return n, more, err
			case g.rows > 0 && g.oldest < before:
				n, more, err := l.pruneRows(ctx, `DELETE FROM inbound_log WHERE id IN (SELECT id FROM inbound_log WHERE id BETWEEN ? AND ? AND received_at < ? AND state <> 0 LIMIT ?) RETURNING sid`, g.ids, g.firstID, g.lastID, before)
				if n > 0 {
					g.known = false
				}
				return n, more, err
			}
			return 0, false, nil
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// dropGen deletes a batch of a sealed generation: first its rows, then
// its inbound_sids entries, then its inbound_gens row. It says how many
// rows of inbound_log went, and whether there is more to do.
func (l *inboundLog) dropGen(ctx context.Context, g *genState) (int64, bool, error) {
	db := l.db
	res, err := db.log.ExecContext(ctx, `DELETE FROM inbound_log WHERE id IN (SELECT id FROM inbound_log WHERE id BETWEEN ? AND ? LIMIT ?)`, g.firstID, g.lastID, pruneBatch)
	if err != nil {
		return 0, false, db.unavailable(err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return n, true, nil
	}
	res, err = db.log.ExecContext(ctx, `DELETE FROM inbound_sids WHERE gen = ? AND sid IN (SELECT sid FROM inbound_sids WHERE gen = ? LIMIT ?)`, g.gen, g.gen, pruneBatch)
	if err != nil {
		return 0, false, db.unavailable(err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return 0, true, nil
	}
	if _, err := db.log.ExecContext(ctx, `DELETE FROM inbound_gens WHERE gen = ?`, g.gen); err != nil {
		return 0, false, db.unavailable(err)
	}
	return 0, false, nil
}

// pruneRows runs one DELETE … LIMIT ? RETURNING sid (pruneBatch is its
// last argument), forgets the sids it deleted from ids when given, and
// says how many rows went and whether a full batch did (there may be
// more).
func (l *inboundLog) pruneRows(ctx context.Context, q string, ids map[string]int64, args ...any) (int64, bool, error) {
	db := l.db
	args = append(args, pruneBatch)
	var gone []string
	err := db.txOn(ctx, db.log, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var sid string
			if err := rows.Scan(&sid); err != nil {
				return err
			}
			gone = append(gone, sid)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, false, db.unavailable(err)
	}
	for _, sid := range gone {
		delete(ids, sid)
	}
	return int64(len(gone)), len(gone) == pruneBatch, nil
}

// bloom is a Bloom filter over strings: 12 to 24 bits and 7 probes a
// member, 0.3% false positives at the most.
type bloom struct {
	bits []uint64
	mask uint64
	seed maphash.Seed
	n    int
}

func newBloom(seed maphash.Seed, n int) *bloom {
	size := uint64(1024)
	for size < uint64(n)*12 {
		size <<= 1
	}
	return &bloom{bits: make([]uint64, size/64), mask: size - 1, seed: seed}
}

// probe returns the word and bit of a string's i-th probe (double
// hashing: the two halves of one 64-bit hash).
func (b *bloom) probe(h, i uint64) (int, uint64) {
	bit := (h + i*(h>>32|1)) & b.mask
	return int(bit / 64), 1 << (bit % 64)
}

func (b *bloom) add(s string) {
	b.n++
	h := maphash.String(b.seed, s)
	for i := range uint64(7) {
		w, bit := b.probe(h, i)
		b.bits[w] |= bit
	}
}

func (b *bloom) has(s string) bool {
	h := maphash.String(b.seed, s)
	for i := range uint64(7) {
		if w, bit := b.probe(h, i); b.bits[w]&bit == 0 {
			return false
		}
	}
	return true
}
