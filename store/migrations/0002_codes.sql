-- Offline paper codes: every code issued (by its 16-byte serial, the CWT
-- cti), its revocation, and per-key cut-offs (a leaked key: every code it
-- signed before a time is revoked). Times are Unix milliseconds; 0 is
-- "never".

CREATE TABLE issued_codes (
	serial {{BLOB}} PRIMARY KEY,
	resident_id BIGINT NOT NULL REFERENCES residents (id),
	-- hex of the 8-byte COSE kid
	key_id TEXT NOT NULL,
	issued_by TEXT NOT NULL DEFAULT '',
	issued_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	revoked_at BIGINT NOT NULL DEFAULT 0,
	revoke_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX issued_codes_resident ON issued_codes (resident_id, issued_at);
CREATE INDEX issued_codes_key ON issued_codes (key_id, issued_at);
-- the revocation export reads only revoked rows
CREATE INDEX issued_codes_revoked ON issued_codes (revoked_at) WHERE revoked_at <> 0;

CREATE TABLE key_cutoffs (
	key_id TEXT PRIMARY KEY,
	cutoff BIGINT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	set_by TEXT NOT NULL DEFAULT '',
	set_at BIGINT NOT NULL
);
