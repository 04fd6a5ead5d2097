-- The lists' quick filter matches text anywhere in the display name or the SIP URI. The URIs
-- have their trigram index (0006); this one gives the display names theirs, so that a filter
-- reads the users it names instead of every user of the node (165 ms over a 75,000-user
-- forest). Names are stored lower-cased as SQLite's lower() does (ASCII letters only) and
-- filters are lower-cased the same way: GLOB on that is exactly the filter's LIKE.
CREATE VIRTUAL TABLE display_name_trigrams USING fts5 (
    name, tokenize = 'trigram case_sensitive 1', detail = 'none'
);
INSERT INTO display_name_trigrams (rowid, name) SELECT id, lower(display_name) FROM directory_users;

CREATE TRIGGER directory_users_trigrams_insert AFTER INSERT ON directory_users
BEGIN INSERT INTO display_name_trigrams (rowid, name) VALUES (NEW.id, lower(NEW.display_name)); END;
CREATE TRIGGER directory_users_trigrams_delete AFTER DELETE ON directory_users
BEGIN DELETE FROM display_name_trigrams WHERE rowid = OLD.id; END;
CREATE TRIGGER directory_users_trigrams_update AFTER UPDATE OF display_name ON directory_users
BEGIN UPDATE display_name_trigrams SET name = lower(NEW.display_name) WHERE rowid = NEW.id; END;
