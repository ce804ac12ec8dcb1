package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// inboundStore keeps the MessageSids of the SMS gateway's inbound
// messages, so that a retried message gets the reply the first delivery
// got. PostgreSQL keeps them in one table its replicas share
// (inboundTable, below); a SQLite store keeps them in generations in its
// log file (inboundLog, sqlite_inbound.go), as one table indexed on random
// sids made every commit write a page per message.
type inboundStore interface {
	// record writes a batch of messages in one transaction (the context:
	// DB.batchContext) and marks each call done, with its outcome.
	record(batch []*inboundWait)
	// finish stores the reply for a sid; the first reply stored wins.
	finish(ctx context.Context, sid, reply string) error
	// prune forgets the sids received before before (Unix ms), a batch at
	// a time, and says how many went.
	prune(ctx context.Context, before int64) (int64, error)
	// load reads what must be in memory before the first message.
	load(ctx context.Context) error
}

// BeginInbound records a MessageSid with whatever reply m already holds. A
// sid seen before is not written again: its stored row comes back with
// first=false. It returns once the row is committed.
//
// Inbound messages arrive in surges, one small write each, and SQLite has
// one writer: so concurrent calls are committed together (group commit,
// see batcher), and when the last batch held several messages a commit
// first waits inboundLinger for more (see there): under a surge that makes
// batches tens of messages large for at most inboundLinger more per
// message.
func (db *DB) BeginInbound(ctx context.Context, m *lifeline.InboundMessage) (*lifeline.InboundMessage, bool, error) {
	if m.Sid == "" {
		return nil, false, lifeline.Errorf(lifeline.EINVALID, lifeline.T("缺少 MessageSid", "MessageSid is missing"))
	}
	if m.ReceivedAt.IsZero() {
		m.ReceivedAt = db.Now()
	}
	w := &inboundWait{m: m, done: make(chan struct{})}
	db.inbound.add(w)
	select {
	case <-w.done:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	return w.prev, w.first, w.err
}

// inboundLinger is how long a commit waits for more messages when the last
// batch showed that messages are arriving together (and fewer than
// inboundFull wait). Every commit costs a transaction and makes each
// reader connection drop its page cache, so under a surge a wait far
// shorter than a commit buys far more than it costs; an idle gateway
// (last batch of one) commits at once.
const (
	inboundLinger = time.Millisecond
	inboundFull   = 64
)

type inboundWait struct {
	m     *lifeline.InboundMessage
	prev  *lifeline.InboundMessage
	first bool
	err   error
	done  chan struct{}
}

// FinishInbound stores the reply for a MessageSid. The first reply stored
// wins, so two deliveries racing through the handler answer alike.
func (db *DB) FinishInbound(ctx context.Context, sid, reply string) error {
	return db.sids.finish(ctx, sid, reply)
}

// pruneBatch bounds one pruning transaction, so that forgetting a surge's
// millions of messages never holds the log's writer (or a PostgreSQL
// transaction) for long. (A variable so tests can make it small.)
var pruneBatch = 5000

// PruneInbound forgets the MessageSids received before before, a batch at
// a time.
func (db *DB) PruneInbound(ctx context.Context, before time.Time) (int64, error) {
	return db.sids.prune(ctx, ms(before))
}

// LoadInboundLog reads what the store keeps in memory of MessageSids, as
// the first message would, so that a gateway started in a surge does it
// before it listens. A SQLite store reads the sids of its log's newest
// generations, in time proportional to the log; PostgreSQL has nothing to
// read.
func (db *DB) LoadInboundLog(ctx context.Context) error {
	return db.sids.load(ctx)
}

// inboundTable keeps every sid in the table inbound_messages, keyed by
// sid: PostgreSQL's, which replicas share.
type inboundTable struct{ db *DB }

func (t inboundTable) record(batch []*inboundWait) {
	db := t.db
	ctx, cancel := db.batchContext()
	defer cancel()
	now := ms(db.Now())
	insert, err := db.prepared(ctx, db.log, db.SQL(`INSERT INTO inbound_messages (sid, from_phone, command, reply, received_at, finished_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sid) DO NOTHING`))
	if err == nil {
		err = db.txOn(ctx, db.log, func(tx *sql.Tx) error {
			return t.insert(ctx, tx, tx.StmtContext(ctx, insert), batch, now)
		})
	}
	for _, w := range batch {
		if err != nil {
			w.first, w.prev, w.err = false, nil, db.unavailable(err)
		}
		close(w.done)
	}
}

// insert inserts each message of a batch, reading back the stored row of
// a sid seen before. (One INSERT ... SELECT from a JSON array of the whole
// batch was tried: parsing the JSON again for every field cost more than
// the statements it saved.)
func (t inboundTable) insert(ctx context.Context, tx *sql.Tx, ins *sql.Stmt, batch []*inboundWait, now int64) error {
	for _, w := range batch {
		m := w.m
		finished := int64(0)
		if m.Reply != "" {
			finished = now
		}
		res, err := ins.ExecContext(ctx, m.Sid, m.From, m.Command, m.Reply, ms(m.ReceivedAt), finished)
		if err != nil {
			return fmt.Errorf("insert inbound message: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		w.first, w.prev = n == 1, nil
		if n == 1 {
			continue
		}
		// Seen before: in this batch or an earlier one.
		prev, err := scanInbound(tx.QueryRowContext(ctx, t.db.SQL(`SELECT sid, from_phone, command, reply, received_at FROM inbound_messages WHERE sid = ?`), m.Sid))
		if err != nil {
			return fmt.Errorf("read inbound message: %w", err)
		}
		w.prev = prev
	}
	return nil
}

func (t inboundTable) finish(ctx context.Context, sid, reply string) error {
	db := t.db
	return db.txOn(ctx, db.log, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.SQL(`UPDATE inbound_messages SET reply = ?, finished_at = ? WHERE sid = ? AND reply = ''`), reply, ms(db.Now()), sid)
		if err != nil {
			return fmt.Errorf("finish inbound message: %w", err)
		}
		return nil
	})
}

func (t inboundTable) prune(ctx context.Context, before int64) (int64, error) {
	db := t.db
	var total int64
	for {
		var n int64
		err := db.txOn(ctx, db.log, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, db.SQL(`DELETE FROM inbound_messages WHERE sid IN (SELECT sid FROM inbound_messages WHERE received_at < ? LIMIT ?)`), before, pruneBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, db.unavailable(err)
		}
		total += n
		if n < int64(pruneBatch) {
			return total, nil
		}
	}
}

func (inboundTable) load(context.Context) error { return nil }

func scanInbound(row scanner) (*lifeline.InboundMessage, error) {
	m := &lifeline.InboundMessage{}
	var at int64
	if err := row.Scan(&m.Sid, &m.From, &m.Command, &m.Reply, &at); err != nil {
		return nil, err
	}
	m.ReceivedAt = fromMS(at)
	return m, nil
}
