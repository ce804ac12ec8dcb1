package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// Enqueue adds a message to the outbox. A message whose DedupeKey is
// already stored is not added again: m gets the stored id and state. A
// notice to a number that opted out is stored as dropped, so the record
// shows why it was never sent; an answer (m.IsAnswer) is sent whatever the
// opt-out, and before every notice.
func (db *DB) Enqueue(ctx context.Context, m *lifeline.OutboxMessage) error {
	if m.To == "" || m.Body == "" {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("短信缺少号码或内容", "an outbound message needs a number and a body"))
	}
	now := db.Now()
	return db.tx(ctx, func(tx *sql.Tx) error { return db.enqueueTx(ctx, tx, m, now) })
}

// enqueueTx is Enqueue inside tx, at now: a message queued with a change
// (a positive pool's "retest alone") is queued exactly when it commits.
func (db *DB) enqueueTx(ctx context.Context, tx *sql.Tx, m *lifeline.OutboxMessage, now time.Time) error {
	var key any
	if m.DedupeKey != "" {
		key = m.DedupeKey
	}
	next := m.NextAttemptAt
	if next.IsZero() {
		next = now
	}
	priority := 1
	if m.IsAnswer() {
		priority = 0
	}
	state, errMsg := lifeline.OutboxQueued, ""
	if !m.IsAnswer() {
		var out int
		if err := tx.QueryRowContext(ctx, db.SQL(`SELECT COUNT(*) FROM opt_outs WHERE phone = ?`), m.To).Scan(&out); err != nil {
			return fmt.Errorf("check opt-out: %w", err)
		}
		if out > 0 {
			state, errMsg = lifeline.OutboxDropped, "opted out"
		}
	}
	var id int64
	err := tx.QueryRowContext(ctx, db.SQL(`INSERT INTO outbox (to_phone, body, kind, dedupe_key, state, next_attempt_at, error, created_at, updated_at, priority, asked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`),
		m.To, m.Body, m.Kind, key, string(state), ms(next), errMsg, ms(now), ms(now), priority, ms(m.AskedAt)).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		var st string
		if err := tx.QueryRowContext(ctx, db.SQL(`SELECT id, state FROM outbox WHERE dedupe_key = ?`), m.DedupeKey).Scan(&id, &st); err != nil {
			return fmt.Errorf("read queued message: %w", err)
		}
		m.ID, m.State = id, lifeline.OutboxState(st)
		return nil
	case err != nil:
		return fmt.Errorf("enqueue: %w", err)
	}
	m.ID, m.State, m.Error, m.NextAttemptAt, m.CreatedAt, m.UpdatedAt = id, state, errMsg, next, now, now
	return nil
}

const outboxCols = `id, to_phone, body, kind, COALESCE(dedupe_key,''), state, attempts, next_attempt_at, claimed_by, claimed_until, in_doubt, provider_id, error, created_at, updated_at, asked_at`

func scanOutbox(rows scanner) (lifeline.OutboxMessage, error) {
	var m lifeline.OutboxMessage
	var state string
	var next, until, created, updated, asked int64
	var inDoubt int
	err := rows.Scan(&m.ID, &m.To, &m.Body, &m.Kind, &m.DedupeKey, &state, &m.Attempts, &next, &m.ClaimedBy, &until, &inDoubt, &m.ProviderID, &m.Error, &created, &updated, &asked)
	m.State = lifeline.OutboxState(state)
	m.NextAttemptAt, m.ClaimedUntil, m.CreatedAt, m.UpdatedAt, m.AskedAt = fromMS(next), fromMS(until), fromMS(created), fromMS(updated), fromMS(asked)
	m.InDoubt = inDoubt != 0
	return m, err
}

