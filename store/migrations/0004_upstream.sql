-- Named leases: which replica does a one-at-a-time job (delivering
-- registrations upstream in order) and until when. A row is claimed with one
-- INSERT ... ON CONFLICT DO UPDATE ... WHERE, which both SQLite and
-- PostgreSQL run atomically, so two replicas never both hold a live lease.
CREATE TABLE leases (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	expires_at BIGINT NOT NULL
);
