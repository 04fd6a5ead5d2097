-- How much server data each enabled user has, kept exact by triggers. A move's preview (and
-- its audit) needs every user's amounts; reading one row per user instead of counting
-- millions of contacts is what lets a 100,000-user move plan in a fraction of a second.

CREATE TABLE user_data_counts (
    user_id        INTEGER PRIMARY KEY REFERENCES enabled_users (user_id) ON DELETE CASCADE,
    contacts       INTEGER NOT NULL DEFAULT 0,
    contact_groups INTEGER NOT NULL DEFAULT 0,
    allowed        INTEGER NOT NULL DEFAULT 0,
    blocked        INTEGER NOT NULL DEFAULT 0,
    meetings       INTEGER NOT NULL DEFAULT 0,
    presence_items INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO user_data_counts (user_id, contacts, contact_groups, allowed, blocked, meetings, presence_items)
SELECT e.user_id,
       (SELECT COUNT(*) FROM contacts WHERE user_id = e.user_id),
       (SELECT COUNT(*) FROM contact_groups WHERE user_id = e.user_id),
       (SELECT COUNT(*) FROM access_entries WHERE user_id = e.user_id AND access = 'allow'),
       (SELECT COUNT(*) FROM access_entries WHERE user_id = e.user_id AND access = 'block'),
       (SELECT COUNT(*) FROM meetings WHERE user_id = e.user_id),
       (SELECT COUNT(*) FROM presence_items WHERE user_id = e.user_id)
FROM enabled_users e;

CREATE TRIGGER enabled_users_data_counts AFTER INSERT ON enabled_users
BEGIN INSERT INTO user_data_counts (user_id) VALUES (NEW.user_id); END;

CREATE TRIGGER contacts_counted_in AFTER INSERT ON contacts
BEGIN UPDATE user_data_counts SET contacts = contacts + 1 WHERE user_id = NEW.user_id; END;
CREATE TRIGGER contacts_counted_out AFTER DELETE ON contacts
BEGIN UPDATE user_data_counts SET contacts = contacts - 1 WHERE user_id = OLD.user_id; END;

CREATE TRIGGER contact_groups_counted_in AFTER INSERT ON contact_groups
BEGIN UPDATE user_data_counts SET contact_groups = contact_groups + 1 WHERE user_id = NEW.user_id; END;
CREATE TRIGGER contact_groups_counted_out AFTER DELETE ON contact_groups
BEGIN UPDATE user_data_counts SET contact_groups = contact_groups - 1 WHERE user_id = OLD.user_id; END;

CREATE TRIGGER access_entries_counted_in AFTER INSERT ON access_entries
BEGIN
    UPDATE user_data_counts SET allowed = allowed + (NEW.access = 'allow'), blocked = blocked + (NEW.access = 'block')
    WHERE user_id = NEW.user_id;
END;
CREATE TRIGGER access_entries_counted_out AFTER DELETE ON access_entries
BEGIN
    UPDATE user_data_counts SET allowed = allowed - (OLD.access = 'allow'), blocked = blocked - (OLD.access = 'block')
    WHERE user_id = OLD.user_id;
END;
CREATE TRIGGER access_entries_recounted AFTER UPDATE OF access ON access_entries
BEGIN
    UPDATE user_data_counts
    SET allowed = allowed - (OLD.access = 'allow') + (NEW.access = 'allow'),
        blocked = blocked - (OLD.access = 'block') + (NEW.access = 'block')
    WHERE user_id = NEW.user_id;
END;

CREATE TRIGGER meetings_counted_in AFTER INSERT ON meetings
BEGIN UPDATE user_data_counts SET meetings = meetings + 1 WHERE user_id = NEW.user_id; END;
CREATE TRIGGER meetings_counted_out AFTER DELETE ON meetings
BEGIN UPDATE user_data_counts SET meetings = meetings - 1 WHERE user_id = OLD.user_id; END;

CREATE TRIGGER presence_items_counted_in AFTER INSERT ON presence_items
BEGIN UPDATE user_data_counts SET presence_items = presence_items + 1 WHERE user_id = NEW.user_id; END;
CREATE TRIGGER presence_items_counted_out AFTER DELETE ON presence_items
BEGIN UPDATE user_data_counts SET presence_items = presence_items - 1 WHERE user_id = OLD.user_id; END;

-- Server data never changes owner (the counts, and the audit, rely on it).
CREATE TRIGGER contacts_keep_owner BEFORE UPDATE OF user_id ON contacts
BEGIN SELECT RAISE(ABORT, 'server data does not change owner'); END;
CREATE TRIGGER contact_groups_keep_owner BEFORE UPDATE OF user_id ON contact_groups
BEGIN SELECT RAISE(ABORT, 'server data does not change owner'); END;
CREATE TRIGGER access_entries_keep_owner BEFORE UPDATE OF user_id ON access_entries
BEGIN SELECT RAISE(ABORT, 'server data does not change owner'); END;
CREATE TRIGGER meetings_keep_owner BEFORE UPDATE OF user_id ON meetings
BEGIN SELECT RAISE(ABORT, 'server data does not change owner'); END;
CREATE TRIGGER presence_items_keep_owner BEFORE UPDATE OF user_id ON presence_items
BEGIN SELECT RAISE(ABORT, 'server data does not change owner'); END;
