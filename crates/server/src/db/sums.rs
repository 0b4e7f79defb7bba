//! Exact sums of money columns in SQL, whatever the values and however many
//! rows: the totals rows of the lists.

use opcms_domain::money::Total;
use sea_orm::{ConnectionTrait, DbBackend};

/// Values are split here for a wide sum ([`wide_sum`]).
const SPLIT: i64 = 1_000_000_000;

/// The exact `SUM` of a BIGINT expression on every backend, whatever the
/// values and however many rows, as two select expressions named
/// `{alias}_hi` and `{alias}_lo` (`alias` in lower case: PostgreSQL folds
/// unquoted names); read back with [`read_wide_sum`].
///
/// A plain `SUM` of BIGINTs fails with "integer overflow" on SQLite once it
/// passes the i64 range (925 payments of 999,999,999,999.99 do), and MySQL's
/// DECIMAL and PostgreSQL's NUMERIC sums do not read back as an i64 beyond
/// it. So each value is split at 10^9 — `v = hi × 10^9 + lo`, both parts
/// truncated toward zero on every backend — and each part summed as a
/// BIGINT: |hi| ≤ 9,223,372,036 and |lo| < 10^9, so both sums are exact
/// for up to a billion rows; the two are combined in 128 bits. Never
/// `TOTAL()`: that is a binary float.
pub fn wide_sum(backend: DbBackend, expr: &str, alias: &str) -> [(sea_orm::sea_query::Expr, String); 2] {
    let [hi, lo] = wide_sum_parts(backend, expr);
    [
        (sea_orm::sea_query::Expr::cust(hi), format!("{alias}_hi")),
        (sea_orm::sea_query::Expr::cust(lo), format!("{alias}_lo")),
    ]
}

/// An amount stored in two BIGINT columns, for sums that one may not hold
/// (a customer's 925 receipts of 999,999,999,999.99 do not):
/// `units = hi × 10^9 + lo` with `0 ≤ lo < 10^9`, so that `(hi, lo)` sorts
/// as the amount does and each column of many rows sums exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitUnits {
    pub hi: i64,
    pub lo: i64,
}

impl SplitUnits {
    /// None beyond ±9.2 × 10^27 units, which no sum of stored amounts reaches.
    pub fn of(total: Total) -> Option<SplitUnits> {
        let split = i128::from(SPLIT);
        Some(SplitUnits {
            hi: i64::try_from(total.units().div_euclid(split)).ok()?,
            lo: total.units().rem_euclid(split) as i64,
        })
    }

    pub fn total(self) -> Total {
        SplitUnits::join(
            Total::from_units(i128::from(self.hi)),
            Total::from_units(i128::from(self.lo)),
        )
    }

    /// The amount of summed `hi` and `lo` columns.
    pub fn join(hi: Total, lo: Total) -> Total {
        Total::from_units(hi.units() * i128::from(SPLIT) + lo.units())
    }
}

/// [`wide_sum`] as SQL text for hand-written statements:
/// `… AS {alias}_hi, … AS {alias}_lo`.
pub fn wide_sum_sql(backend: DbBackend, expr: &str, alias: &str) -> String {
    let [hi, lo] = wide_sum_parts(backend, expr);
    format!("{hi} AS {alias}_hi, {lo} AS {alias}_lo")
}

fn wide_sum_parts(backend: DbBackend, expr: &str) -> [String; 2] {
    let (integer, divide) = if backend == DbBackend::MySql {
        // `/` is a decimal division on MySQL; `DIV` truncates like the others.
        ("SIGNED", "DIV")
    } else {
        ("BIGINT", "/")
    };
    [
        format!("CAST(COALESCE(SUM(({expr}) {divide} {SPLIT}), 0) AS {integer})"),
        format!("CAST(COALESCE(SUM(({expr}) % {SPLIT}), 0) AS {integer})"),
    ]
}

/// A [`wide_sum`] named `alias` from a result row.
pub fn read_wide_sum(row: &sea_orm::QueryResult, alias: &str) -> Result<Total, sea_orm::DbErr> {
    let hi: i64 = row.try_get("", &format!("{alias}_hi"))?;
    let lo: i64 = row.try_get("", &format!("{alias}_lo"))?;
    Ok(Total::from_units(i128::from(hi) * i128::from(SPLIT) + i128::from(lo)))
}

/// `COUNT(*)` and the exact sums of BIGINT `columns` over a selection, in
/// one query: the totals row of a list.
///
/// On SQLite a plain `SUM` of integers is exact and fails with "integer
/// overflow" rather than wrap, so it is tried first and the [`wide_sum`]
/// (two divisions a value, 1.8× the time over a 100,000-row period) only
/// once it overflows. MySQL silently clamps a cast out of range, and a
/// failed statement aborts a PostgreSQL transaction, so those always sum
/// wide.
pub async fn count_and_sums<E: sea_orm::EntityTrait>(
    db: &impl ConnectionTrait,
    select: sea_orm::Select<E>,
    columns: &[&str],
) -> Result<(u64, Vec<Total>), sea_orm::DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        match sums_of(db, select.clone(), columns, false).await {
            Err(e) if e.to_string().contains("integer overflow") => {}
            other => return other,
        }
    }
    sums_of(db, select, columns, true).await
}

async fn sums_of<E: sea_orm::EntityTrait>(
    db: &impl ConnectionTrait,
    select: sea_orm::Select<E>,
    columns: &[&str],
    wide: bool,
) -> Result<(u64, Vec<Total>), sea_orm::DbErr> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{QuerySelect, QueryTrait};
    let backend = db.get_database_backend();
    let mut select = select.select_only().column_as(Expr::cust("COUNT(*)"), "row_count");
    for (i, column) in columns.iter().enumerate() {
        let alias = format!("s{i}");
        if wide {
            for (expr, alias) in wide_sum(backend, column, &alias) {
                select = select.column_as(expr, alias);
            }
        } else {
            select = select.column_as(Expr::cust(format!("COALESCE(SUM({column}), 0)")), alias);
        }
    }
    let Some(row) = db.query_one_raw(select.build(backend)).await? else {
        return Ok((0, vec![Total::ZERO; columns.len()]));
    };
    let count: i64 = row.try_get("", "row_count")?;
    let sums = (0..columns.len())
        .map(|i| {
            let alias = format!("s{i}");
            if wide {
                read_wide_sum(&row, &alias)
            } else {
                row.try_get::<i64>("", &alias)
                    .map(|units| Total::from_units(i128::from(units)))
            }
        })
        .collect::<Result<_, _>>()?;
    Ok((count.max(0) as u64, sums))
}
