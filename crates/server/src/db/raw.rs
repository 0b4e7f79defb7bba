//! Hand-written SQL with bound values, for the few statements the query
//! builder cannot say on every backend (upserts that add, conditional sums).
//! Placeholders follow the backend: `?` on SQLite and MySQL, `$n` on
//! PostgreSQL.

use sea_orm::{DbBackend, Statement, Value};

pub struct RawSql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl RawSql {
    pub fn new(backend: DbBackend) -> RawSql {
        RawSql {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    /// Appends SQL text as is (never user input).
    pub fn sql(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.values.len().to_string());
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// Appends `(?, ?, …)` bound to `values`.
    pub fn tuple(&mut self, values: impl IntoIterator<Item = Value>) -> &mut Self {
        self.text.push('(');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(value);
        }
        self.text.push(')');
        self
    }

    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    pub fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_backend() {
        let mut pg = RawSql::new(DbBackend::Postgres);
        pg.sql("a = ").bind(1).sql(" AND b IN ").tuple([2.into(), 3.into()]);
        assert_eq!(pg.build().sql, "a = $1 AND b IN ($2, $3)");
        let mut lite = RawSql::new(DbBackend::Sqlite);
        lite.sql("a = ").bind(1).sql(" AND b IN ").tuple([2.into(), 3.into()]);
        assert_eq!(lite.build().sql, "a = ? AND b IN (?, ?)");
    }
}
