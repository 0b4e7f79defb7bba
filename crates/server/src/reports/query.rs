//! A checked report as SQL: each dataset's tables and each column's
//! expression come from the map below, filter values are bound parameters,
//! sums are exact on every backend, and the caller's scope narrows every
//! statement. Cells come back as the text a person reads.

use opcms_domain::money::Fixed4;
use opcms_domain::reports::{CheckedFilter, CheckedReport, ColumnDef, Dataset, FilterValue, Kind, Op};
use opcms_domain::{DataScope, Period};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};
use serde::Serialize;

use crate::analytics::facts::{Sql, get, sum};
use crate::db::contains_pattern;
use crate::error::{AppError, AppResult};
use crate::http::pagination::PageRequest;

/// The most rows an export writes; past it the user narrows the filters.
pub const MAX_EXPORT_ROWS: u64 = 50_000;

/// How a column is stored, which decides how it is read and compared.
#[derive(Clone, Copy)]
enum Stored {
    Text,
    /// Units of 0.0001 (money, quantities).
    Units,
    Integer,
    Date,
    /// `yyyymm` as an integer (bills.period, usage_records.month).
    PeriodKey,
    /// `YYYY-MM` text computed from a date.
    PeriodText,
}

/// The SQL of a dataset (every one joins the customer `c`, and its sales
/// owner `u` is joined to it).
struct Source {
    from: &'static str,
    /// The column holding the customer, for the scope.
    customer: &'static str,
    /// The condition every row meets.
    always: &'static str,
    /// The row's id: the last sort key, so pages never overlap.
    id: &'static str,
}

fn source(dataset: Dataset) -> Source {
    let (from, customer, always, id) = match dataset {
        Dataset::Customers => ("customers c", "c.id", "c.is_deleted = FALSE", "c.id"),
        Dataset::Bills => (
            "bills b JOIN customers c ON c.id = b.customer_id",
            "b.customer_id",
            "1 = 1",
            "b.id",
        ),
        Dataset::Payments => (
            "payments p LEFT JOIN customers c ON c.id = p.customer_id",
            "p.customer_id",
            "p.is_deleted = FALSE",
            "p.id",
        ),
        Dataset::Usage => (
            "usage_records r JOIN customers c ON c.id = r.customer_id",
            "r.customer_id",
            "1 = 1",
            "r.id",
        ),
    };
    Source {
        from,
        customer,
        always,
        id,
    }
}

/// `YYYY-MM` of a date column, per backend.
fn month_of(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::MySql => format!("DATE_FORMAT({column}, '%Y-%m')"),
        DbBackend::Postgres => format!("to_char({column}, 'YYYY-MM')"),
        _ => format!("strftime('%Y-%m', {column})"),
    }
}

