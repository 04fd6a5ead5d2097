-- The cached data counts were kept by a trigger per row: an UPDATE of user_data_counts for
-- every contact, list entry, meeting or presence item inserted or deleted, which made bulk
-- work (a deployment's generation, a force move's or a delete's removal of data) spend most of
-- its time there. Triggers per statement see all the rows a statement changed (transition
-- tables) and update each owner's counts once.
DROP TRIGGER contacts_counted ON contacts;
DROP TRIGGER contact_groups_counted ON contact_groups;
DROP TRIGGER meetings_counted ON meetings;
DROP TRIGGER presence_items_counted ON presence_items;
DROP TRIGGER access_entries_counted ON access_entries;
DROP FUNCTION user_data_counted();
DROP FUNCTION access_entries_counted();

-- Adds (INSERT) or takes away (DELETE) the statement's rows, per owner, in the count column
-- TG_ARGV[0].
CREATE FUNCTION user_data_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'UPDATE user_data_counts c SET %1$I = c.%1$I + $1 * n.rows
         FROM (SELECT user_id, COUNT(*) AS rows FROM changed GROUP BY user_id) n
         WHERE c.user_id = n.user_id', TG_ARGV[0])
    USING CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
    RETURN NULL;
END $$;

CREATE TRIGGER contacts_counted_in AFTER INSERT ON contacts REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION user_data_counted('contacts');
CREATE TRIGGER contacts_counted_out AFTER DELETE ON contacts REFERENCING OLD TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION user_data_counted('contacts');
CREATE TRIGGER contact_groups_counted_in AFTER INSERT ON contact_groups REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION user_data_counted('contact_groups');
CREATE TRIGGER contact_groups_counted_out AFTER DELETE ON contact_groups REFERENCING OLD TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION user_data_counted('contact_groups');
CREATE TRIGGER meetings_counted_in AFTER INSERT ON meetings REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION user_data_counted('meetings');
CREATE TRIGGER meetings_counted_out AFTER DELETE ON meetings REFERENCING OLD TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION user_data_counted('meetings');
CREATE TRIGGER presence_items_counted_in AFTER INSERT ON presence_items REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION user_data_counted('presence_items');
CREATE TRIGGER presence_items_counted_out AFTER DELETE ON presence_items REFERENCING OLD TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION user_data_counted('presence_items');

-- Allow and Block entries: counted by their access, which an UPDATE can change.
CREATE FUNCTION access_entries_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE user_data_counts c
        SET allowed = c.allowed - n.allowed, blocked = c.blocked - n.blocked
        FROM (SELECT user_id, COUNT(*) FILTER (WHERE access = 'allow') AS allowed,
                     COUNT(*) FILTER (WHERE access = 'block') AS blocked
              FROM old_rows GROUP BY user_id) n
        WHERE c.user_id = n.user_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE user_data_counts c
        SET allowed = c.allowed + n.allowed, blocked = c.blocked + n.blocked
        FROM (SELECT user_id, COUNT(*) FILTER (WHERE access = 'allow') AS allowed,
                     COUNT(*) FILTER (WHERE access = 'block') AS blocked
              FROM new_rows GROUP BY user_id) n
        WHERE c.user_id = n.user_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER access_entries_counted_in AFTER INSERT ON access_entries REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION access_entries_counted();
CREATE TRIGGER access_entries_counted_out AFTER DELETE ON access_entries REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION access_entries_counted();
CREATE TRIGGER access_entries_counted_change AFTER UPDATE ON access_entries
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION access_entries_counted();
