-- Security: sessions get a handle an administrator can list and end (the token hash stays
-- the secret lookup key) and remember where they were opened; failed sign-ins are counted per
-- account name and per client address to slow down and then lock out guessing.

CREATE TABLE sessions_new (
    id             INTEGER PRIMARY KEY,
    token_hash     TEXT    NOT NULL UNIQUE,
    operator_id    INTEGER NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at     INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    client_address TEXT    NOT NULL DEFAULT '',
    user_agent     TEXT    NOT NULL DEFAULT ''
) STRICT;
INSERT INTO sessions_new (token_hash, operator_id, created_at, last_seen_at, expires_at)
    SELECT token_hash, operator_id, created_at, last_seen_at, expires_at FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_operator ON sessions (operator_id);

-- One row per throttled key: `account` keys are the typed user name, lower-cased, whether or
-- not such an operator exists (so a lockout reveals nothing); `address` keys are client IPs.
CREATE TABLE sign_in_throttle (
    scope           TEXT    NOT NULL CHECK (scope IN ('account', 'address')),
    key             TEXT    NOT NULL,
    failures        INTEGER NOT NULL CHECK (failures >= 0),
    last_failure_at INTEGER NOT NULL,
    -- No attempt is checked before this time (0: none pending).
    blocked_until   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, key)
) STRICT, WITHOUT ROWID;
