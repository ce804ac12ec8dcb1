-- The voice line speaks English to a number that texted in English: the
-- numbers whose last command by SMS was in English. A number that goes
-- back to Chinese is deleted, so the table holds the few English ones.
CREATE TABLE phone_langs (
	phone TEXT PRIMARY KEY,
	lang TEXT NOT NULL,
	at BIGINT NOT NULL
);