// ClaimOutbox leases up to c.Max due messages to c.Worker: answers first,
// then notices, each by next attempt time. A message is due when it is
// queued, its next attempt time has come, no live lease holds it and, for
// a notice, its number has not opted out. Each claim counts as an attempt
// and marks the row as being sent; a claim that finds that mark still set
// (the last sender died before recording an outcome) returns the message
// InDoubt.
//
// With c.Rate set, the claim first takes tokens from the account's bucket
// (send_pace), in the same transaction: every sender of the account, on
// every replica, draws on one rate. On PostgreSQL several gateways claim
// at once: the choice of rows, and the bucket, skip what another holds
// (see dialect.claimLock), so a sender that finds the bucket taken claims
// nothing this time. On SQLite the single writer connection serialises
// claims.
func (db *DB) ClaimOutbox(ctx context.Context, c lifeline.OutboxClaim) ([]lifeline.OutboxMessage, error) {
	if c.Max <= 0 {
		return nil, nil
	}
	now := db.Now()
	q := `WITH due AS (SELECT id FROM outbox
			WHERE state = 'queued' AND next_attempt_at <= ? AND claimed_until <= ?
			AND (priority = 0 OR NOT EXISTS (SELECT 1 FROM opt_outs WHERE opt_outs.phone = outbox.to_phone))
			ORDER BY priority, next_attempt_at, id LIMIT ?` + db.dialect.claimLock + `)
		UPDATE outbox SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1, in_doubt = sending, sending = 1, updated_at = ?
		WHERE id IN (SELECT id FROM due) RETURNING ` + outboxCols
	var out []lifeline.OutboxMessage
	err := db.tx(ctx, func(tx *sql.Tx) error {
		n := c.Max
		var bucket *paceBucket
		if c.Rate > 0 {
			var err error
			if bucket, err = db.takePace(ctx, tx, c, now); err != nil || bucket == nil {
				return err
			}
			n = min(n, bucket.whole())
			if n == 0 {
				return nil
			}
		}
		var err error
		out, err = queryRows(ctx, db, tx, scanOutbox, q, ms(now), ms(now), n, c.Worker, ms(now.Add(c.Lease)), ms(now))
		if err != nil || bucket == nil {
			return err
		}
		return bucket.spend(ctx, tx, len(out))
	})
	if err != nil {
		return nil, db.unavailable(fmt.Errorf("claim outbox: %w", err))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].IsAnswer() != out[j].IsAnswer() {
			return out[i].IsAnswer()
		}
		if !out[i].NextAttemptAt.Equal(out[j].NextAttemptAt) {
			return out[i].NextAttemptAt.Before(out[j].NextAttemptAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// paceBucket is an account's sending bucket as a claim found it, refilled
// to now: millis thousandths of a message may be sent.
type paceBucket struct {
	db      *DB
	account string
	millis  int64
	now     int64
}

// whole is how many messages the bucket holds.
func (b *paceBucket) whole() int { return int(b.millis / 1000) }

// spend takes n messages from the bucket and stores it.
func (b *paceBucket) spend(ctx context.Context, tx *sql.Tx, n int) error {
	_, err := tx.ExecContext(ctx, b.db.SQL(`UPDATE send_pace SET millis = ?, at = ? WHERE account = ?`), b.millis-int64(n)*1000, b.now, b.account)
	return err
}

// takePace reads an account's bucket, locked for the claim's transaction,
// and refills it for the time since it was last read: rate a second, up to
// one second's worth (at least one message). It returns nil when another
// replica holds the bucket now (PostgreSQL: SKIP LOCKED).
func (db *DB) takePace(ctx context.Context, tx *sql.Tx, c lifeline.OutboxClaim, now time.Time) (*paceBucket, error) {
	burst := int64(max(1000, c.Rate*1000))
	if _, err := tx.ExecContext(ctx, db.SQL(db.dialect.ignoreInto+`send_pace (account, millis, at) VALUES (?, ?, ?)`+db.dialect.ignoreTail), c.Account, burst, ms(now)); err != nil {
		return nil, fmt.Errorf("send pace: %w", err)
	}
	var millis, at int64
	err := tx.QueryRowContext(ctx, db.SQL(`SELECT millis, at FROM send_pace WHERE account = ?`+db.dialect.claimLock), c.Account).Scan(&millis, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("send pace: %w", err)
	}
	if elapsed := ms(now) - at; elapsed > 0 {
		millis += int64(float64(elapsed) * c.Rate)
	}
	return &paceBucket{db: db, account: c.Account, millis: min(millis, burst), now: ms(now)}, nil
}

// outcome ends a claim with a new state.
func (db *DB) outcome(ctx context.Context, id int64, set string, args ...any) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		q := `UPDATE outbox SET ` + set + `, claimed_by = '', claimed_until = 0, sending = 0, in_doubt = 0, updated_at = ? WHERE id = ?`
		args = append(args, ms(db.Now()), id)
		res, err := tx.ExecContext(ctx, db.SQL(q), args...)
		if err != nil {
			return fmt.Errorf("update outbox message %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有这条待发短信", "no such outbound message"))
		}
		return nil
	})
}

