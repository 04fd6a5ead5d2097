-- UC Admin schema: pools, the directory, enabled users and their per-user server data,
-- operators and sessions. Timestamps are Unix seconds (UTC).

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE pools (
    id         INTEGER PRIMARY KEY,
    fqdn       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    kind       TEXT    NOT NULL CHECK (kind IN ('enterprise', 'standard')),
    version    TEXT    NOT NULL CHECK (version IN ('lcs2005sp1', 'ocs2007', 'ocs2007r2')),
    state      TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'deactivated', 'removed')),
    available  INTEGER NOT NULL DEFAULT 1 CHECK (available IN (0, 1)),
    capacity   INTEGER NOT NULL CHECK (capacity > 0)
) STRICT;

-- The Active Directory side. Users exist here whether or not they are enabled.
CREATE TABLE directory_users (
    id                  INTEGER PRIMARY KEY,
    object_guid         TEXT    NOT NULL UNIQUE,
    display_name        TEXT    NOT NULL,
    given_name          TEXT    NOT NULL DEFAULT '',
    surname             TEXT    NOT NULL DEFAULT '',
    sam_account_name    TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    user_principal_name TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    email               TEXT,
    container           TEXT    NOT NULL,
    department          TEXT,
    account_enabled     INTEGER NOT NULL DEFAULT 1 CHECK (account_enabled IN (0, 1))
) STRICT;
CREATE INDEX directory_users_container ON directory_users (container);
CREATE INDEX directory_users_display_name ON directory_users (display_name COLLATE NOCASE, id);

CREATE TABLE meeting_policies (
    name TEXT PRIMARY KEY
) STRICT;

-- A directory user enabled for the service, homed on a pool.
CREATE TABLE enabled_users (
    user_id            INTEGER PRIMARY KEY REFERENCES directory_users (id) ON DELETE CASCADE,
    sip_uri            TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    pool_id            INTEGER NOT NULL REFERENCES pools (id),
    enhanced_presence  INTEGER NOT NULL DEFAULT 1 CHECK (enhanced_presence IN (0, 1)),
    converted_to_ep    INTEGER NOT NULL DEFAULT 0 CHECK (converted_to_ep IN (0, 1)),
    federation         INTEGER NOT NULL DEFAULT 0 CHECK (federation IN (0, 1)),
    remote_access      INTEGER NOT NULL DEFAULT 0 CHECK (remote_access IN (0, 1)),
    public_im          INTEGER NOT NULL DEFAULT 0 CHECK (public_im IN (0, 1)),
    archiving          TEXT    NOT NULL DEFAULT 'global'
                       CHECK (archiving IN ('global', 'internal', 'federated', 'internal_and_federated', 'disabled')),
    meeting_policy     TEXT    REFERENCES meeting_policies (name),
    telephony          TEXT    NOT NULL DEFAULT 'disabled'
                       CHECK (telephony IN ('disabled', 'enterprise_voice', 'pbx_integration',
                                            'remote_call_control', 'remote_call_control_only')),
    -- Only a user who has signed in with a 2007-or-later client can have been converted.
    CHECK (converted_to_ep = 0 OR enhanced_presence = 1)
) STRICT;
CREATE INDEX enabled_users_pool ON enabled_users (pool_id, sip_uri);

-- Per-user server data. Each row names the pool whose back-end holds it; it is always the
-- user's home pool, which lets a move and its checks be set-based.
CREATE TABLE contact_groups (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES enabled_users (user_id) ON DELETE CASCADE,
    pool_id INTEGER NOT NULL REFERENCES pools (id),
    name    TEXT    NOT NULL,
    UNIQUE (user_id, name)
) STRICT;

CREATE TABLE contacts (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES enabled_users (user_id) ON DELETE CASCADE,
    pool_id      INTEGER NOT NULL REFERENCES pools (id),
    contact_uri  TEXT    NOT NULL,
    display_name TEXT    NOT NULL DEFAULT '',
    group_id     INTEGER REFERENCES contact_groups (id) ON DELETE SET NULL,
    UNIQUE (user_id, contact_uri)
) STRICT;

-- Allow/Block list: a SIP URI or a whole domain.
CREATE TABLE access_entries (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES enabled_users (user_id) ON DELETE CASCADE,
    pool_id INTEGER NOT NULL REFERENCES pools (id),
    entry   TEXT    NOT NULL,
    access  TEXT    NOT NULL CHECK (access IN ('allow', 'block')),
    UNIQUE (user_id, entry)
) STRICT;

CREATE TABLE meetings (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES enabled_users (user_id) ON DELETE CASCADE,
    pool_id     INTEGER NOT NULL REFERENCES pools (id),
    subject     TEXT    NOT NULL,
    starts_at   INTEGER NOT NULL,
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes > 0)
) STRICT;

-- Enhanced presence data: published categories (note, location, calendar state, ...).
CREATE TABLE presence_items (
    id       INTEGER PRIMARY KEY,
    user_id  INTEGER NOT NULL REFERENCES enabled_users (user_id) ON DELETE CASCADE,
    pool_id  INTEGER NOT NULL REFERENCES pools (id),
    category TEXT    NOT NULL,
    instance INTEGER NOT NULL DEFAULT 0,
    value    TEXT    NOT NULL,
    UNIQUE (user_id, category, instance)
) STRICT;

CREATE INDEX contact_groups_user ON contact_groups (user_id);
CREATE INDEX contacts_user ON contacts (user_id);
CREATE INDEX access_entries_user ON access_entries (user_id);
CREATE INDEX meetings_user ON meetings (user_id);
CREATE INDEX presence_items_user ON presence_items (user_id);

CREATE TABLE operators (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE operator_roles (
    operator_id INTEGER NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    role        TEXT    NOT NULL CHECK (role IN ('user_administrator', 'help_desk',
                                                'enterprise_administrator', 'enterprise_user_manager')),
    PRIMARY KEY (operator_id, role)
) STRICT, WITHOUT ROWID;

-- Sessions are looked up by the SHA-256 of the cookie token, so a copy of the database
-- does not hand out live sessions.
CREATE TABLE sessions (
    token_hash   TEXT    PRIMARY KEY,
    operator_id  INTEGER NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_operator ON sessions (operator_id);
