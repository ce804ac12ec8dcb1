package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
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
	// answer records how pending messages were answered, in one
	// transaction (see DB.AnswerInbound).
	answer(ctx context.Context, answers []inboundAnswer) error
	// finishInline records an inline answer if the hold is still held
	// (see DB.FinishInline).
	finishInline(ctx context.Context, sid string, held int64, reply string) (bool, error)
	// reopen turns an inline message from from, not replayed, back into
	// a pending one (see DB.ReopenInbound).
	reopen(ctx context.Context, sid, from string) (bool, error)
	// replay marks an inline message from from as replayed and returns
	// its reply (see DB.ReplayInline).
	replay(ctx context.Context, sid, from string) (string, bool, error)
	// claim leases up to n pending messages, oldest first, until until
	// (Unix ms).
	claim(ctx context.Context, worker string, n int, now, until int64) ([]lifeline.InboundMessage, error)
	// pending counts the pending messages and finds the oldest one's
	// received_at (Unix ms, 0 when none).
	pending(ctx context.Context) (n int, oldest int64, err error)
	// prune forgets the answered sids received before before (Unix ms), a
	// batch at a time, and says how many went. Pending messages stay:
	// they are the queue.
	prune(ctx context.Context, before int64) (int64, error)
	// load reads what must be in memory before the first message.
	load(ctx context.Context) error
}

// BeginInbound records a MessageSid in the state m gives, with whatever
// reply m holds. A sid seen before is not written again: its stored row
// comes back with first=false. It returns once the row is committed.
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

// AnswerInbound records how a pending message was answered: its answer
// queued in the outbox (InboundOutbox) or none on purpose (InboundSilent),
// with the reply. A message that is no longer pending is left as it is, so
// the first answer recorded wins.
func (db *DB) AnswerInbound(ctx context.Context, sid string, state lifeline.InboundState, reply string) error {
	if state == lifeline.InboundPending {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("短信的回复状态无效", "an answered message cannot be pending"))
	}
	return db.sids.answer(ctx, []inboundAnswer{{sid, state, reply}})
}

// inboundAnswer is one message's answer as the log records it.
type inboundAnswer struct {
	sid   string
	state lifeline.InboundState
	reply string
}

