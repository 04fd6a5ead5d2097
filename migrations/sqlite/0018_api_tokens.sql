-- Personal access tokens of the scripting API (/api/v1). Only a hash of the secret is kept;
-- `permissions` is the comma-separated subset of its operator's permissions the token may use.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    operator_id  INTEGER NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    permissions  TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER,
    revoked_by   TEXT
) STRICT;
CREATE INDEX api_tokens_operator ON api_tokens (operator_id, created_at);

-- The API token an audited change was made through (NULL: the browser or the command line).
ALTER TABLE audit_events ADD COLUMN api_token TEXT;
