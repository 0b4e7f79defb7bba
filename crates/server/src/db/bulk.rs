//! Bulk inserts for the big writes (a billing run's 100,000 drafts, an
//! import's new customers): multi-row INSERTs whose values are moved from
//! the ActiveModels into the statement once, and whose next statement is
//! built on a blocking thread while the database runs the last one.
//!
//! Measured on a billing run: SeaORM's `insert_many` spent about as long
//! building statements (an expression tree per value, values cloned on the
//! way) as SQLite spent inserting, one after the other.

use sea_orm::{
    ActiveModelTrait, ActiveValue, ConnectionTrait, DbBackend, DbErr, EntityName, EntityTrait, IdenStatic, Iterable,
    Statement, Value,
};
use tokio::sync::mpsc;

use super::raw::RawSql;

/// Bound values per statement: well under SQLite's 32,766 and the 65,535 of
/// MySQL and PostgreSQL.
const VALUES_PER_STATEMENT: usize = 12_000;
/// Rows per statement at most, however few the columns.
const ROWS_PER_STATEMENT: usize = 500;

/// Inserts `rows` in order. Every row must set the same columns (the first
/// row's); the others keep their column defaults.
pub async fn insert<A>(db: &impl ConnectionTrait, rows: Vec<A>) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send + 'static,
{
    if rows.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    // Two statements in flight: one running, one ready.
    let (sender, mut receiver) = mpsc::channel(1);
    let builder = tokio::task::spawn_blocking(move || {
        for statement in Statements::new(backend, rows) {
            let failed = statement.is_err();
            // A closed channel means the insert stopped on an error.
            if sender.blocking_send(statement).is_err() || failed {
                return;
            }
        }
    });
    while let Some(statement) = receiver.recv().await {
        db.execute_raw(statement?).await?;
    }
    builder
        .await
        .map_err(|e| DbErr::Custom(format!("bulk insert builder: {e}")))?;
    Ok(())
}

/// The INSERT statements for `rows`, built one at a time.
struct Statements<A: ActiveModelTrait> {
    backend: DbBackend,
    table: String,
    columns: Vec<<A::Entity as EntityTrait>::Column>,
    column_list: String,
    rows: std::iter::Peekable<std::vec::IntoIter<A>>,
    per_statement: usize,
}

impl<A: ActiveModelTrait> Statements<A> {
    fn new(backend: DbBackend, rows: Vec<A>) -> Statements<A> {
        let columns: Vec<_> = <A::Entity as EntityTrait>::Column::iter()
            .filter(|column| rows[0].get(*column).is_set())
            .collect();
        let names: Vec<String> = columns.iter().map(|c| quote(backend, c.as_str())).collect();
        let per_statement = (VALUES_PER_STATEMENT / columns.len().max(1)).clamp(1, ROWS_PER_STATEMENT);
        Statements {
            backend,
            table: quote(backend, A::Entity::default().table_name()),
            column_list: names.join(", "),
            columns,
            rows: rows.into_iter().peekable(),
            per_statement,
        }
    }

    fn row_values(&self, mut row: A) -> Result<Vec<Value>, DbErr> {
        self.columns
            .iter()
            .map(|column| match row.take(*column) {
                ActiveValue::Set(value) | ActiveValue::Unchanged(value) => Ok(value),
                ActiveValue::NotSet => Err(DbErr::Custom(format!(
                    "bulk insert into {}: a row leaves {} unset",
                    self.table,
                    column.as_str()
                ))),
            })
            .collect()
    }
}

impl<A: ActiveModelTrait> Iterator for Statements<A> {
    type Item = Result<Statement, DbErr>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rows.peek()?;
        let mut sql = RawSql::new(self.backend);
        sql.sql("INSERT INTO ")
            .sql(&self.table)
            .sql(" (")
            .sql(&self.column_list)
            .sql(") VALUES ");
        for i in 0..self.per_statement {
            let Some(row) = self.rows.next() else { break };
            if i > 0 {
                sql.sql(", ");
            }
            match self.row_values(row) {
                Ok(values) => sql.tuple(values),
                Err(e) => return Some(Err(e)),
            };
        }
        Some(Ok(sql.build()))
    }
}

fn quote(backend: DbBackend, name: &str) -> String {
    match backend {
        DbBackend::MySql => format!("`{name}`"),
        _ => format!("\"{name}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customers::entity::status_history;
    use sea_orm::ActiveValue::{NotSet, Set};

    fn row(customer_id: i64, from: Option<&str>) -> status_history::ActiveModel {
        status_history::ActiveModel {
            id: NotSet,
            customer_id: Set(customer_id),
            from_status: Set(from.map(str::to_string)),
            to_status: Set("active".into()),
            reason: Set("导入".into()),
            actor_id: Set(None),
            actor_name: Set("system".into()),
            at: Set(chrono::DateTime::UNIX_EPOCH),
        }
    }

    #[test]
    fn statements_take_the_first_rows_columns_and_split_by_size() {
        let rows: Vec<_> = (0..1_201).map(|i| row(i, None)).collect();
        let statements: Vec<Statement> = Statements::new(DbBackend::Postgres, rows)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(statements.len(), 3, "500 + 500 + 201 rows");
        let first = &statements[0];
        assert!(first.sql.starts_with(
            "INSERT INTO \"customer_status_history\" (\"customer_id\", \"from_status\", \"to_status\", \"reason\", \"actor_id\", \"actor_name\", \"at\") VALUES ($1, $2, $3, $4, $5, $6, $7), ($8,"
        ), "{}", &first.sql[..200]);
        assert_eq!(first.values.as_ref().unwrap().0.len(), 500 * 7);
        assert_eq!(statements[2].values.as_ref().unwrap().0.len(), 201 * 7);
        assert_eq!(statements[2].values.as_ref().unwrap().0[0], Value::BigInt(Some(1_000)));
    }

    #[test]
    fn a_row_that_leaves_a_column_unset_is_refused() {
        let mut odd = row(2, None);
        odd.reason = NotSet;
        let result: Result<Vec<Statement>, DbErr> =
            Statements::new(DbBackend::Sqlite, vec![row(1, None), odd]).collect();
        let error = result.unwrap_err().to_string();
        assert!(error.contains("reason"), "{error}");
    }
}