// AnswerAll queues the answers of a batch of pending messages, then
// records each message as answered: a transaction for each (on SQLite the
// outbox and the log are two files). A crash between the two leaves the
// messages pending with their answers queued: the next claim composes
// them again, and queueing them again under their keys adds nothing. A
// message no longer pending is left as it is.
func (db *DB) AnswerAll(ctx context.Context, answers []lifeline.InboundAnswer) error {
	logged := make([]inboundAnswer, 0, len(answers))
	queue := false
	for _, a := range answers {
		switch {
		case a.State == lifeline.InboundOutbox && a.Out != nil && a.Out.To != "" && a.Out.Body != "":
			logged, queue = append(logged, inboundAnswer{a.Sid, a.State, a.Out.Body}), true
		case a.State == lifeline.InboundSilent && a.Out == nil:
			logged = append(logged, inboundAnswer{a.Sid, a.State, ""})
		default:
			return lifeline.Errorf(lifeline.EINVALID, lifeline.T("短信的回复状态无效", "an answered message must be silent, or queued with a number and a body"))
		}
	}
	if len(logged) == 0 {
		return nil
	}
	if queue {
		now := db.Now()
		err := db.tx(ctx, func(tx *sql.Tx) error {
			for _, a := range answers {
				if a.Out == nil {
					continue
				}
				if err := db.enqueueTx(ctx, tx, a.Out, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return db.sids.answer(ctx, logged)
}

// FinishInline records the inline answer of a pending message whose
// handler recorded it with HeldUntil, if the hold is still the one it
// took: an answerer that claimed the message after the hold ran out
// changed it, and then the answer is the answerer's to give, through the
// outbox. It reports whether the answer was recorded.
func (db *DB) FinishInline(ctx context.Context, sid string, held time.Time, reply string) (bool, error) {
	if held.IsZero() {
		return false, lifeline.Errorf(lifeline.EINVALID, lifeline.T("缺少保留期限", "no hold to finish"))
	}
	return db.sids.finishInline(ctx, sid, ms(held), reply)
}

// ReopenInbound makes a message recorded as answered inline pending again,
// when the response that was to carry the answer was never sent: the
// gateway could not learn whether its record was committed and answered
// empty, spooling the message (see sms.Spool), or its caller hung up
// before the answer was written. Only a message from the same sender, and
// not replayed, is reopened: a retry that was given the answer
// (ReplayInline) may have delivered it. It reports whether it reopened.
//
// A replayed message is marked with claimed_until = replayedMark, a value
// no lease takes (an inline message holds no lease: its claimed_until is
// 0 otherwise).
func (db *DB) ReopenInbound(ctx context.Context, sid, from string) (bool, error) {
	return db.sids.reopen(ctx, sid, from)
}

// ReplayInline marks a message recorded inline from from as replayed,
// and returns its reply, for a retry of it; ok is false when it is no
// longer inline or is from another sender.
func (db *DB) ReplayInline(ctx context.Context, sid, from string) (string, bool, error) {
	return db.sids.replay(ctx, sid, from)
}

// replayedMark is claimed_until of an inline message given to a retry.
const replayedMark = -1

// ClaimInbound leases up to n pending messages, oldest first, to worker
// for lease: the answerer's queue. A claim that runs out (the answerer
// died) leaves the message to the next claim; composing an answer twice is
// harmless, as it is queued under one key (lifeline.AnswerKey).
func (db *DB) ClaimInbound(ctx context.Context, worker string, n int, lease time.Duration) ([]lifeline.InboundMessage, error) {
	if n <= 0 {
		return nil, nil
	}
	now := db.Now()
	return db.sids.claim(ctx, worker, n, ms(now), ms(now.Add(lease)))
}

// AnswerBacklog counts the accepted texts whose answer is not yet sent:
// pending in the inbound log, or queued in the outbox as answers.
func (db *DB) AnswerBacklog(ctx context.Context) (lifeline.AnswerBacklog, error) {
	n, oldest, err := db.sids.pending(ctx)
	if err != nil {
		return lifeline.AnswerBacklog{}, err
	}
	var queued int
	var asked sql.NullInt64
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*), MIN(asked_at) FROM outbox WHERE state = 'queued' AND priority = 0`).Scan(&queued, &asked); err != nil {
		return lifeline.AnswerBacklog{}, db.unavailable(err)
	}
	if asked.Valid && asked.Int64 > 0 && (oldest == 0 || asked.Int64 < oldest) {
		oldest = asked.Int64
	}
	return lifeline.AnswerBacklog{Waiting: n + queued, Pending: n, Oldest: fromMS(oldest)}, nil
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

// LoadInboundLog readies the store for a gateway that is starting: it
// reads what the store keeps in memory of MessageSids, as the first
// message would, so that a gateway started in a surge does it before it
// listens. A SQLite store reads the sids of its log's newest generations,
// in time proportional to the log, and gives back the leases the last
// gateway held on pending messages and queued outbound ones (one gateway
// serves a SQLite store, so that one is gone); PostgreSQL has nothing to
// read, and its leases run out, as other replicas may hold them.
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
	insert, err := db.prepared(ctx, db.log, db.SQL(`INSERT INTO inbound_messages (sid, from_phone, command, reply, received_at, finished_at, state, claimed_until)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sid) DO NOTHING`))
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
		res, err := ins.ExecContext(ctx, m.Sid, m.From, m.Command, m.Reply, ms(m.ReceivedAt), finished, int(m.State), ms(m.HeldUntil))
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
		prev, err := scanInbound(tx.QueryRowContext(ctx, t.db.SQL(`SELECT `+inboundCols+` FROM inbound_messages WHERE sid = ?`), m.Sid))
		if err != nil {
			return fmt.Errorf("read inbound message: %w", err)
		}
		w.prev = prev
	}
	return nil
}

func (t inboundTable) answer(ctx context.Context, answers []inboundAnswer) error {
	db := t.db
	at := ms(db.Now())
	return db.txOn(ctx, db.log, func(tx *sql.Tx) error {
		for _, a := range answers {
			_, err := tx.ExecContext(ctx, db.SQL(`UPDATE inbound_messages SET state = ?, reply = ?, finished_at = ?, claimed_by = '', claimed_until = 0 WHERE sid = ? AND state = 0`),
				int(a.state), a.reply, at, a.sid)
			if err != nil {
				return db.unavailable(fmt.Errorf("answer inbound message: %w", err))
			}
		}
		return nil
	})
}

func (t inboundTable) finishInline(ctx context.Context, sid string, held int64, reply string) (bool, error) {
	db := t.db
	res, err := db.log.ExecContext(ctx, db.SQL(`UPDATE inbound_messages SET state = 1, reply = ?, finished_at = ?, claimed_by = '', claimed_until = 0 WHERE sid = ? AND state = 0 AND claimed_until = ?`),
		reply, ms(db.Now()), sid, held)
	if err != nil {
		return false, db.unavailable(fmt.Errorf("finish inbound message: %w", err))
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (t inboundTable) reopen(ctx context.Context, sid, from string) (bool, error) {
	db := t.db
	res, err := db.log.ExecContext(ctx, db.SQL(`UPDATE inbound_messages SET state = 0, reply = '', finished_at = 0, claimed_by = '', claimed_until = 0 WHERE sid = ? AND state = 1 AND from_phone = ? AND claimed_until <> ?`), sid, from, replayedMark)
	if err != nil {
		return false, db.unavailable(fmt.Errorf("reopen inbound message: %w", err))
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (t inboundTable) replay(ctx context.Context, sid, from string) (string, bool, error) {
	db := t.db
	var reply string
	err := db.log.QueryRowContext(ctx, db.SQL(`UPDATE inbound_messages SET claimed_until = ? WHERE sid = ? AND state = 1 AND from_phone = ? RETURNING reply`), replayedMark, sid, from).Scan(&reply)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, db.unavailable(fmt.Errorf("replay inbound message: %w", err))
	}
	return reply, true, nil
}

// claim leases pending rows; on PostgreSQL the choice skips the rows
// another replica is claiming (dialect.claimLock), and each row's lease
// keeps it from the next claim until it runs out.
func (t inboundTable) claim(ctx context.Context, worker string, n int, now, until int64) ([]lifeline.InboundMessage, error) {
	db := t.db
	q := `WITH due AS (SELECT sid FROM inbound_messages WHERE state = 0 AND claimed_until <= ? ORDER BY received_at LIMIT ?` + db.dialect.claimLock + `)
		UPDATE inbound_messages SET claimed_by = ?, claimed_until = ? WHERE sid IN (SELECT sid FROM due) RETURNING ` + inboundCols
	var out []lifeline.InboundMessage
	err := db.txOn(ctx, db.log, func(tx *sql.Tx) error {
		var err error
		out, err = queryRows(ctx, db, tx, scanInboundValue, q, now, n, worker, until)
		return err
	})
	if err != nil {
		return nil, db.unavailable(fmt.Errorf("claim inbound messages: %w", err))
	}
	sortInbound(out)
	return out, nil
}

func (t inboundTable) pending(ctx context.Context) (int, int64, error) {
	db := t.db
	var n int
	var oldest sql.NullInt64
	if err := db.log.QueryRowContext(ctx, `SELECT COUNT(*), MIN(received_at) FROM inbound_messages WHERE state = 0`).Scan(&n, &oldest); err != nil {
		return 0, 0, db.unavailable(err)
	}
	return n, oldest.Int64, nil
}

func (t inboundTable) prune(ctx context.Context, before int64) (int64, error) {
	db := t.db
	var total int64
	for {
		var n int64
		err := db.txOn(ctx, db.log, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, db.SQL(`DELETE FROM inbound_messages WHERE sid IN (SELECT sid FROM inbound_messages WHERE received_at < ? AND state <> 0 LIMIT ?)`), before, pruneBatch)
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

// inboundCols are the columns scanInbound reads.
const inboundCols = `sid, from_phone, command, reply, received_at, state`

// scanInboundValue is scanInbound for queryRows, which collects values.
func scanInboundValue(s scanner) (lifeline.InboundMessage, error) {
	m, err := scanInbound(s)
	if err != nil {
		return lifeline.InboundMessage{}, err
	}
	return *m, nil
}

func scanInbound(row scanner) (*lifeline.InboundMessage, error) {
	m := &lifeline.InboundMessage{}
	var at int64
	var state int
	if err := row.Scan(&m.Sid, &m.From, &m.Command, &m.Reply, &at, &state); err != nil {
		return nil, err
	}
	m.ReceivedAt, m.State = fromMS(at), lifeline.InboundState(state)
	return m, nil
}

// sortInbound puts claimed messages oldest first (RETURNING keeps no
// order).
func sortInbound(ms []lifeline.InboundMessage) {
	sort.Slice(ms, func(i, j int) bool {
		if !ms[i].ReceivedAt.Equal(ms[j].ReceivedAt) {
			return ms[i].ReceivedAt.Before(ms[j].ReceivedAt)
		}
		return ms[i].Sid < ms[j].Sid
	})
}
