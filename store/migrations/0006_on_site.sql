-- Residents registered at a desk when they were not on the roster (a
-- visitor, a migrant worker, a foreigner with a passport): the staff screen
-- shows them as such until a roster names them, which clears the mark.
ALTER TABLE residents ADD COLUMN on_site INTEGER NOT NULL DEFAULT 0;
