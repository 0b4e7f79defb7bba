//! `GET /analytics/churn-risk`: live customers (active, arrears, suspended)
//! that raise at least one churn flag on `as_of`, high risk first.

use chrono::NaiveDate;
use opcms_domain::DataScope;
use opcms_domain::analytics::{ChurnFlag, Risk};
use opcms_domain::customer::AccountStatus;
use serde::{Deserialize, Serialize};

use super::facts::{Sql, filtered_page, get, search};
use super::params::choice;
use super::snapshot::{self, Need};
use crate::error::{AppError, AppResult};
use crate::http::pagination::{Page, PageRequest};
use crate::state::AppState;
use crate::users::service::{UserRef, display_names};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChurnQuery {
    /// The day the flags are judged on (default today).
    pub as_of: Option<NaiveDate>,
    /// high | medium.
    pub risk: Option<String>,
    /// Customer code or company name contains.
    pub q: Option<String>,
    /// Only customers of this sales owner.
    pub owner_id: Option<i64>,
    /// Export only: xlsx (default) | csv | pdf.
    pub format: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChurnRow {
    pub customer_id: i64,
    pub customer_code: String,
    pub company_name: String,
    pub account_status: AccountStatus,
    #[schema(required = true)]
    pub sales_owner: Option<UserRef>,
    pub risk: Risk,
    pub flags: Vec<ChurnFlag>,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct RiskCounts {
    pub high: u64,
    pub medium: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChurnRisk {
    pub as_of: NaiveDate,
    /// Customers per risk over the whole scope (filters aside).
    pub counts: RiskCounts,
    pub items: Vec<ChurnRow>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

/// The counts over the scope, the rows the filters keep (high first, then
/// by code; one page, or all when `page` is None) and how many they are.
pub async fn select(
    state: &AppState,
    scope: &DataScope,
    as_of: NaiveDate,
    query: &ChurnQuery,
    page: Option<PageRequest>,
) -> AppResult<(RiskCounts, Vec<ChurnRow>, u64)> {
    let risk = choice(
        query.risk.as_deref(),
        "risk",
        Risk::parse,
        "风险等级须为 high 或 medium",
    )?;
    let rules = crate::settings::load(&state.db).await?.churn_rules();
    snapshot::prepare(state, Some(Need::Churn(as_of, rules))).await?;
    let db = &state.db;
    let mut sql = Sql::new(db);
    sql.sql("SELECT risk, COUNT(*) AS n FROM analytics_churn_rows WHERE as_of = ")
        .bind(as_of)
        .owners(scope, "owner_id")
        .sql(" GROUP BY risk");
    let mut counts = RiskCounts::default();
    for row in sql.all(db).await? {
        let (code, n): (String, i64) = (get(&row, "risk")?, get(&row, "n")?);
        match Risk::parse(&code) {
            Some(Risk::High) => counts.high = n.max(0) as u64,
            Some(Risk::Medium) => counts.medium = n.max(0) as u64,
            None => {}
        }
    }
    let filter = |sql: &mut Sql| {
        sql.sql(" FROM analytics_churn_rows WHERE as_of = ")
            .bind(as_of)
            .owners(scope, "owner_id");
        if let Some(risk) = risk {
            sql.sql(" AND risk = ").bind(risk.code());
        }
        if let Some(owner) = query.owner_id {
            sql.sql(" AND owner_id = ").bind(owner);
        }
        search(sql, query.q.as_deref());
    };
    let (found, total) = filtered_page(
        db,
        "customer_id, customer_code, company_name, account_status, owner_id, risk, flags",
        filter,
        "risk_rank, code_key",
        page,
    )
    .await?;
    let owners = display_names(
        db,
        found
            .iter()
            .filter_map(|row| get::<i64>(row, "owner_id").ok())
            .filter(|id| *id != 0),
    )
    .await?;
    let rows = found
        .iter()
        .map(|row| {
            let owner: i64 = get(row, "owner_id")?;
            let (status, risk, flags): (String, String, String) =
                (get(row, "account_status")?, get(row, "risk")?, get(row, "flags")?);
            Ok(ChurnRow {
                customer_id: get(row, "customer_id")?,
                customer_code: get(row, "customer_code")?,
                company_name: get(row, "company_name")?,
                account_status: AccountStatus::parse(&status).unwrap_or(AccountStatus::Active),
                sales_owner: (owner != 0).then(|| UserRef::named(owner, &owners)),
                risk: Risk::parse(&risk).unwrap_or(Risk::Medium),
                flags: serde_json::from_str(&flags).map_err(|e| AppError::Internal(e.into()))?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok((counts, rows, total))
}

pub async fn churn_risk(
    state: &AppState,
    scope: &DataScope,
    as_of: NaiveDate,
    query: &ChurnQuery,
    page: PageRequest,
) -> AppResult<ChurnRisk> {
    let (counts, items, total) = select(state, scope, as_of, query, Some(page)).await?;
    let page = Page::new(items, total, page);
    Ok(ChurnRisk {
        as_of,
        counts,
        items: page.items,
        total: page.total,
        page: page.page,
        page_size: page.page_size,
    })
}