/// A column's SQL expression and storage; only keys of the domain's
/// catalogue reach here.
fn expression(backend: DbBackend, dataset: Dataset, key: &str) -> (String, Stored) {
    use Stored::*;
    let plain = |sql: &str, stored: Stored| (sql.to_string(), stored);
    match (dataset, key) {
        (_, "customer_code") => plain("c.customer_code", Text),
        (_, "company_name") => plain("c.company_name", Text),
        (_, "sales_owner") => plain("u.display_name", Text),
        (Dataset::Customers, "account_status") => plain("c.account_status", Text),
        (Dataset::Customers, "level") => plain("c.level", Text),
        (Dataset::Customers, "industry") => plain("c.industry", Text),
        (Dataset::Customers, "region") => plain("c.region", Text),
        (Dataset::Customers, "signed_at") => plain("c.signed_at", Date),
        (Dataset::Customers, "signed_month") => (month_of(backend, "c.signed_at"), PeriodText),
        (Dataset::Customers, "contract_end_at") => plain("c.contract_end_at", Date),
        (Dataset::Customers, "payment_terms_days") => (integer(backend, "c.payment_terms_days"), Integer),
        (Dataset::Bills, "bill_no") => plain("b.bill_no", Text),
        (Dataset::Bills, "period") => plain("b.period", PeriodKey),
        (Dataset::Bills, "status") => plain("b.status", Text),
        (Dataset::Bills, "kind") => plain("b.kind", Text),
        (Dataset::Bills, "due_date") => plain("b.due_date", Date),
        (Dataset::Bills, "subtotal") => plain("b.subtotal", Units),
        (Dataset::Bills, "credited") => plain("b.credited", Units),
        (Dataset::Bills, "total") => plain("b.total", Units),
        (Dataset::Bills, "allocated") => plain("b.allocated", Units),
        (Dataset::Bills, "outstanding") => plain("(b.total - b.allocated)", Units),
        (Dataset::Payments, "payment_no") => plain("p.payment_no", Text),
        (Dataset::Payments, "received_at") => plain("p.received_at", Date),
        (Dataset::Payments, "received_month") => (month_of(backend, "p.received_at"), PeriodText),
        (Dataset::Payments, "method") => plain("p.method", Text),
        (Dataset::Payments, "payer_name") => plain("p.payer_name", Text),
        (Dataset::Payments, "amount") => plain("p.amount", Units),
        (Dataset::Payments, "allocated") => plain("p.allocated", Units),
        (Dataset::Payments, "unapplied") => plain("(p.amount - p.allocated)", Units),
        (Dataset::Usage, "series") => plain("r.series", Text),
        (Dataset::Usage, "day") => plain("r.day", Date),
        (Dataset::Usage, "month") => plain("r.month", PeriodKey),
        (Dataset::Usage, "source") => plain("r.source", Text),
        (Dataset::Usage, "quantity") => plain("r.quantity", Units),
        // The catalogue and this map are one list; the test below finds a
        // key in one and not the other.
        _ => plain("NULL", Text),
    }
}

fn integer(backend: DbBackend, column: &str) -> String {
    if backend == DbBackend::MySql {
        format!("CAST({column} AS SIGNED)")
    } else {
        format!("CAST({column} AS BIGINT)")
    }
}

/// One column of a result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResultColumn {
    pub key: String,
    pub label: String,
    pub kind: Kind,
}

/// A page of a report's result.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReportResult {
    pub columns: Vec<ResultColumn>,
    /// Cells as text; null where the record has no value.
    pub rows: Vec<Vec<Option<String>>>,
    /// Each summed column over every row (not only this page).
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub totals: std::collections::BTreeMap<String, String>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

struct Plan {
    backend: DbBackend,
    report: CheckedReport,
    scope: DataScope,
}

impl Plan {
    fn expr(&self, column: &ColumnDef) -> (String, Stored) {
        expression(self.backend, self.report.dataset, column.key)
    }

    /// `FROM … WHERE …` with the scope and the filters.
    fn source_and_filters(&self, sql: &mut Sql) {
        let source = source(self.report.dataset);
        sql.sql(" FROM ")
            .sql(source.from)
            .sql(" LEFT JOIN users u ON u.id = c.sales_owner_id WHERE ")
            .sql(source.always);
        sql.scope(&self.scope, source.customer);
        for filter in &self.report.filters {
            self.filter(sql, filter);
        }
    }

    fn filter(&self, sql: &mut Sql, filter: &CheckedFilter) {
        let (expr, stored) = self.expr(filter.column);
        let bind = |sql: &mut Sql, value: &FilterValue| {
            match (value, stored) {
                (FilterValue::Period(p), Stored::PeriodKey) => sql.bind(p.key()),
                (FilterValue::Period(p), _) => sql.bind(p.to_string()),
                (FilterValue::Text(t), _) => sql.bind(t.clone()),
                (FilterValue::Units(u) | FilterValue::Integer(u), _) => sql.bind(*u),
                (FilterValue::Date(d), _) => sql.bind(*d),
            };
        };
        sql.sql(" AND ").sql(&expr);
        match filter.op {
            Op::Contains => {
                let text = match filter.values.first() {
                    Some(FilterValue::Text(t)) => t.clone(),
                    _ => String::new(),
                };
                sql.sql(" LIKE ").bind(contains_pattern(&text)).sql(" ESCAPE '!'");
            }
            Op::In => {
                sql.sql(" IN (");
                for (i, value) in filter.values.iter().enumerate() {
                    if i > 0 {
                        sql.sql(", ");
                    }
                    bind(sql, value);
                }
                sql.sql(")");
            }
            op => {
                sql.sql(match op {
                    Op::Eq => " = ",
                    Op::Ne => " <> ",
                    Op::Gte => " >= ",
                    _ => " <= ",
                });
                if let Some(value) = filter.values.first() {
                    bind(sql, value);
                }
            }
        }
    }

