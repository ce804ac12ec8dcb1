-- Versions of the signed lists checkpoints receive (docs/offline-code.md).
-- Every revocation is a numbered change: the revoking transaction takes the
-- next number from list_counters, whose row it then holds locked until it
-- commits, so changes are numbered in the order they commit and a version
-- that includes change N includes every change before it. A version of the
-- revocation list is fixed when published: the codes revoked by change seq
-- whose expiry is not before horizon (they leave a day after they expire).

ALTER TABLE issued_codes ADD COLUMN revoked_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE key_cutoffs ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE list_counters (
	name TEXT PRIMARY KEY,
	value BIGINT NOT NULL
);
INSERT INTO list_counters (name, value) VALUES ('revocation_change', 0), ('trust_version', 0);

-- Revocations made before changes were numbered are change 1.
UPDATE issued_codes SET revoked_seq = 1 WHERE revoked_at <> 0;
UPDATE key_cutoffs SET seq = 1;
UPDATE list_counters SET value = 1 WHERE name = 'revocation_change'
	AND (EXISTS (SELECT 1 FROM issued_codes WHERE revoked_at <> 0) OR EXISTS (SELECT 1 FROM key_cutoffs));

CREATE TABLE revocation_versions (
	version BIGINT PRIMARY KEY,
	seq BIGINT NOT NULL,
	horizon BIGINT NOT NULL,
	cut_at BIGINT NOT NULL
);
