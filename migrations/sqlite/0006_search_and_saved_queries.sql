-- Finding users: a trigram index over the lower-cased SIP URIs, so that a pattern such as
-- `*abc*` is answered from the index instead of a scan of every user, and the operators' saved
-- searches. Audit filters by operator get an index too.

-- GLOB on a trigram table is case-sensitive and uses the index; the URIs are stored lower-case
-- and patterns are lower-cased, which makes the search case-insensitive. `detail = 'none'`
-- keeps the index small: the portal re-checks every candidate with LIKE on the real URI.
CREATE VIRTUAL TABLE sip_uri_trigrams USING fts5 (
    sip, tokenize = 'trigram case_sensitive 1', detail = 'none'
);
INSERT INTO sip_uri_trigrams (rowid, sip) SELECT user_id, lower(sip_uri) FROM enabled_users;

CREATE TRIGGER enabled_users_trigrams_insert AFTER INSERT ON enabled_users
BEGIN INSERT INTO sip_uri_trigrams (rowid, sip) VALUES (NEW.user_id, lower(NEW.sip_uri)); END;
CREATE TRIGGER enabled_users_trigrams_delete AFTER DELETE ON enabled_users
BEGIN DELETE FROM sip_uri_trigrams WHERE rowid = OLD.user_id; END;
CREATE TRIGGER enabled_users_trigrams_update AFTER UPDATE OF sip_uri ON enabled_users
BEGIN UPDATE sip_uri_trigrams SET sip = lower(NEW.sip_uri) WHERE rowid = NEW.user_id; END;

CREATE TABLE saved_queries (
    id          INTEGER PRIMARY KEY,
    operator_id INTEGER NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL COLLATE NOCASE,
    -- The search's URL form (domain::search::UserSearch::to_query_string).
    query       TEXT    NOT NULL,
    shared      INTEGER NOT NULL DEFAULT 0 CHECK (shared IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (operator_id, name)
) STRICT;

CREATE INDEX audit_events_operator ON audit_events (operator_name COLLATE NOCASE, at);
