//! `GET /close/overview?period=`: one month's close, step by step, with the
//! open count of each step and the step to work next.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use opcms_domain::billing::BillStatus;
use opcms_domain::close::{CloseStep, OpenWork, days_due};
use opcms_domain::customer::AccountStatus;
use opcms_domain::money::Total;
use opcms_domain::{DataScope, Period};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use crate::bills::entity::{bill, run as billing_run};
use crate::bills::list;
use crate::bills::model::BillQuery;
use crate::calendar::business_today;
use crate::customers::entity::customer;
use crate::db::count_and_sums;
use crate::error::AppResult;
use crate::payments::model::PaymentQuery;
use crate::state::AppState;
use crate::usage::entity::{daily, monthly, quarantine, run as collection_run};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CloseOverview {
    #[schema(value_type = String, example = "2026-11")]
    pub period: Period,
    /// The business day the figures are counted on.
    pub as_of: NaiveDate,
    pub usage: UsageProgress,
    pub quarantine: QuarantineProgress,
    pub bills: BillProgress,
    pub receipts: ReceiptProgress,
    pub overdue: OverdueBills,
    /// Every step in order with its open count.
    pub steps: Vec<StepState>,
    /// The first step with open work, `done` when none.
    #[schema(example = "issue")]
    pub next_step: CloseStep,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StepState {
    #[schema(example = "collect")]
    pub step: CloseStep,
    /// Open items of the step (days, records, customers, bills, receipts).
    pub open: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageProgress {
    /// The days of the month whose usage is due by now (yesterday at the latest).
    pub days_due: u32,
    /// Per configured source, the due days without a successful collection.
    pub sources: Vec<SourceProgress>,
    /// Due days on which no usage at all is recorded (any source).
    pub days_without_usage: Vec<NaiveDate>,
    /// Customers with usage in the month.
    pub customers_with_usage: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SourceProgress {
    pub source: String,
    pub collected_days: u32,
    /// Due days without a successful collection, oldest first.
    pub missing_days: Vec<NaiveDate>,
    /// The missing days whose last collection failed.
    pub failed_days: Vec<NaiveDate>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuarantineProgress {
    /// Pending records dated in the month.
    pub pending_in_period: u64,
    /// Pending records of any day (including undated ones).
    pub pending_total: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BillProgress {
    /// Billable customers with usage in the month and no bill for it yet.
    pub customers_not_billed: u64,
    pub drafts: u64,
    #[schema(value_type = String)]
    pub drafts_total: Total,
    pub drafts_with_warnings: u64,
    /// Drafts without warnings: what 开具全部无警告草稿 would issue.
    pub clean_drafts: u64,
    #[schema(value_type = String)]
    pub clean_drafts_total: Total,
    /// Issued, partially paid and paid bills of the month.
    pub issued: u64,
    #[schema(value_type = String)]
    pub issued_total: Total,
    #[schema(value_type = String)]
    pub issued_outstanding: Total,
    #[schema(required = true)]
    pub last_generated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReceiptProgress {
    /// Receipts (any month) with money not yet allocated to bills.
    pub unallocated: u64,
    #[schema(value_type = String)]
    pub unapplied_total: Total,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OverdueBills {
    /// Issued or partially paid bills (any month) past their due date.
    pub bills: u64,
    #[schema(value_type = String)]
    pub outstanding: Total,
}

pub async fn overview(state: &AppState, period: Period) -> AppResult<CloseOverview> {
    let db = &state.db;
    let today = business_today();
    let due = days_due(period.first_day(), period.last_day(), today);
    let sources: Vec<String> = state.config.usage_sources.iter().map(|s| s.name.clone()).collect();

    let usage = usage_progress(db, period, &due, &sources).await?;
    let quarantine = quarantine_progress(db, period).await?;
    let bills = bill_progress(state, period).await?;
    let receipts = receipt_progress(db).await?;
    let overdue = overdue_bills(db).await?;

    let work = OpenWork {
        days_not_collected: usage.sources.iter().map(|s| s.missing_days.len() as u64).sum(),
        quarantine_pending: quarantine.pending_in_period,
        customers_not_billed: bills.customers_not_billed,
        drafts_with_warnings: bills.drafts_with_warnings,
        clean_drafts: bills.clean_drafts,
        unallocated_receipts: receipts.unallocated,
        overdue_bills: overdue.bills,
    };
    Ok(CloseOverview {
        period,
        as_of: today,
        steps: CloseStep::ORDER
            .into_iter()
            .map(|step| StepState {
                step,
                open: work.of(step),
            })
            .collect(),
        next_step: work.next_step(),
        usage,
        quarantine,
        bills,
        receipts,
        overdue,
    })
}

async fn usage_progress(
    db: &impl ConnectionTrait,
    period: Period,
    due: &[NaiveDate],
    sources: &[String],
) -> AppResult<UsageProgress> {
    let (first, last) = (period.first_day(), period.last_day());
    // The month's runs, oldest first: a later run of a day decides its state.
    let runs: Vec<(String, NaiveDate, String)> = collection_run::Entity::find()
        .select_only()
        .columns([
            collection_run::Column::Source,
            collection_run::Column::Day,
            collection_run::Column::Status,
        ])
        .filter(collection_run::Column::Day.between(first, last))
        .order_by_asc(collection_run::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut succeeded: BTreeMap<&str, BTreeSet<NaiveDate>> = BTreeMap::new();
    let mut last_status: BTreeMap<(&str, NaiveDate), &str> = BTreeMap::new();
    for (source, day, status) in &runs {
        if status == "succeeded" {
            succeeded.entry(source).or_default().insert(*day);
        }
        last_status.insert((source, *day), status);
    }
    let sources = sources
        .iter()
        .map(|source| {
            let done = succeeded.get(source.as_str());
            let missing: Vec<NaiveDate> = due
                .iter()
                .copied()
                .filter(|day| !done.is_some_and(|days| days.contains(day)))
                .collect();
            SourceProgress {
                source: source.clone(),
                collected_days: (due.len() - missing.len()) as u32,
                failed_days: missing
                    .iter()
                    .copied()
                    .filter(|day| last_status.get(&(source.as_str(), *day)) == Some(&"failed"))
                    .collect(),
                missing_days: missing,
            }
        })
        .collect();

    let with_usage: BTreeSet<NaiveDate> = daily::Entity::find()
        .select_only()
        .column(daily::Column::Day)
        .filter(daily::Column::Day.between(first, last))
        .filter(daily::Column::Quantity.gt(0))
        .into_tuple::<NaiveDate>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let customers_with_usage = monthly::Entity::find()
        .select_only()
        .column(monthly::Column::CustomerId)
        .filter(monthly::Column::Month.eq(period.key()))
        .filter(monthly::Column::Quantity.gt(0))
        .distinct()
        .count(db)
        .await?;
    Ok(UsageProgress {
        days_due: due.len() as u32,
        sources,
        days_without_usage: due.iter().copied().filter(|day| !with_usage.contains(day)).collect(),
        customers_with_usage,
    })
}

async fn quarantine_progress(db: &impl ConnectionTrait, period: Period) -> AppResult<QuarantineProgress> {
    let pending = || quarantine::Entity::find().filter(quarantine::Column::Status.eq("pending"));
    // `day` is kept as the source wrote it; accepted spellings are ISO dates.
    let month_prefix = format!("{}-%", period);
    Ok(QuarantineProgress {
        pending_in_period: pending()
            .filter(quarantine::Column::Day.like(month_prefix))
            .count(db)
            .await?,
        pending_total: pending().count(db).await?,
    })
}

/// The statuses a bill of the month counts as issued in.
const ISSUED: [BillStatus; 3] = [BillStatus::Issued, BillStatus::PartiallyPaid, BillStatus::Paid];

async fn bill_progress(state: &AppState, period: Period) -> AppResult<BillProgress> {
    let db = &state.db;
    let of_month = |status: &str, has_warnings: Option<bool>| BillQuery {
        period: Some(period.to_string()),
        status: Some(status.to_string()),
        has_warnings,
        ..BillQuery::default()
    };
    let sums = |query: BillQuery| async move { list::totals(db, &query, &DataScope::All).await };
    let drafts = sums(of_month("draft", None)).await?;
    let drafts_with_warnings = sums(of_month("draft", Some(true))).await?.count;
    let clean_drafts = sums(of_month("draft", Some(false))).await?;
    let issued_codes = ISSUED.map(|s| s.code()).join(",");
    let issued = sums(of_month(&issued_codes, None)).await?;

    let last_generated_at = billing_run::Entity::find()
        .select_only()
        .column(billing_run::Column::StartedAt)
        .filter(billing_run::Column::Period.eq(period.key()))
        .order_by_desc(billing_run::Column::Id)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await?;

    Ok(BillProgress {
        customers_not_billed: customers_not_billed(state, period).await?,
        drafts: drafts.count,
        drafts_total: drafts.total,
        drafts_with_warnings,
        clean_drafts: clean_drafts.count,
        clean_drafts_total: clean_drafts.total,
        issued: issued.count,
        issued_total: issued.total,
        issued_outstanding: issued.outstanding,
        last_generated_at,
    })
}

/// Customers generation would bill for their usage (DESIGN.md §7, the
/// statuses of `billing::billability`) that have no live auto bill yet.
async fn customers_not_billed(state: &AppState, period: Period) -> AppResult<u64> {
    let mut statuses = vec![AccountStatus::Active, AccountStatus::Arrears, AccountStatus::Suspended];
    if crate::settings::load(&state.db).await?.bill_trial_customers {
        statuses.push(AccountStatus::Trial);
    }
    let billable = Query::select()
        .column(customer::Column::Id)
        .from(customer::Entity)
        .and_where(customer::Column::IsDeleted.eq(false))
        .and_where(customer::Column::AccountStatus.is_in(statuses.iter().map(|s| s.code())))
        .to_owned();
    let billed = Query::select()
        .column(bill::Column::CustomerId)
        .from(bill::Entity)
        .and_where(bill::Column::Period.eq(period.key()))
        .and_where(bill::Column::Kind.eq("auto"))
        .and_where(bill::Column::Status.ne(BillStatus::Void.code()))
        .to_owned();
    Ok(monthly::Entity::find()
        .select_only()
        .column(monthly::Column::CustomerId)
        .filter(monthly::Column::Month.eq(period.key()))
        .filter(monthly::Column::Quantity.gt(0))
        .filter(monthly::Column::CustomerId.in_subquery(billable))
        .filter(monthly::Column::CustomerId.not_in_subquery(billed))
        .distinct()
        .count(&state.db)
        .await?)
}

async fn receipt_progress(db: &impl ConnectionTrait) -> AppResult<ReceiptProgress> {
    let open = PaymentQuery {
        status: Some("unapplied,partially_applied".into()),
        ..PaymentQuery::default()
    };
    let totals = crate::payments::list::totals(db, &open, &DataScope::All).await?;
    Ok(ReceiptProgress {
        unallocated: totals.count,
        unapplied_total: totals.unapplied,
    })
}

async fn overdue_bills(db: &impl ConnectionTrait) -> AppResult<OverdueBills> {
    let query = BillQuery {
        overdue: Some(true),
        ..BillQuery::default()
    };
    let (bills, sums) = count_and_sums(db, list::build(&query, &DataScope::All)?, &["total", "allocated"]).await?;
    Ok(OverdueBills {
        bills,
        outstanding: sums[0] - sums[1],
    })
}
