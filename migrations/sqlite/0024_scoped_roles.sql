-- Scoped roles (like New-CsAdminRole): a role made from a template and limited to directory
-- containers, organizations and pools. A term's value is a container's distinguished name or
-- an organization's or pool's id; a term naming something that no longer exists matches no one.
CREATE TABLE scoped_roles (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    template   TEXT    NOT NULL CHECK (template IN ('user_administrator', 'help_desk', 'enterprise_user_manager')),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE scoped_role_terms (
    role_id INTEGER NOT NULL REFERENCES scoped_roles (id) ON DELETE CASCADE,
    kind    TEXT    NOT NULL CHECK (kind IN ('container', 'organization', 'pool')),
    value   TEXT    NOT NULL,
    PRIMARY KEY (role_id, kind, value)
) STRICT, WITHOUT ROWID;

CREATE TABLE operator_scoped_roles (
    operator_id INTEGER NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    role_id     INTEGER NOT NULL REFERENCES scoped_roles (id) ON DELETE CASCADE,
    PRIMARY KEY (operator_id, role_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX operator_scoped_roles_role ON operator_scoped_roles (role_id);
