//! Large reads on SQLite, packed by SQLite into one text per column.
//!
//! sqlx hands SQLite rows over one at a time, about 2 µs each: for 100,000s
//! of small rows that costs several times the query itself. Packed, SQLite
//! builds one string per column (`group_concat`) and they are split here.
//!
//! One `group_concat` per column, not one of the row's fields joined with
//! `||`: every `||` builds an intermediate string, and for 1.2 million rows
//! of four fields that made the read 1.2 s instead of 0.55 s (measured with
//! the sqlite3 shell on the billing benchmark's database).
//!
//! SQLite only. `group_concat` skips NULLs, which would shift a column
//! against the others: nullable expressions must be `ifnull`ed by the caller
//! ([`NULL`] is the conventional stand-in), and a column whose piece count
//! is not the row count is refused rather than misread.

use sea_orm::{ConnectionTrait, DbBackend};

use crate::db::raw::RawSql;
use crate::error::{AppError, AppResult};

/// Between two values of a column: the ASCII record separator, never in
/// codes, numbers, hex or JSON (which escapes control characters).
const SEPARATOR: char = '\u{1e}';

/// What an `ifnull(expr, char(2))` reads as: a NULL, told apart from `''`.
pub const NULL: &str = "\u{2}";

/// The columns of one packed read.
pub struct Packed<const N: usize> {
    count: usize,
    columns: [String; N],
}

/// `SELECT count(*), group_concat(e₁), … FROM <rest>` for `exprs`: the rows
/// of the read, in one round trip.
pub async fn read<const N: usize>(
    db: &impl ConnectionTrait,
    exprs: [&str; N],
    rest: impl FnOnce(&mut RawSql),
) -> AppResult<Packed<N>> {
    let mut sql = RawSql::new(DbBackend::Sqlite);
    sql.sql("SELECT count(*)");
    for expr in exprs {
        sql.sql(", group_concat(").sql(expr).sql(", char(30))");
    }
    sql.sql(" FROM ");
    rest(&mut sql);
    let row = db
        .query_one_raw(sql.build())
        .await?
        .ok_or_else(|| malformed("no row"))?;
    let count: i64 = row.try_get_by_index(0)?;
    let mut columns: [String; N] = std::array::from_fn(|_| String::new());
    for (index, column) in columns.iter_mut().enumerate() {
        *column = row.try_get_by_index::<Option<String>>(index + 1)?.unwrap_or_default();
        let pieces = if count == 0 {
            0
        } else {
            1 + column.bytes().filter(|b| *b == SEPARATOR as u8).count()
        };
        if pieces != count as usize {
            return Err(malformed(exprs[index]));
        }
    }
    Ok(Packed {
        count: count as usize,
        columns,
    })
}

impl<const N: usize> Packed<N> {
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The rows, each as its `N` fields in the order of the expressions.
    pub fn rows(&self) -> impl Iterator<Item = [&str; N]> + '_ {
        let mut columns: [std::str::Split<'_, char>; N] = std::array::from_fn(|i| self.columns[i].split(SEPARATOR));
        (0..self.count).map(move |_| std::array::from_fn(|i| columns[i].next().unwrap_or_default()))
    }
}

/// A packed field as a number.
pub fn number<T: std::str::FromStr>(field: &str) -> AppResult<T> {
    field.parse().map_err(|_| malformed(field))
}

fn malformed(what: &str) -> AppError {
    AppError::Internal(anyhow::anyhow!("malformed packed read: {what}"))
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

    use super::*;

    async fn table(rows: &str) -> DatabaseConnection {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        db.execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT NOT NULL, note TEXT)")
            .await
            .unwrap();
        if !rows.is_empty() {
            db.execute_unprepared(&format!("INSERT INTO t (id, code, note) VALUES {rows}"))
                .await
                .unwrap();
        }
        db
    }

    #[tokio::test]
    async fn reads_rows_in_order_with_empty_texts_and_stand_ins_for_null() {
        let db = table("(1, 'A', NULL), (2, '', 'x'), (3, 'C', '')").await;
        let packed = read(&db, ["id", "code", "ifnull(note, char(2))"], |sql| {
            sql.sql("t ORDER BY id");
        })
        .await
        .unwrap();
        assert_eq!(packed.len(), 3);
        let rows: Vec<[&str; 3]> = packed.rows().collect();
        assert_eq!(rows, vec![["1", "A", NULL], ["2", "", "x"], ["3", "C", ""]]);
        assert_eq!(number::<i64>(rows[2][0]).unwrap(), 3);
    }

    #[tokio::test]
    async fn a_single_empty_value_is_one_row_and_no_rows_are_none() {
        let db = table("(1, '', NULL)").await;
        let one = read(&db, ["code"], |sql| {
            sql.sql("t");
        })
        .await
        .unwrap();
        assert_eq!(one.rows().collect::<Vec<_>>(), vec![[""]]);

        let none = read(&db, ["code"], |sql| {
            sql.sql("t WHERE id > 1");
        })
        .await
        .unwrap();
        assert!(none.is_empty());
        assert_eq!(none.rows().count(), 0);
    }

    #[tokio::test]
    async fn a_nullable_column_left_bare_is_refused_not_misread() {
        let db = table("(1, 'A', NULL), (2, 'B', 'x')").await;
        let result = read(&db, ["code", "note"], |sql| {
            sql.sql("t");
        })
        .await;
        assert!(
            result.is_err(),
            "a NULL skipped by group_concat must not shift the column"
        );
    }

    #[test]
    fn a_field_that_is_not_a_number_is_an_error() {
        assert!(number::<i64>("12x").is_err());
    }
}
