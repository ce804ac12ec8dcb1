-- Residents, households, statuses, test results, relatives, staff, audit,
-- on-site registrations and the print queue. Times are Unix milliseconds.

-- A resident's household is checked at commit (DEFERRABLE): the import
-- writes residents with multi-row INSERTs, and a deferred check needs no
-- statement journal. phones and name_grams are search indexes over
-- residents, written only with their resident, so they carry no foreign
-- key: checking one per gram would cost a big import a fifth of its time.

CREATE TABLE households (
	id {{ID}},
	community TEXT NOT NULL,
	building TEXT NOT NULL,
	unit TEXT NOT NULL,
	room TEXT NOT NULL,
	UNIQUE (community, building, unit, room)
);
CREATE INDEX households_building ON households (building, unit, room);

CREATE TABLE residents (
	id {{ID}},
	name {{CTEXT}} NOT NULL,
	doc_type TEXT NOT NULL,
	doc_number TEXT NOT NULL,
	-- the document number reversed, so "last 4-6 characters" is an index range
	doc_rev {{CTEXT}} NOT NULL,
	nationality TEXT NOT NULL DEFAULT '',
	birth TEXT NOT NULL DEFAULT '',
	sex TEXT NOT NULL DEFAULT '',
	household_id BIGINT REFERENCES households (id) DEFERRABLE INITIALLY DEFERRED,
	needs_manual INTEGER NOT NULL DEFAULT 0,
	color TEXT NOT NULL DEFAULT '',
	color_reason TEXT NOT NULL DEFAULT '',
	color_at BIGINT NOT NULL DEFAULT 0,
	latest_test_id BIGINT,
	status_updated_at BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
-- One index answers "this document" and "a document ending in ...": it is
-- keyed on the reversed number, unique with the type (reversing is
-- one-to-one; doc_number rides along so a lookup returning it is answered
-- from the index alone). Documents of type "none" have an empty number and
-- are left out; queries repeat "doc_number <> ''" so the planner may use
-- the index.
CREATE UNIQUE INDEX residents_doc ON residents (doc_rev, doc_type, doc_number) WHERE doc_number <> '';
CREATE INDEX residents_name ON residents (name);
-- household members in name order: address search and batch printing read
-- residents in this order without sorting
CREATE INDEX residents_household ON residents (household_id, name);

-- A passport number can change without losing the person: old documents
-- still find them.
CREATE TABLE resident_documents (
	resident_id BIGINT NOT NULL REFERENCES residents (id),
	doc_type TEXT NOT NULL,
	doc_number TEXT NOT NULL,
	nationality TEXT NOT NULL DEFAULT '',
	replaced_at BIGINT NOT NULL,
	PRIMARY KEY (doc_type, doc_number)
);
CREATE INDEX resident_documents_number ON resident_documents (doc_number);
CREATE INDEX resident_documents_resident ON resident_documents (resident_id);

-- Name search: pairs of adjacent characters of a name and its last
-- character alone, lower case, spaces dropped (the exact rule, including
-- which leading pair is left to residents_name, is on nameGrams in
-- store/roster.go). One character is a prefix range, two or more are pairs
-- that must all be present: an index lookup, not a scan.
CREATE TABLE name_grams (
	gram TEXT NOT NULL,
	resident_id BIGINT NOT NULL,
	PRIMARY KEY (gram, resident_id)
){{NOROWID}};

-- A resident's phones in order. One index serves both searches: the last 4
-- digits (tail4 = ?) and a whole number (tail4 = ? AND phone = ?: always
-- give the tail with the phone, or the lookup scans).
CREATE TABLE phones (
	resident_id BIGINT NOT NULL,
	position INTEGER NOT NULL,
	phone TEXT NOT NULL,
	tail4 TEXT NOT NULL,
	PRIMARY KEY (resident_id, position)
){{NOROWID}};
CREATE INDEX phones_tail ON phones (tail4, phone);

CREATE TABLE test_results (
	id {{ID}},
	resident_id BIGINT NOT NULL REFERENCES residents (id),
	sampled_at BIGINT NOT NULL,
	result TEXT NOT NULL,
	site TEXT NOT NULL DEFAULT '',
	tube TEXT NOT NULL DEFAULT '',
	external_id TEXT,
	received_at BIGINT NOT NULL
);
CREATE INDEX test_results_resident ON test_results (resident_id, sampled_at);
CREATE UNIQUE INDEX test_results_external ON test_results (external_id) WHERE external_id IS NOT NULL;
-- one sample per resident per moment: re-importing the same file changes nothing
CREATE UNIQUE INDEX test_results_sample ON test_results (resident_id, sampled_at, site);

-- Updates pushed by the platform or a lab, by their own id, so a retry
-- changes nothing.
CREATE TABLE status_updates (
	external_id TEXT PRIMARY KEY,
	resident_id BIGINT NOT NULL REFERENCES residents (id),
	received_at BIGINT NOT NULL
);

CREATE TABLE relatives (
	id {{ID}},
	resident_id BIGINT NOT NULL REFERENCES residents (id),
	relative_resident_id BIGINT REFERENCES residents (id),
	phone TEXT NOT NULL DEFAULT '',
	relation TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL DEFAULT '',
	reviewed_by TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	reviewed_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX relatives_resident ON relatives (resident_id);
CREATE INDEX relatives_relative ON relatives (relative_resident_id);
CREATE INDEX relatives_phone ON relatives (phone);
CREATE INDEX relatives_state ON relatives (state, created_at);

CREATE TABLE staff (
	id {{ID}},
	username TEXT NOT NULL UNIQUE,
	community TEXT NOT NULL DEFAULT '',
	role TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	failed_logins INTEGER NOT NULL DEFAULT 0,
	locked_until BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL
);

CREATE TABLE audit_log (
	id {{ID}},
	at BIGINT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	resident_id BIGINT,
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_resident ON audit_log (resident_id, id);

CREATE TABLE registrations (
	id {{ID}},
	resident_id BIGINT NOT NULL REFERENCES residents (id),
	tube TEXT NOT NULL,
	site TEXT NOT NULL DEFAULT '',
	sampled_at BIGINT NOT NULL,
	staff TEXT NOT NULL DEFAULT '',
	idempotency_key TEXT NOT NULL UNIQUE,
	created_at BIGINT NOT NULL,
	delivered_at BIGINT NOT NULL DEFAULT 0,
	attempts INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX registrations_pending ON registrations (delivered_at, id);
CREATE INDEX registrations_resident ON registrations (resident_id);

CREATE TABLE print_requests (
	id {{ID}},
	resident_id BIGINT NOT NULL REFERENCES residents (id),
	source TEXT NOT NULL,
	requested_at BIGINT NOT NULL,
	done_at BIGINT NOT NULL DEFAULT 0,
	done_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX print_requests_open ON print_requests (done_at, requested_at);
-- one open request per resident
CREATE UNIQUE INDEX print_requests_one_open ON print_requests (resident_id) WHERE done_at = 0;
