-- Testing rounds: who is to be sampled by when (rounds, round_members),
-- pooled tubes and the swabs in them (tubes, registrations.tube_id), and
-- door-to-door visits. Times are Unix milliseconds.

CREATE TABLE rounds (
	id {{ID}},
	community TEXT NOT NULL,
	-- the buildings it is limited to, joined by U+001F; '' for the whole community
	buildings TEXT NOT NULL DEFAULT '',
	pool INTEGER NOT NULL,
	starts_at BIGINT NOT NULL,
	due_at BIGINT NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	residents INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX rounds_community ON rounds (community, id);

-- One row per resident to be sampled, written when the round opens, with
-- what the progress counts and the missing list read, so that neither
-- joins the residents of a whole community: the building, the
-- door-to-door sort key (lifeline.DoorKey), where they stand (state:
-- missing or sampled; retest) and their latest sample in the round.
CREATE TABLE round_members (
	round_id BIGINT NOT NULL REFERENCES rounds (id),
	resident_id BIGINT NOT NULL REFERENCES residents (id),
	building TEXT NOT NULL,
	door {{CTEXT}} NOT NULL,
	state TEXT NOT NULL DEFAULT 'missing',
	retest INTEGER NOT NULL DEFAULT 0,
	tube_id BIGINT,
	sampled_at BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (round_id, resident_id)
);
-- progress: a count per building and standing, from the index alone
CREATE INDEX round_members_progress ON round_members (round_id, building, state, retest);
-- a building's missing list in door order, without sorting
CREATE INDEX round_members_door ON round_members (round_id, building, state, door);
CREATE INDEX round_members_resident ON round_members (resident_id);
-- the members whose latest sample is in a tube, and where they stand, for
-- its result: a result that moves no one reads the index alone
CREATE INDEX round_members_tube ON round_members (tube_id, state, retest) WHERE tube_id IS NOT NULL;

CREATE TABLE tubes (
	id {{ID}},
	round_id BIGINT NOT NULL REFERENCES rounds (id),
	code TEXT NOT NULL UNIQUE,
	size INTEGER NOT NULL,
	-- how many swabs it holds: a tube fills with one conditional UPDATE
	-- (members < size), which keeps it from overfilling under replicas
	members INTEGER NOT NULL DEFAULT 0,
	site TEXT NOT NULL DEFAULT '',
	staff TEXT NOT NULL DEFAULT '',
	idempotency_key TEXT NOT NULL UNIQUE,
	opened_at BIGINT NOT NULL,
	closed_at BIGINT NOT NULL DEFAULT 0,
	delivered_at BIGINT NOT NULL DEFAULT 0,
	attempts INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	result TEXT NOT NULL DEFAULT '',
	result_id TEXT NOT NULL DEFAULT '',
	result_at BIGINT NOT NULL DEFAULT 0
);
-- closed tubes waiting to be delivered, in the order they closed
CREATE INDEX tubes_pending ON tubes (delivered_at, closed_at, id);
CREATE INDEX tubes_round ON tubes (round_id, closed_at);

-- A swab in a pooled tube is a registration with its tube and round: it
-- is delivered with the tube. open_round is the round while the tube is
-- open and NULL once it closes, so that the unique index keeps a person
-- out of two open tubes of one round, whichever replica adds them.
ALTER TABLE registrations ADD COLUMN tube_id BIGINT REFERENCES tubes (id);
ALTER TABLE registrations ADD COLUMN round_id BIGINT REFERENCES rounds (id);
ALTER TABLE registrations ADD COLUMN open_round BIGINT;
CREATE INDEX registrations_tube ON registrations (tube_id, id) WHERE tube_id IS NOT NULL;
CREATE UNIQUE INDEX registrations_open_tube ON registrations (open_round, resident_id) WHERE open_round IS NOT NULL;
-- registrations delivered alone (not in a tube), waiting, in order
DROP INDEX registrations_pending;
CREATE INDEX registrations_pending ON registrations (delivered_at, id) WHERE tube_id IS NULL;

-- Every door-to-door visit, as marked.
CREATE TABLE visits (
	id {{ID}},
	round_id BIGINT NOT NULL REFERENCES rounds (id),
	resident_id BIGINT NOT NULL REFERENCES residents (id),
	mark TEXT NOT NULL,
	at BIGINT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	staff TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);
CREATE INDEX visits_member ON visits (round_id, resident_id, at);