    fn grouped(&self) -> bool {
        !self.report.group_by.is_empty()
    }

    /// The columns the result shows, in order.
    fn result_columns(&self) -> Vec<ResultColumn> {
        let describe = |c: &ColumnDef| ResultColumn {
            key: c.key.into(),
            label: c.label.into(),
            kind: c.kind,
        };
        if self.grouped() {
            let mut columns: Vec<ResultColumn> = self.report.group_by.iter().map(|c| describe(c)).collect();
            columns.extend(self.report.sums.iter().map(|c| describe(c)));
            columns.push(ResultColumn {
                key: "count".into(),
                label: "行数".into(),
                kind: Kind::Integer,
            });
            columns
        } else {
            self.report.columns.iter().map(|c| describe(c)).collect()
        }
    }

    async fn count(&self, db: &impl ConnectionTrait) -> AppResult<u64> {
        let mut sql = Sql::new(db);
        if self.grouped() {
            sql.sql("SELECT COUNT(*) AS n FROM (SELECT 1 AS one");
            self.source_and_filters(&mut sql);
            sql.sql(" GROUP BY ").sql(&self.keys()).sql(") grouped");
        } else {
            sql.sql("SELECT COUNT(*) AS n");
            self.source_and_filters(&mut sql);
        }
        let rows = sql.all(db).await?;
        let n: i64 = rows.first().map(|row| get(row, "n")).transpose()?.unwrap_or(0);
        Ok(n.max(0) as u64)
    }

    fn keys(&self) -> String {
        self.report
            .group_by
            .iter()
            .map(|c| self.expr(c).0)
            .collect::<Vec<_>>()
            .join(", ")
    }

    async fn totals(&self, db: &impl ConnectionTrait) -> AppResult<std::collections::BTreeMap<String, String>> {
        let mut totals = std::collections::BTreeMap::new();
        if self.report.sums.is_empty() {
            return Ok(totals);
        }
        let mut sql = Sql::new(db);
        sql.sql("SELECT COUNT(*) AS n");
        for (i, column) in self.report.sums.iter().enumerate() {
            sql.sum(&self.expr(column).0, &format!("t{i}"));
        }
        self.source_and_filters(&mut sql);
        if let Some(row) = sql.all(db).await?.first() {
            for (i, column) in self.report.sums.iter().enumerate() {
                totals.insert(column.key.to_string(), sum(row, &format!("t{i}"))?.to_string());
            }
        }
        Ok(totals)
    }

