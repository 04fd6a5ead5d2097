-- The lists' quick filter matches text anywhere in the display name or the SIP URI, compared
-- as lower-cased bytes (Engine::like). The URIs have their trigram index on that expression
-- (0001); this gives the display names theirs, so that a filter reads the users it names.
CREATE INDEX directory_users_name_trigrams ON directory_users USING gin ((lower(display_name COLLATE "C")) gin_trgm_ops);
