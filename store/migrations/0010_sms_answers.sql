-- Every text is answered: the inbound log is the queue of answers still
-- owed. state (lifeline.InboundState): 0 pending (accepted, to be answered
-- through the outbox), 1 answered inline, 2 answer in the outbox, 3 left
-- unanswered on purpose. Rows stored before this migration were answered
-- inline. Only pending rows are in the partial index, so a message
-- answered at once costs no index entry.
ALTER TABLE inbound_messages ADD COLUMN state INTEGER NOT NULL DEFAULT 1;
ALTER TABLE inbound_messages ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE inbound_messages ADD COLUMN claimed_until BIGINT NOT NULL DEFAULT 0;
CREATE INDEX inbound_messages_pending ON inbound_messages (received_at) WHERE state = 0;

-- Answers go before notices (priority 0, then 1); asked_at is when the
-- text an answer answers arrived.
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
ALTER TABLE outbox ADD COLUMN asked_at BIGINT NOT NULL DEFAULT 0;
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (state, priority, next_attempt_at, id);

-- A provider's message id belongs to one outbox message: a sender that
-- looks for a message it may have sent before a crash cannot take another
-- message's (answers to one number often read the same).
CREATE UNIQUE INDEX outbox_provider_once ON outbox (provider_id) WHERE provider_id <> '';

-- The sending rate of an account, shared by every sender on every
-- replica: a token bucket in thousandths of a message.
CREATE TABLE send_pace (
	account TEXT PRIMARY KEY,
	millis BIGINT NOT NULL,
	at BIGINT NOT NULL
);
