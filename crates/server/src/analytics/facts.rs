//! The SQL the analytics read: sums are exact on every backend
//! ([`wide_sum_sql`]), and every statement is narrowed to the caller's data
//! scope by [`Sql::scope`].

use opcms_domain::DataScope;
use opcms_domain::billing::BillStatus;
use opcms_domain::money::Total;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Value};

use crate::db::raw::RawSql;
use crate::db::{SplitUnits, contains_pattern, read_wide_sum, wide_sum_sql};
use crate::error::AppResult;
use crate::http::pagination::PageRequest;

/// The bills every figure counts: issued, never drafts or void ones.
pub const COUNTED: [BillStatus; 3] = [BillStatus::Issued, BillStatus::PartiallyPaid, BillStatus::Paid];
/// The bills with money still open.
pub const OPEN: [BillStatus; 2] = [BillStatus::Issued, BillStatus::PartiallyPaid];

/// A statement being written, with the helpers every analytics query needs.
pub struct Sql(RawSql);

impl Sql {
    pub fn new(db: &impl ConnectionTrait) -> Sql {
        Sql(RawSql::new(db.get_database_backend()))
    }

    pub fn backend(&self) -> DbBackend {
        self.0.backend()
    }

    pub fn sql(&mut self, text: &str) -> &mut Self {
        self.0.sql(text);
        self
    }

    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.0.bind(value);
        self
    }

    /// `AND {column} IN (…)` of bill status codes.
    pub fn statuses(&mut self, column: &str, statuses: &[BillStatus]) -> &mut Self {
        self.0.sql(&format!(" AND {column} IN "));
        self.0
            .tuple(statuses.iter().map(|status| Value::from(status.code().to_string())));
        self
    }

    /// A bill column as a statement narrowed to a few customers should
    /// name it: on SQLite `+column`, so that the column only filters the
    /// rows found by customer. SQLite would otherwise walk the (status,
    /// due_date) index through every open bill of the book (or skip-scan it
    /// for a due-date range) to find a few customers' bills.
    pub fn filter_only(&self, column: &str, few: bool) -> String {
        if few && self.backend() == DbBackend::Sqlite {
            format!("+{column}")
        } else {
            column.to_string()
        }
    }

    /// [`Sql::statuses`] through [`Sql::filter_only`].
    pub fn statuses_of_few(&mut self, column: &str, statuses: &[BillStatus], few: bool) -> &mut Self {
        let column = self.filter_only(column, few);
        self.statuses(&column, statuses)
    }

    /// `, <exact sum of expr> AS alias_hi, … AS alias_lo`.
    pub fn sum(&mut self, expr: &str, alias: &str) -> &mut Self {
        let text = wide_sum_sql(self.backend(), expr, alias);
        self.0.sql(", ").sql(&text);
        self
    }

    /// The exact sum of amounts stored split (`SplitUnits`): `columns`
    /// added up, each as its `_hi` and `_lo` columns; read back with
    /// [`split_sum`].
    pub fn split_sum(&mut self, columns: &[&str], alias: &str) -> &mut Self {
        for part in ["hi", "lo"] {
            let expr = columns
                .iter()
                .map(|c| format!("{c}_{part}"))
                .collect::<Vec<_>>()
                .join(" + ");
            self.sum(&expr, &format!("{alias}_{part}s"));
        }
        self
    }

    /// `AND {customer_column}` is a customer the scope admits.
    pub fn scope(&mut self, scope: &DataScope, customer_column: &str) -> &mut Self {
        if let Some(owners) = scope.owners() {
            self.0
                .sql(&format!(
                    " AND {customer_column} IN (SELECT id FROM customers WHERE sales_owner_id IN "
                ))
                .tuple(owners.iter().map(|id| Value::from(*id)))
                .sql(")");
        }
        self
    }

    /// `AND {column} IN (…)` when only some customers are computed.
    pub fn subset(&mut self, column: &str, customers: Option<&[i64]>) -> &mut Self {
        if let Some(ids) = customers {
            self.0.sql(&format!(" AND {column} IN "));
            if ids.is_empty() {
                self.0.sql("(NULL)");
            } else {
                self.0.tuple(ids.iter().map(|id| Value::from(*id)));
            }
        }
        self
    }

    /// `AND {owner_column} IN (…)` of a snapshot table, whose rows carry the
    /// customer's sales owner (0 for none, which no scope lists).
    pub fn owners(&mut self, scope: &DataScope, owner_column: &str) -> &mut Self {
        if let Some(owners) = scope.owners() {
            self.0.sql(&format!(" AND {owner_column} IN "));
            if owners.is_empty() {
                self.0.sql("(NULL)");
            } else {
                self.0.tuple(owners.iter().map(|id| Value::from(*id)));
            }
        }
        self
    }

    /// `(?, ?, …)` bound to `values`.
    pub fn tuple(&mut self, values: impl IntoIterator<Item = Value>) -> &mut Self {
        self.0.tuple(values);
        self
    }

    pub async fn all(self, db: &impl ConnectionTrait) -> AppResult<Vec<QueryResult>> {
        Ok(db.query_all_raw(self.0.build()).await?)
    }
}

/// A [`Sql::sum`] read back.
pub fn sum(row: &QueryResult, alias: &str) -> AppResult<Total> {
    Ok(read_wide_sum(row, alias)?)
}

