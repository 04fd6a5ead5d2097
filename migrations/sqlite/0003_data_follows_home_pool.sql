-- Server data follows its owner's home pool: the per-row pool_id of 0001 is dropped, so a
-- normal move changes one row per user instead of every contact, entry and meeting it owns.
-- SQLite cannot drop a column that takes part in a foreign key, so each table is rebuilt and
-- renamed into place. Foreign keys stay on (sqlx runs this in a transaction): children are
-- dropped before their parents so that no ON DELETE action reaches the rebuilt tables, and the
-- renames rewrite the rebuilt tables' references.

CREATE TABLE contact_groups_rebuilt (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES enabled_users (user_id) ON DELETE CASCADE,
    name    TEXT    NOT NULL,
    UNIQUE (user_id, name)
) STRICT;
INSERT INTO contact_groups_rebuilt (id, user_id, name) SELECT id, user_id, name FROM contact_groups;

CREATE TABLE contacts_rebuilt (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES enabled_users (user_id) ON DELETE CASCADE,
    contact_uri  TEXT    NOT NULL,
    display_name TEXT    NOT NULL DEFAULT '',
    group_id     INTEGER REFERENCES contact_groups_rebuilt (id) ON DELETE SET NULL,
    UNIQUE (user_id, contact_uri)
) STRICT;
INSERT INTO contacts_rebuilt (id, user_id, contact_uri, display_name, group_id)
    SELECT id, user_id, contact_uri, display_name, group_id FROM contacts;

DROP TABLE contacts;
DROP TABLE contact_groups;
ALTER TABLE contact_groups_rebuilt RENAME TO contact_groups;
ALTER TABLE contacts_rebuilt RENAME TO contacts;

CREATE TABLE access_entries_rebuilt (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES enabled_users (user_id) ON DELETE CASCADE,
    entry   TEXT    NOT NULL,
    access  TEXT    NOT NULL CHECK (access IN ('allow', 'block')),
    UNIQUE (user_id, entry)
) STRICT;
INSERT INTO access_entries_rebuilt (id, user_id, entry, access)
    SELECT id, user_id, entry, access FROM access_entries;
DROP TABLE access_entries;
ALTER TABLE access_entries_rebuilt RENAME TO access_entries;

CREATE TABLE meetings_rebuilt (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES enabled_users (user_id) ON DELETE CASCADE,
    subject     TEXT    NOT NULL,
    starts_at   INTEGER NOT NULL,
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes > 0)
) STRICT;
INSERT INTO meetings_rebuilt (id, user_id, subject, starts_at, duration_minutes)
    SELECT id, user_id, subject, starts_at, duration_minutes FROM meetings;
DROP TABLE meetings;
ALTER TABLE meetings_rebuilt RENAME TO meetings;

CREATE TABLE presence_items_rebuilt (
    id       INTEGER PRIMARY KEY,
    user_id  INTEGER NOT NULL REFERENCES enabled_users (user_id) ON DELETE CASCADE,
    category TEXT    NOT NULL,
    instance INTEGER NOT NULL DEFAULT 0,
    value    TEXT    NOT NULL,
    UNIQUE (user_id, category, instance)
) STRICT;
INSERT INTO presence_items_rebuilt (id, user_id, category, instance, value)
    SELECT id, user_id, category, instance, value FROM presence_items;
DROP TABLE presence_items;
ALTER TABLE presence_items_rebuilt RENAME TO presence_items;

-- Narrow indexes for counting a user's data (the UNIQUE ones carry the wide text columns).
CREATE INDEX contact_groups_user ON contact_groups (user_id);
CREATE INDEX contacts_user ON contacts (user_id);
CREATE INDEX contacts_group ON contacts (group_id);
CREATE INDEX access_entries_user ON access_entries (user_id);
CREATE INDEX meetings_user ON meetings (user_id);
CREATE INDEX presence_items_user ON presence_items (user_id);
