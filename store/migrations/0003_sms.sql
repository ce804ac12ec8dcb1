-- The SMS gateway: inbound messages by Twilio's MessageSid (a retry gets the
-- stored reply), the durable outbox, opt-outs, delivery callbacks and the
-- cursors of the notification scans. Times are Unix milliseconds.

CREATE TABLE inbound_messages (
	sid TEXT PRIMARY KEY,
	from_phone TEXT NOT NULL,
	command TEXT NOT NULL DEFAULT '',
	reply TEXT NOT NULL DEFAULT '',
	received_at BIGINT NOT NULL,
	finished_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX inbound_messages_received ON inbound_messages (received_at);

CREATE TABLE outbox (
	id {{ID}},
	to_phone TEXT NOT NULL,
	body TEXT NOT NULL,
	kind TEXT NOT NULL DEFAULT '',
	-- NULL when the caller gave no key: NULLs never collide
	dedupe_key TEXT UNIQUE,
	state TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL DEFAULT 0,
	claimed_by TEXT NOT NULL DEFAULT '',
	claimed_until BIGINT NOT NULL DEFAULT 0,
	-- 1 from a claim until its outcome is recorded; a claim that finds it
	-- still 1 knows the previous sender died mid-send
	sending INTEGER NOT NULL DEFAULT 0,
	in_doubt INTEGER NOT NULL DEFAULT 0,
	provider_id TEXT NOT NULL DEFAULT '',
	error TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at, id);
CREATE INDEX outbox_provider ON outbox (provider_id);
CREATE INDEX outbox_to ON outbox (to_phone, state);

CREATE TABLE opt_outs (
	phone TEXT PRIMARY KEY,
	at BIGINT NOT NULL
);

-- Every status callback, in the order received; the outbox row keeps the
-- final state.
CREATE TABLE sms_deliveries (
	id {{ID}},
	provider_id TEXT NOT NULL,
	status TEXT NOT NULL,
	error_code TEXT NOT NULL DEFAULT '',
	at BIGINT NOT NULL
);
CREATE INDEX sms_deliveries_provider ON sms_deliveries (provider_id);

CREATE TABLE sms_cursors (
	name TEXT PRIMARY KEY,
	value BIGINT NOT NULL
);