/// A [`Sql::split_sum`] read back.
pub fn split_sum(row: &QueryResult, alias: &str) -> AppResult<Total> {
    Ok(SplitUnits::join(
        sum(row, &format!("{alias}_his"))?,
        sum(row, &format!("{alias}_los"))?,
    ))
}

pub fn get<T: sea_orm::TryGetable>(row: &QueryResult, column: &str) -> AppResult<T> {
    Ok(row.try_get::<T>("", column)?)
}

/// `AND` the snapshot row's code or company name contains the search text
/// (any case): its `search` column holds both, lower-cased.
pub fn search(sql: &mut Sql, query: Option<&str>) {
    if let Some(q) = query.map(str::trim).filter(|q| !q.is_empty()) {
        sql.sql(" AND search LIKE ")
            .bind(contains_pattern(&q.to_lowercase()))
            .sql(" ESCAPE '!'");
    }
}

/// ` LIMIT … OFFSET …` of one page; nothing for every row.
fn limit(sql: &mut Sql, page: Option<PageRequest>) {
    if let Some(page) = page {
        sql.sql(&format!(" LIMIT {} OFFSET {}", page.page_size, page.offset()));
    }
}

/// A list read from a snapshot table: how many rows `filter` keeps (its
/// `FROM … WHERE …`), and those rows' `columns` in `order`, one page (or all
/// when `page` is None).
pub async fn filtered_page(
    db: &impl ConnectionTrait,
    columns: &str,
    filter: impl Fn(&mut Sql),
    order: &str,
    page: Option<PageRequest>,
) -> AppResult<(Vec<QueryResult>, u64)> {
    let mut count = Sql::new(db);
    count.sql("SELECT COUNT(*) AS n");
    filter(&mut count);
    let total = count_of(db, count).await?;
    let mut sql = Sql::new(db);
    sql.sql(&format!("SELECT {columns}"));
    filter(&mut sql);
    sql.sql(&format!(" ORDER BY {order}"));
    limit(&mut sql, page);
    Ok((sql.all(db).await?, total))
}

/// The `n` of a `SELECT COUNT(*) AS n …`.
async fn count_of(db: &impl ConnectionTrait, sql: Sql) -> AppResult<u64> {
    let n: i64 = match sql.all(db).await?.first() {
        Some(row) => get(row, "n")?,
        None => 0,
    };
    Ok(n.max(0) as u64)
}

/// A customer as the lists show it, with what the figures read of it.
#[derive(Debug, Clone)]
pub struct CustomerFacts {
    pub id: i64,
    pub code: String,
    pub company_name: String,
    pub account_status: String,
    pub sales_owner_id: Option<i64>,
    pub signed_at: Option<chrono::NaiveDate>,
    pub contract_end_at: Option<chrono::NaiveDate>,
}

/// The customers (not deleted) the scope admits, optionally only those in
/// the given account statuses, or only the one asked for (none when out of
/// scope), by customer code.
pub async fn customers_of(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    statuses: Option<&[&str]>,
    only: Option<i64>,
) -> AppResult<Vec<CustomerFacts>> {
    customers_where(db, scope, statuses, only.as_ref().map(std::slice::from_ref), true).await
}

/// The customers (not deleted) among `subset` (all when None), optionally
/// only those in the given account statuses, by customer code.
pub async fn customers_among(
    db: &impl ConnectionTrait,
    statuses: Option<&[&str]>,
    subset: Option<&[i64]>,
) -> AppResult<Vec<CustomerFacts>> {
    customers_where(db, &DataScope::All, statuses, subset, true).await
}

/// The customers among `subset` (all when None), deleted ones too, by
/// customer code: money they owe or hold is still there.
pub async fn customers_even_deleted(
    db: &impl ConnectionTrait,
    subset: Option<&[i64]>,
) -> AppResult<Vec<CustomerFacts>> {
    customers_where(db, &DataScope::All, None, subset, false).await
}

async fn customers_where(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    statuses: Option<&[&str]>,
    subset: Option<&[i64]>,
    live_only: bool,
) -> AppResult<Vec<CustomerFacts>> {
    let mut sql = Sql::new(db);
    let few = subset.is_some();
    let (deleted, status) = (
        sql.filter_only("is_deleted", few),
        sql.filter_only("account_status", few),
    );
    sql.sql(
        "SELECT id, customer_code, company_name, account_status, sales_owner_id, signed_at, contract_end_at \
         FROM customers WHERE 1 = 1",
    );
    if live_only {
        sql.sql(&format!(" AND {deleted} = ")).bind(false);
    }
    sql.scope(scope, "id").subset("id", subset);
    if let Some(statuses) = statuses {
        sql.sql(&format!(" AND {status} IN "));
        sql.0.tuple(statuses.iter().map(|s| Value::from(s.to_string())));
    }
    // Sorted here, not by SQL: the (is_deleted, customer_code) index that
    // would sort walks every live customer to find a few, and Rust's order
    // is the byte order the lists rank ties by.
    let mut found = sql
        .all(db)
        .await?
        .iter()
        .map(|row| {
            Ok(CustomerFacts {
                id: get(row, "id")?,
                code: get(row, "customer_code")?,
                company_name: get(row, "company_name")?,
                account_status: get(row, "account_status")?,
                sales_owner_id: get(row, "sales_owner_id")?,
                signed_at: get(row, "signed_at")?,
                contract_end_at: get(row, "contract_end_at")?,
            })
        })
        .collect::<AppResult<Vec<CustomerFacts>>>()?;
    found.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(found)
}
