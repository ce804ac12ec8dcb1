-- Staff accounts over their whole life, and logins that lock a user name
-- at one place rather than everywhere.
--
-- An account is disabled (disabled_at) or removed (removed_at) but never
-- deleted: its name stays taken so "staff:wang" in the audit trail always
-- means one person. The lock that was per account (failed_logins,
-- locked_until) moves to login_failures, per user name and place (a desk,
-- an address), so nobody can lock a colleague out of every desk at once;
-- names no account has are counted too, so that they read the same.
ALTER TABLE staff ADD COLUMN disabled_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN removed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE staff DROP COLUMN failed_logins;
ALTER TABLE staff DROP COLUMN locked_until;

CREATE TABLE login_failures (
	username TEXT NOT NULL,
	place TEXT NOT NULL,
	failures INTEGER NOT NULL DEFAULT 0,
	locks INTEGER NOT NULL DEFAULT 0,
	locked_until BIGINT NOT NULL DEFAULT 0,
	last_at BIGINT NOT NULL,
	PRIMARY KEY (username, place)
);
CREATE INDEX login_failures_last ON login_failures (last_at);

-- SSH public keys that log a staff account in; a key belongs to one
-- account.
CREATE TABLE staff_keys (
	id {{ID}},
	staff_id BIGINT NOT NULL REFERENCES staff (id),
	fingerprint TEXT NOT NULL UNIQUE,
	public_key TEXT NOT NULL,
	comment TEXT NOT NULL DEFAULT '',
	added_at BIGINT NOT NULL
);
CREATE INDEX staff_keys_staff ON staff_keys (staff_id);

-- Where the actor was (a desk, an SSH session and its address, the command
-- line) and what they said of themselves (the command line's --by).
ALTER TABLE audit_log ADD COLUMN place TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN note TEXT NOT NULL DEFAULT '';
