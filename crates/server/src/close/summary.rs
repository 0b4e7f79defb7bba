//! `GET /home/summary`: what each role's home page shows until the analytics
//! dashboard arrives — customers by status, what is owed and overdue, last
//! month's bills and how much of them is collected, this month's receipts,
//! and the customers most overdue. A sales user's figures cover only their
//! own customers (DESIGN.md §9/§10).

use opcms_domain::billing::BillStatus;
use opcms_domain::customer::AccountStatus;
use opcms_domain::money::Total;
use opcms_domain::{DataScope, Period};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;

use crate::bills::list;
use crate::bills::model::BillQuery;
use crate::calendar::business_today;
use crate::customers::entity::customer;
use crate::db::count_and_sums;
use crate::error::AppResult;
use crate::http::pagination::PageRequest;
use crate::payments::entity::payment;
use crate::payments::receivables::{self, AgingMoney, AgingQuery, AgingRow};
use crate::state::AppState;

/// The most overdue customers shown on a home page.
const TOP_OVERDUE: u64 = 10;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HomeSummary {
    /// `all`, or `own` when the figures cover only the user's customers.
    #[schema(value_type = SummaryScope)]
    pub scope: &'static str,
    pub as_of: chrono::NaiveDate,
    pub customers: CustomerCounts,
    /// What is owed today, by bucket, with unapplied money (预收).
    pub receivables: AgingMoney,
    pub last_period: PeriodBilling,
    pub receipts_this_month: MonthReceipts,
    /// The customers with the most overdue money, largest first.
    pub top_overdue: Vec<AgingRow>,
}

/// Whose figures a summary counts.
/// The field holds the code as a string; this names the codes in the
/// OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum SummaryScope {
    All,
    Own,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct CustomerCounts {
    pub total: u64,
    pub trial: u64,
    pub active: u64,
    pub arrears: u64,
    pub suspended: u64,
    pub closed: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PeriodBilling {
    #[schema(value_type = String, example = "2026-11")]
    pub period: Period,
    /// Issued, partially paid and paid bills of the period.
    pub bills: u64,
    #[schema(value_type = String)]
    pub billed: Total,
    #[schema(value_type = String)]
    pub collected: Total,
    /// collected / billed as a percentage with one decimal, `null` without bills.
    #[schema(required = true)]
    pub collection_rate: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MonthReceipts {
    #[schema(value_type = String, example = "2026-12")]
    pub period: Period,
    pub count: u64,
    #[schema(value_type = String)]
    pub amount: Total,
}

pub async fn summary(state: &AppState, scope: &DataScope) -> AppResult<HomeSummary> {
    let db = &state.db;
    let today = business_today();
    let this_month = Period::of_date(today);
    let last_month = this_month.previous().unwrap_or(this_month);
    let aging = receivables::aging(
        state,
        &AgingQuery {
            as_of: Some(today),
            q: None,
            owner_id: None,
            overdue_only: Some(true),
            format: None,
        },
        scope,
        PageRequest {
            page: 1,
            page_size: TOP_OVERDUE,
        },
    )
    .await?;
    // The totals of the overdue-only filter are those of the customers it
    // keeps; the receivables of everyone come from the unfiltered report.
    let everyone = receivables::aging(
        state,
        &AgingQuery {
            as_of: Some(today),
            q: None,
            owner_id: None,
            overdue_only: None,
            format: None,
        },
        scope,
        PageRequest { page: 1, page_size: 1 },
    )
    .await?;
    Ok(HomeSummary {
        scope: scope.label_code(),
        as_of: today,
        customers: customer_counts(db, scope).await?,
        receivables: everyone.totals,
        last_period: period_billing(db, scope, last_month).await?,
        receipts_this_month: month_receipts(db, scope, this_month).await?,
        top_overdue: aging.items,
    })
}

async fn customer_counts(db: &impl ConnectionTrait, scope: &DataScope) -> AppResult<CustomerCounts> {
    let mut select = customer::Entity::find()
        .select_only()
        .column(customer::Column::AccountStatus)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(customer::Column::IsDeleted.eq(false))
        .group_by(customer::Column::AccountStatus);
    if let Some(owners) = scope.owners() {
        select = select.filter(customer::Column::SalesOwnerId.is_in(owners.iter().copied()));
    }
    let mut counts = CustomerCounts::default();
    for (status, n) in select.into_tuple::<(String, i64)>().all(db).await? {
        let n = n.max(0) as u64;
        counts.total += n;
        match AccountStatus::parse(&status) {
            Some(AccountStatus::Trial) => counts.trial += n,
            Some(AccountStatus::Active) => counts.active += n,
            Some(AccountStatus::Arrears) => counts.arrears += n,
            Some(AccountStatus::Suspended) => counts.suspended += n,
            Some(AccountStatus::Closed) => counts.closed += n,
            None => {}
        }
    }
    Ok(counts)
}

async fn period_billing(db: &impl ConnectionTrait, scope: &DataScope, period: Period) -> AppResult<PeriodBilling> {
    let query = BillQuery {
        period: Some(period.to_string()),
        status: Some(
            [BillStatus::Issued, BillStatus::PartiallyPaid, BillStatus::Paid]
                .map(|s| s.code())
                .join(","),
        ),
        ..BillQuery::default()
    };
    let (bills, sums) = count_and_sums(db, list::build(&query, scope)?, &["total", "allocated"]).await?;
    let (billed, collected) = (sums[0], sums[1]);
    Ok(PeriodBilling {
        period,
        bills,
        billed,
        collected,
        collection_rate: collected.percent_of(billed).map(|rate| rate.to_string()),
    })
}

async fn month_receipts(db: &impl ConnectionTrait, scope: &DataScope, period: Period) -> AppResult<MonthReceipts> {
    let mut select = payment::Entity::find()
        .filter(payment::Column::IsDeleted.eq(false))
        .filter(payment::Column::ReceivedAt.between(period.first_day(), period.last_day()));
    if let Some(owners) = scope.owners() {
        select = select.filter(
            payment::Column::CustomerId.in_subquery(
                Query::select()
                    .column(customer::Column::Id)
                    .from(customer::Entity)
                    .and_where(customer::Column::SalesOwnerId.is_in(owners.iter().copied()))
                    .to_owned(),
            ),
        );
    }
    let (count, sums) = count_and_sums(db, select, &["amount"]).await?;
    Ok(MonthReceipts {
        period,
        count,
        amount: sums[0],
    })
}
