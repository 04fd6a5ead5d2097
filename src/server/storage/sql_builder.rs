//! Builds a query with a variable shape (optional filters, lists of values), numbering its
//! parameters `$1, $2, …`, which both engines accept. sqlx's own `QueryBuilder` writes the
//! placeholders of the `Any` driver as `?`, which PostgreSQL refuses.

use super::db::Engine;
use sqlx::any::AnyArguments;
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{Any, Arguments, Encode, FromRow, Type};
use std::fmt::{Display, Write};

pub struct SqlBuilder<'args> {
    engine: Engine,
    sql: String,
    arguments: Option<AnyArguments<'args>>,
    bound: usize,
}

impl<'args> SqlBuilder<'args> {
    pub fn new(engine: Engine, init: impl Into<String>) -> Self {
        SqlBuilder { engine, sql: init.into(), arguments: Some(AnyArguments::default()), bound: 0 }
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// `expr` matches the LIKE `pattern` (escaped with `\`), ignoring case (`Engine::like`).
    pub fn push_like(&mut self, expr: &str, pattern: String) -> &mut Self {
        let engine = self.engine;
        self.push_bind_in(pattern, |placeholder| engine.like(expr, placeholder))
    }

    pub fn push(&mut self, sql: impl Display) -> &mut Self {
        write!(self.sql, "{sql}").expect("writing to a String");
        self
    }

    /// Appends a parameter placeholder and binds `value` to it.
    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'args + Encode<'args, Any> + Type<Any>,
    {
        let arguments = self.arguments.as_mut().expect("a SqlBuilder builds one query");
        arguments.add(value).expect("binding a value");
        self.bound += 1;
        write!(self.sql, "${}", self.bound).expect("writing to a String");
        self
    }

    /// Binds `value` and appends `fragment(placeholder)`: a parameter used inside SQL that
    /// depends on it, such as a JSON list read by `Engine::id_rows`.
    pub fn push_bind_in<T>(&mut self, value: T, fragment: impl FnOnce(&str) -> String) -> &mut Self
    where
        T: 'args + Encode<'args, Any> + Type<Any>,
    {
        let arguments = self.arguments.as_mut().expect("a SqlBuilder builds one query");
        arguments.add(value).expect("binding a value");
        self.bound += 1;
        let sql = fragment(&format!("${}", self.bound));
        self.push(sql)
    }

    /// A list whose items are separated by `separator`.
    pub fn separated<'b>(&'b mut self, separator: &'static str) -> SqlList<'b, 'args> {
        SqlList { builder: self, separator, first: true }
    }

    /// `VALUES (…), (…)`: one parenthesised tuple per item, filled by `push_tuple`.
    pub fn push_values<I, F>(&mut self, tuples: I, mut push_tuple: F) -> &mut Self
    where
        I: IntoIterator,
        F: FnMut(SqlList<'_, 'args>, I::Item),
    {
        self.push("VALUES ");
        for (i, tuple) in tuples.into_iter().enumerate() {
            self.push(if i == 0 { "(" } else { ", (" });
            push_tuple(self.separated(", "), tuple);
            self.push(")");
        }
        self
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    pub fn build<'q>(&'q mut self) -> Query<'q, Any, AnyArguments<'q>>
    where
        'args: 'q,
    {
        let arguments: AnyArguments<'q> = self.arguments.take().expect("a SqlBuilder builds one query");
        sqlx::query_with(&self.sql, arguments)
    }

    pub fn build_query_as<'q, T>(&'q mut self) -> QueryAs<'q, Any, T, AnyArguments<'q>>
    where
        'args: 'q,
        T: for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        let arguments: AnyArguments<'q> = self.arguments.take().expect("a SqlBuilder builds one query");
        sqlx::query_as_with(&self.sql, arguments)
    }

    pub fn build_query_scalar<'q, T>(&'q mut self) -> QueryScalar<'q, Any, T, AnyArguments<'q>>
    where
        'args: 'q,
        (T,): for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        let arguments: AnyArguments<'q> = self.arguments.take().expect("a SqlBuilder builds one query");
        sqlx::query_scalar_with(&self.sql, arguments)
    }
}

/// Items of a list, with a separator before every item but the first.
pub struct SqlList<'b, 'args> {
    builder: &'b mut SqlBuilder<'args>,
    separator: &'static str,
    first: bool,
}

impl<'args> SqlList<'_, 'args> {
    fn separate(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.builder.push(self.separator);
        }
    }

    pub fn push(&mut self, sql: impl Display) -> &mut Self {
        self.separate();
        self.builder.push(sql);
        self
    }

    pub fn push_unseparated(&mut self, sql: impl Display) -> &mut Self {
        self.builder.push(sql);
        self
    }

    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'args + Encode<'args, Any> + Type<Any>,
    {
        self.separate();
        self.builder.push_bind(value);
        self
    }

    pub fn push_bind_unseparated<T>(&mut self, value: T) -> &mut Self
    where
        T: 'args + Encode<'args, Any> + Type<Any>,
    {
        self.builder.push_bind(value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_the_parameters_in_order() {
        let mut qb = SqlBuilder::new(Engine::Sqlite, "SELECT id FROM t WHERE a = ");
        qb.push_bind(1_i64).push(" AND b IN (");
        let mut list = qb.separated(", ");
        list.push_bind("x").push_bind("y");
        list.push_unseparated(")");
        qb.push(" ");
        qb.push_values([(1_i64, "p"), (2, "q")], |mut tuple, (n, s)| {
            tuple.push_bind(n).push_bind(s).push("0");
        });
        assert_eq!(
            qb.sql(),
            "SELECT id FROM t WHERE a = $1 AND b IN ($2, $3) VALUES ($4, $5, 0), ($6, $7, 0)"
        );
    }
}