// MarkAccepted records the provider's id for a message it accepted. A
// message already past queued (a delivery callback raced ahead) keeps its
// state.
func (db *DB) MarkAccepted(ctx context.Context, id int64, providerID string) error {
	return db.outcome(ctx, id, `provider_id = ?, error = '', state = CASE WHEN state = 'queued' THEN 'accepted' ELSE state END`, providerID)
}

// MarkFound records, for a message that was being sent when its sender
// died, the provider's id of a message found at the provider with the same
// recipient and body, unless another message holds that id already, and
// reports whether it did. Messages to one number often read the same (two
// status answers), so a sent message found is taken by one of them only,
// and the number gets as many of them as were queued.
func (db *DB) MarkFound(ctx context.Context, id int64, providerID string) (bool, error) {
	found := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.SQL(`UPDATE outbox SET provider_id = ?, error = '', state = CASE WHEN state = 'queued' THEN 'accepted' ELSE state END,
			claimed_by = '', claimed_until = 0, sending = 0, in_doubt = 0, updated_at = ?
			WHERE id = ? AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.provider_id = ? AND o.id <> ?)`), providerID, ms(db.Now()), id, providerID, id)
		if err != nil {
			return fmt.Errorf("update outbox message %d: %w", id, err)
		}
		n, err := res.RowsAffected()
		found = n == 1
		return err
	})
	if err != nil {
		return false, db.unavailable(err)
	}
	return found, nil
}

// MarkRetry puts a message back in the queue for another attempt at next.
func (db *DB) MarkRetry(ctx context.Context, id int64, errMsg string, next time.Time) error {
	return db.outcome(ctx, id, `error = ?, next_attempt_at = ?`, errMsg, ms(next))
}

// MarkThrottled puts a message back in the queue for next without
// counting the attempt its claim counted: the provider refused it for the
// account's rate (HTTP 429, Twilio 20429 or 63018), which says nothing of
// the message and must not use up its attempts.
func (db *DB) MarkThrottled(ctx context.Context, id int64, errMsg string, next time.Time) error {
	return db.outcome(ctx, id, `error = ?, next_attempt_at = ?, attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END`, errMsg, ms(next))
}

// MarkFailed ends a message on a permanent error.
func (db *DB) MarkFailed(ctx context.Context, id int64, errMsg string) error {
	return db.outcome(ctx, id, `error = ?, state = 'failed'`, errMsg)
}

// RecordDelivery stores one status callback and moves the message to
// delivered or failed when the status is final. Callbacks can arrive out of
// order: a final state is never overwritten by a later "sent".
func (db *DB) RecordDelivery(ctx context.Context, providerID, status, errCode string) error {
	if providerID == "" {
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("缺少短信编号", "MessageSid is missing"))
	}
	now := ms(db.Now())
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.SQL(`INSERT INTO sms_deliveries (provider_id, status, error_code, at) VALUES (?, ?, ?, ?)`), providerID, status, errCode, now); err != nil {
			return fmt.Errorf("record delivery: %w", err)
		}
		var state lifeline.OutboxState
		switch status {
		case "delivered", "read":
			state = lifeline.OutboxDelivered
		case "failed", "undelivered":
			state = lifeline.OutboxFailed
		default:
			return nil
		}
		errMsg := ""
		if state == lifeline.OutboxFailed {
			errMsg = strings.TrimSpace(status + " " + errCode)
		}
		_, err := tx.ExecContext(ctx, db.SQL(`UPDATE outbox SET state = ?, error = CASE WHEN ? = '' THEN error ELSE ? END, updated_at = ?
			WHERE provider_id = ? AND state IN ('queued', 'accepted')`), string(state), errMsg, errMsg, now, providerID)
		if err != nil {
			return fmt.Errorf("record delivery: %w", err)
		}
		return nil
	})
}

