//! The SQL that differs between the engines, in one place. Every other query is written once,
//! in SQL both engines accept; where they part, the query asks its engine for the fragment.
//!
//! Lists of ids and rows travel to the database as one JSON array parameter (SQLite has no
//! array type, and the `Any` driver binds none): SQLite reads it with `json_each`, PostgreSQL
//! with `jsonb_array_elements`.

use super::db::Engine;

impl Engine {
    /// Rows `(key, value)` of a JSON array of integers bound at `param` (`$1`): `key` is the
    /// 0-based position, `value` the integer. A FROM item: give it an alias.
    pub fn id_rows(self, param: &str) -> String {
        self.array_rows(param, "jsonb_array_elements_text", "CAST(e.value AS BIGINT)")
    }

    /// Rows `(key, value)` of a JSON array of strings bound at `param`.
    pub fn text_rows(self, param: &str) -> String {
        self.array_rows(param, "jsonb_array_elements_text", "e.value")
    }

    /// Rows `(key, value)` of a JSON array of arrays or objects bound at `param`: read an
    /// element's parts with `value ->> 0` or `value ->> 'name'` (text; cast numbers).
    pub fn json_rows(self, param: &str) -> String {
        self.array_rows(param, "jsonb_array_elements", "e.value")
    }

    /// SQLite's `json_each` gives the elements as SQL values already; PostgreSQL's `elements`
    /// function gives JSON or text, which `value` turns into the element.
    fn array_rows(self, param: &str, elements: &str, value: &str) -> String {
        match self {
            Engine::Sqlite => format!("(SELECT key, value FROM json_each({param}))"),
            Engine::Postgres => format!(
                "(SELECT e.ordinality - 1 AS key, {value} AS value
                  FROM {elements}(CAST({param} AS jsonb)) WITH ORDINALITY AS e(value, ordinality))"
            ),
        }
    }

    /// The UPDATE writing the outcomes of a chunk of a job's users: `$1` a JSON array of
    /// `[outcome, reason, data kept, data lost]`, one per user from position `$2`, of job `$3`,
    /// `$4` users. SQLite picks each line's element by its position (a join would make it scan
    /// the job's users for each element); PostgreSQL joins the elements, parsed once.
    pub fn job_outcomes_update(self) -> &'static str {
        match self {
            Engine::Sqlite => {
                "UPDATE job_users
                 SET outcome = json_extract($1, '$[' || (position - $2) || '][0]'),
                     reason = json_extract($1, '$[' || (position - $2) || '][1]'),
                     data_kept = json_extract($1, '$[' || (position - $2) || '][2]'),
                     data_lost = json_extract($1, '$[' || (position - $2) || '][3]')
                 WHERE job_id = $3 AND position >= $2 AND position < $2 + $4"
            }
            Engine::Postgres => {
                "UPDATE job_users
                 SET outcome = r.value ->> 0, reason = r.value ->> 1,
                     data_kept = CAST(r.value ->> 2 AS BIGINT), data_lost = CAST(r.value ->> 3 AS BIGINT)
                 FROM jsonb_array_elements(CAST($1 AS jsonb)) WITH ORDINALITY AS r(value, ordinality)
                 WHERE job_users.job_id = $3 AND job_users.position = $2 + r.ordinality - 1
                   AND job_users.position >= $2 AND job_users.position < $2 + $4"
            }
        }
    }

    /// `expr` matches the LIKE pattern `placeholder` (escaped with `\`), ignoring the case of
    /// ASCII letters as SQLite's LIKE does. PostgreSQL's LIKE respects case and refuses the
    /// case-insensitive collation, so it compares the lower-cased bytes (collation "C", whose
    /// lower() folds ASCII letters only): the form its trigram indexes are built on.
    pub fn like(self, expr: &str, placeholder: &str) -> String {
        match self {
            Engine::Sqlite => format!("{expr} LIKE {placeholder} ESCAPE '\\'"),
            Engine::Postgres => {
                format!("lower({expr} COLLATE \"C\") LIKE lower({placeholder} COLLATE \"C\") ESCAPE '\\'")
            }
        }
    }

    /// What turns a statement into the description of its plan (the benchmarks print it).
    pub fn explain(self) -> &'static str {
        match self {
            Engine::Sqlite => "EXPLAIN QUERY PLAN ",
            Engine::Postgres => "EXPLAIN ",
        }
    }

    /// An ORDER BY expression ordering text as SQLite's NOCASE does: bytes, with the ASCII
    /// letters folded (PostgreSQL's `lower` under collation "C" folds only those).
    pub fn nocase_order(self, expr: &str) -> String {
        match self {
            Engine::Sqlite => format!("{expr} COLLATE NOCASE"),
            Engine::Postgres => format!("lower({expr} COLLATE \"C\")"),
        }
    }

    /// A JSON text column read as JSON, for `->>`.
    pub fn json(self, column: &str) -> String {
        match self {
            Engine::Sqlite => column.to_owned(),
            Engine::Postgres => format!("CAST({column} AS jsonb)"),
        }
    }

    /// A JSON object column with the string at `key` blanked (`""`), as JSON text.
    pub fn json_blank_key(self, column: &str, key: &str) -> String {
        match self {
            Engine::Sqlite => format!("json_set({column}, '$.{key}', '')"),
            Engine::Postgres => {
                format!("CAST(jsonb_set(CAST({column} AS jsonb), '{{{key}}}', '\"\"') AS TEXT)")
            }
        }
    }

    /// A JSON array of the values of `expr` over a group's rows, in `order`, as JSON text.
    pub fn json_array_agg(self, expr: &str, order: &str) -> String {
        match self {
            Engine::Sqlite => format!("json_group_array({expr} ORDER BY {order})"),
            Engine::Postgres => format!("COALESCE(CAST(json_agg({expr} ORDER BY {order}) AS TEXT), '[]')"),
        }
    }

    /// A JSON array of these SQL values.
    pub fn json_array(self, items: &[&str]) -> String {
        match self {
            Engine::Sqlite => format!("json_array({})", items.join(", ")),
            Engine::Postgres => format!("json_build_array({})", items.join(", ")),
        }
    }

    /// A condition as a JSON `true` or `false`, for `json_array`.
    pub fn json_bool(self, condition: &str) -> String {
        match self {
            Engine::Sqlite => format!("json(CASE WHEN {condition} THEN 'true' ELSE 'false' END)"),
            Engine::Postgres => format!("({condition})"),
        }
    }

    /// An integer expression written with at least `digits` digits, zeros in front.
    pub fn zero_padded(self, expr: &str, digits: usize) -> String {
        match self {
            Engine::Sqlite => format!("printf('%0{digits}d', {expr})"),
            Engine::Postgres => format!("to_char({expr}, 'FM{}')", "0".repeat(digits)),
        }
    }

    /// After rows were inserted with ids of their own: new rows of `table` get ids after the
    /// highest (PostgreSQL's identity does not see ids given explicitly; SQLite's rowid does).
    pub fn after_explicit_ids(self, table: &str) -> Option<String> {
        match self {
            Engine::Sqlite => None,
            Engine::Postgres => Some(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )),
        }
    }
}
