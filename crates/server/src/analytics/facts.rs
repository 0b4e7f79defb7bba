//! The SQL the analytics read: sums are exact on every backend
//! ([`wide_sum_sql`]), and every statement is narrowed to the caller's data
//! scope by [`Sql::scope`].

use opcms_domain::DataScope;
use opcms_domain::billing::BillStatus;
use opcms_domain::money::Total;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Value};

use crate::db::raw::RawSql;
use crate::db::{read_wide_sum, wide_sum_sql};
use crate::error::AppResult;

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

    /// `, <exact sum of expr> AS alias_hi, … AS alias_lo`.
    pub fn sum(&mut self, expr: &str, alias: &str) -> &mut Self {
        let text = wide_sum_sql(self.backend(), expr, alias);
        self.0.sql(", ").sql(&text);
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

    /// `AND {column} = id` when one customer is asked for.
    pub fn only(&mut self, column: &str, customer_id: Option<i64>) -> &mut Self {
        if let Some(id) = customer_id {
            self.0.sql(&format!(" AND {column} = ")).bind(id);
        }
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

pub fn get<T: sea_orm::TryGetable>(row: &QueryResult, column: &str) -> AppResult<T> {
    Ok(row.try_get::<T>("", column)?)
}

/// Whether a code or company name contains the search text (any case).
pub fn matches(query: Option<&str>, code: &str, name: &str) -> bool {
    match query.map(str::trim).filter(|q| !q.is_empty()) {
        None => true,
        Some(q) => {
            let q = q.to_lowercase();
            code.to_lowercase().contains(&q) || name.to_lowercase().contains(&q)
        }
    }
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
/// the given account statuses, by customer code.
pub async fn customers(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    statuses: Option<&[&str]>,
) -> AppResult<Vec<CustomerFacts>> {
    customers_of(db, scope, statuses, None).await
}

/// [`customers`], or only the one asked for (none when out of scope).
pub async fn customers_of(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    statuses: Option<&[&str]>,
    only: Option<i64>,
) -> AppResult<Vec<CustomerFacts>> {
    let mut sql = Sql::new(db);
    sql.sql(
        "SELECT id, customer_code, company_name, account_status, sales_owner_id, signed_at, contract_end_at \
         FROM customers WHERE is_deleted = ",
    )
    .bind(false)
    .scope(scope, "id")
    .only("id", only);
    if let Some(statuses) = statuses {
        sql.sql(" AND account_status IN ");
        sql.0.tuple(statuses.iter().map(|s| Value::from(s.to_string())));
    }
    sql.sql(" ORDER BY customer_code");
    sql.all(db)
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
        .collect()
}