    /// The rows of one page (`None`: every row, for an export).
    async fn rows(&self, db: &impl ConnectionTrait, page: Option<PageRequest>) -> AppResult<Vec<Vec<Option<String>>>> {
        let mut sql = Sql::new(db);
        let mut readers: Vec<(String, Reader)> = Vec::new();
        if self.grouped() {
            sql.sql("SELECT ");
            for (i, column) in self.report.group_by.iter().enumerate() {
                let (expr, stored) = self.expr(column);
                sql.sql(if i > 0 { ", " } else { "" })
                    .sql(&expr)
                    .sql(&format!(" AS g{i}"));
                readers.push((format!("g{i}"), Reader::Cell(stored)));
            }
            for (i, column) in self.report.sums.iter().enumerate() {
                sql.sum(&self.expr(column).0, &format!("s{i}"));
                readers.push((format!("s{i}"), Reader::Sum));
            }
            sql.sql(", COUNT(*) AS n");
            readers.push(("n".into(), Reader::Count));
            self.source_and_filters(&mut sql);
            let keys = self.keys();
            sql.sql(" GROUP BY ").sql(&keys).sql(" ORDER BY ").sql(&keys);
        } else {
            sql.sql("SELECT ");
            for (i, column) in self.report.columns.iter().enumerate() {
                let (expr, stored) = self.expr(column);
                sql.sql(if i > 0 { ", " } else { "" })
                    .sql(&expr)
                    .sql(&format!(" AS c{i}"));
                readers.push((format!("c{i}"), Reader::Cell(stored)));
            }
            self.source_and_filters(&mut sql);
            let first = self
                .report
                .columns
                .first()
                .map(|c| self.expr(c).0)
                .unwrap_or_else(|| "1".into());
            let id = source(self.report.dataset).id;
            sql.sql(" ORDER BY ").sql(&first).sql(", ").sql(id);
        }
        if let Some(page) = page {
            sql.sql(&format!(" LIMIT {} OFFSET {}", page.page_size, page.offset()));
        }
        sql.all(db)
            .await?
            .iter()
            .map(|row| readers.iter().map(|(alias, reader)| reader.read(row, alias)).collect())
            .collect()
    }
}

#[derive(Clone, Copy)]
enum Reader {
    Cell(Stored),
    Sum,
    Count,
}

impl Reader {
    fn read(self, row: &QueryResult, alias: &str) -> AppResult<Option<String>> {
        Ok(match self {
            Reader::Sum => Some(sum(row, alias)?.to_string()),
            Reader::Count => Some(get::<i64>(row, alias)?.to_string()),
            Reader::Cell(Stored::Text | Stored::PeriodText) => get::<Option<String>>(row, alias)?,
            Reader::Cell(Stored::Units) => {
                get::<Option<i64>>(row, alias)?.map(|units| Fixed4::from_units(units).to_string())
            }
            Reader::Cell(Stored::Integer) => get::<Option<i64>>(row, alias)?.map(|n| n.to_string()),
            Reader::Cell(Stored::Date) => get::<Option<chrono::NaiveDate>>(row, alias)?.map(|d| d.to_string()),
            Reader::Cell(Stored::PeriodKey) => get::<Option<i32>>(row, alias)?
                .and_then(Period::from_key)
                .map(|p| p.to_string()),
        })
    }
}

/// One page of the report's result, with the totals over every row.
pub async fn run(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    report: CheckedReport,
    page: PageRequest,
) -> AppResult<ReportResult> {
    let plan = Plan {
        backend: db.get_database_backend(),
        report,
        scope: scope.clone(),
    };
    Ok(ReportResult {
        columns: plan.result_columns(),
        rows: plan.rows(db, Some(page)).await?,
        totals: plan.totals(db).await?,
        total: plan.count(db).await?,
        page: page.page,
        page_size: page.page_size,
    })
}

/// Every row, for an export; too many is a 400 asking for filters.
pub async fn all_rows(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    report: CheckedReport,
) -> AppResult<(
    Vec<ResultColumn>,
    Vec<Vec<Option<String>>>,
    std::collections::BTreeMap<String, String>,
)> {
    let plan = Plan {
        backend: db.get_database_backend(),
        report,
        scope: scope.clone(),
    };
    if plan.count(db).await? > MAX_EXPORT_ROWS {
        return Err(AppError::field(
            "filters",
            "REPORT_TOO_LARGE",
            format!("报表超过 {MAX_EXPORT_ROWS} 行，请增加筛选条件或分组后再导出"),
        ));
    }
    Ok((
        plan.result_columns(),
        plan.rows(db, None).await?,
        plan.totals(db).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_column_has_its_sql() {
        for backend in [DbBackend::Sqlite, DbBackend::MySql, DbBackend::Postgres] {
            for dataset in Dataset::ALL {
                for column in dataset.columns() {
                    let (sql, _) = expression(backend, dataset, column.key);
                    assert_ne!(sql, "NULL", "{dataset:?}.{}", column.key);
                }
            }
        }
    }
}