// OutboxDepth returns how many messages wait to be sent.
func (db *DB) OutboxDepth(ctx context.Context) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE state = 'queued'`).Scan(&n); err != nil {
		return 0, db.unavailable(err)
	}
	return n, nil
}

// SetOptOut turns notifications to a number off (dropping the notices
// that wait for it, but not an answer to what it asked) or back on.
func (db *DB) SetOptOut(ctx context.Context, phone string, out bool) error {
	now := ms(db.Now())
	return db.tx(ctx, func(tx *sql.Tx) error {
		if !out {
			_, err := tx.ExecContext(ctx, db.SQL(`DELETE FROM opt_outs WHERE phone = ?`), phone)
			return err
		}
		if _, err := tx.ExecContext(ctx, db.SQL(`INSERT INTO opt_outs (phone, at) VALUES (?, ?) ON CONFLICT (phone) DO NOTHING`), phone, now); err != nil {
			return fmt.Errorf("opt out: %w", err)
		}
		_, err := tx.ExecContext(ctx, db.SQL(`UPDATE outbox SET state = 'dropped', error = 'opted out', updated_at = ?
			WHERE to_phone = ? AND state = 'queued' AND priority <> 0 AND claimed_until <= ?`), now, phone, now)
		return err
	})
}

// OptedOut reports whether a number turned notifications off.
func (db *DB) OptedOut(ctx context.Context, phone string) (bool, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, db.SQL(`SELECT COUNT(*) FROM opt_outs WHERE phone = ?`), phone).Scan(&n); err != nil {
		return false, db.unavailable(err)
	}
	return n > 0, nil
}

// Cursor returns a named position saved by SetCursor.
func (db *DB) Cursor(ctx context.Context, name string) (int64, bool, error) {
	var v int64
	err := db.r.QueryRowContext(ctx, db.SQL(`SELECT value FROM sms_cursors WHERE name = ?`), name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, db.unavailable(err)
	}
	return v, true, nil
}

// SetCursor saves a named position.
func (db *DB) SetCursor(ctx context.Context, name string, v int64) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.SQL(`INSERT INTO sms_cursors (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`), name, v)
		return err
	})
}

// noticePhones lists, per resident (rid), every phone that may ask about
// them: their own phones, bare phones on an active relative link, and the
// phones of residents on one.
const noticePhones = `
	SELECT p.resident_id AS rid, p.phone FROM phones p
	UNION
	SELECT rl.resident_id, rl.phone FROM relatives rl WHERE rl.phone <> '' AND rl.state IN ('auto_approved', 'approved')
	UNION
	SELECT rl2.resident_id, p2.phone FROM relatives rl2 JOIN phones p2 ON p2.resident_id = rl2.relative_resident_id
		WHERE rl2.state IN ('auto_approved', 'approved')`

// ResultNotices returns one notice per final (not pending) test result
// stored after afterID and per phone that may ask about its resident.
func (db *DB) ResultNotices(ctx context.Context, afterID int64, limit int) ([]lifeline.Notice, int64, error) {
	if afterID < 0 {
		var max sql.NullInt64
		if err := db.r.QueryRowContext(ctx, `SELECT MAX(id) FROM test_results`).Scan(&max); err != nil {
			return nil, 0, db.unavailable(err)
		}
		return nil, max.Int64, nil
	}
	if limit <= 0 {
		limit = 500
	}
	var last sql.NullInt64
	if err := db.r.QueryRowContext(ctx, db.SQL(`SELECT MAX(id) FROM (SELECT id FROM test_results WHERE id > ? ORDER BY id LIMIT ?) t`), afterID, limit).Scan(&last); err != nil {
		return nil, 0, db.unavailable(err)
	}
	if !last.Valid {
		return nil, afterID, nil
	}
	out, err := queryRows(ctx, db, db.r, func(s scanner) (lifeline.Notice, error) {
		var n lifeline.Notice
		var id, sampled int64
		var result string
		err := s.Scan(&id, &n.ResidentID, &n.Name, &result, &sampled, &n.Phone)
		n.Result, n.SampledAt = lifeline.Result(result), fromMS(sampled)
		n.Key = fmt.Sprintf("result:%d:%s", id, n.Phone)
		return n, err
	}, `SELECT x.id, x.resident_id, r.name, x.result, x.sampled_at, ph.phone
		FROM test_results x JOIN residents r ON r.id = x.resident_id
		JOIN (`+noticePhones+`) ph ON ph.rid = x.resident_id
		WHERE x.id > ? AND x.id <= ? AND x.result <> 'pending'
		ORDER BY x.id, ph.phone`, afterID, last.Int64)
	if err != nil {
		return nil, 0, err
	}
	return out, last.Int64, nil
}

// ExpiryNotices returns one notice per unrevoked paper code expiring in
// [from, to) and per phone that may ask about its holder. A resident holding
// several codes is told about the one that expires last.
func (db *DB) ExpiryNotices(ctx context.Context, from, to time.Time) ([]lifeline.Notice, error) {
	return queryRows(ctx, db, db.r, func(s scanner) (lifeline.Notice, error) {
		var n lifeline.Notice
		var exp int64
		err := s.Scan(&n.ResidentID, &n.Name, &exp, &n.Phone)
		n.ExpiresAt = fromMS(exp)
		n.Key = fmt.Sprintf("expiry:%d:%d:%s", n.ResidentID, exp, n.Phone)
		return n, err
	}, `SELECT x.resident_id, r.name, x.expires_at, ph.phone
		FROM (SELECT resident_id, MAX(expires_at) AS expires_at FROM issued_codes WHERE revoked_at = 0 GROUP BY resident_id) x
		JOIN residents r ON r.id = x.resident_id
		JOIN (`+noticePhones+`) ph ON ph.rid = x.resident_id
		WHERE x.expires_at >= ? AND x.expires_at < ?
		ORDER BY x.resident_id, ph.phone`, ms(from), ms(to))
}

// SetPhoneLang records the language a number last texted a command in:
// English is kept, Chinese (the default) forgets the number.
func (db *DB) SetPhoneLang(ctx context.Context, phone string, l lifeline.Lang) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if l != lifeline.En {
			_, err := tx.ExecContext(ctx, db.SQL(`DELETE FROM phone_langs WHERE phone = ?`), phone)
			return err
		}
		_, err := tx.ExecContext(ctx, db.SQL(`INSERT INTO phone_langs (phone, lang, at) VALUES (?, ?, ?)
			ON CONFLICT (phone) DO UPDATE SET lang = excluded.lang, at = excluded.at`), phone, string(l), ms(db.Now()))
		return err
	})
}

// PhoneLang returns the language a number last texted a command in,
// Chinese when it never texted one in English.
func (db *DB) PhoneLang(ctx context.Context, phone string) (lifeline.Lang, error) {
	var l string
	err := db.r.QueryRowContext(ctx, db.SQL(`SELECT lang FROM phone_langs WHERE phone = ?`), phone).Scan(&l)
	if errors.Is(err, sql.ErrNoRows) {
		return lifeline.Zh, nil
	}
	if err != nil {
		return lifeline.Zh, db.unavailable(err)
	}
	return lifeline.ParseLang(l)
}

// EnglishPhones returns every number whose last command was in English.
func (db *DB) EnglishPhones(ctx context.Context) ([]string, error) {
	out, err := queryRows(ctx, db, db.r, scanPhone, `SELECT phone FROM phone_langs WHERE lang = 'en' ORDER BY phone`)
	if err != nil {
		return nil, db.unavailable(err)
	}
	return out, nil
}

// QueuedOfKind returns up to n queued messages of one kind that no sender
// holds, oldest first: the texts a busy voice line promised, waiting for
// their body (see RewriteQueued).
func (db *DB) QueuedOfKind(ctx context.Context, kind string, n int) ([]lifeline.OutboxMessage, error) {
	out, err := queryRows(ctx, db, db.r, scanOutbox, db.SQL(`SELECT `+outboxCols+` FROM outbox
		WHERE state = 'queued' AND kind = ? AND claimed_until <= ? ORDER BY id LIMIT ?`), kind, ms(db.Now()), n)
	if err != nil {
		return nil, db.unavailable(fmt.Errorf("queued messages: %w", err))
	}
	return out, nil
}

// RewriteQueued gives a queued message of kind from a new kind and body
// and makes it due at due, and reports whether it did: not when a sender
// holds it (it may be sending the old body) or it was sent, dropped or
// rewritten already. The claim and the rewrite are each one statement, so
// a message goes out with one body or the other, never a mix.
func (db *DB) RewriteQueued(ctx context.Context, id int64, from, kind, body string, due time.Time) (bool, error) {
	if body == "" {
		return false, lifeline.Errorf(lifeline.EINVALID, lifeline.T("短信缺少内容", "an outbound message needs a body"))
	}
	var n int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := ms(db.Now())
		res, err := tx.ExecContext(ctx, db.SQL(`UPDATE outbox SET kind = ?, body = ?, next_attempt_at = ?, updated_at = ?
			WHERE id = ? AND kind = ? AND state = 'queued' AND claimed_until <= ?`), kind, body, ms(due), now, id, from, now)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, db.unavailable(fmt.Errorf("rewrite queued message: %w", err))
	}
	return n == 1, nil
}
