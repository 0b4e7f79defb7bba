//! Request and response shapes of `/api/v1/bills…` (docs/api/bills.md).

use chrono::{DateTime, NaiveDate, Utc};
use opcms_domain::billing::{BillStatus, BillWarning, StoredLine};
use opcms_domain::customer::Series;
use opcms_domain::money::Total;
use opcms_domain::pricing::RawValue;
use opcms_domain::{Fixed4, Period};
use serde::{Deserialize, Serialize};

use super::entity::run;
use crate::calendar::current_period;
use crate::users::service::UserRef;

pub use crate::customers::model::CustomerRef;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = BillPlanRef)]
pub struct PlanRef {
    pub id: i64,
    pub name: String,
    pub version: i32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Acknowledgement {
    #[schema(required = true)]
    pub by: Option<UserRef>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreditNoteView {
    pub id: i64,
    #[schema(value_type = String)]
    pub amount: Fixed4,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    #[schema(required = true)]
    pub created_by: Option<UserRef>,
}

/// An issued bill whose usage changed after it was issued: the series
/// whose month total differs from what the bill charged.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LateUsage {
    pub detected_at: DateTime<Utc>,
    pub series: Vec<LateSeries>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LateSeries {
    pub series: Series,
    /// The usage the bill charged, and the month's total now.
    pub billed: String,
    pub current: String,
}

/// A bill. Lists leave out `lines` and `credit_notes` (empty there).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BillView {
    pub id: i64,
    pub bill_no: String,
    pub customer: CustomerRef,
    pub customer_id: i64,
    #[schema(value_type = String)]
    pub period: Period,
    #[schema(value_type = BillKind)]
    pub kind: String,
    pub status: BillStatus,
    #[schema(required = true)]
    pub plan: Option<PlanRef>,
    pub lines: Vec<StoredLine>,
    #[schema(value_type = String)]
    pub subtotal: Fixed4,
    #[schema(value_type = String)]
    pub credited: Fixed4,
    #[schema(value_type = String)]
    pub total: Fixed4,
    #[schema(value_type = String)]
    pub allocated: Fixed4,
    #[schema(value_type = String)]
    pub outstanding: Fixed4,
    #[schema(required = true)]
    pub due_date: Option<NaiveDate>,
    pub overdue: bool,
    pub overdue_days: i64,
    pub warnings: Vec<BillWarning>,
    #[schema(required = true)]
    pub warnings_acknowledged: Option<Acknowledgement>,
    #[schema(required = true)]
    pub late_usage: Option<LateUsage>,
    pub credit_notes: Vec<CreditNoteView>,
    #[schema(required = true)]
    pub remarks: Option<String>,
    #[schema(required = true)]
    pub issued_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub issued_by: Option<UserRef>,
    #[schema(required = true)]
    pub voided_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub voided_by: Option<UserRef>,
    #[schema(required = true)]
    pub void_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// `auto`: made by a generation run; `manual`: 手工账单.
/// The field holds the code as a string; this names the codes in the
/// OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum BillKind {
    Auto,
    Manual,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct IssueInput {
    pub acknowledge_warnings: Option<bool>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct BatchIssueInput {
    /// At most 1,000 named drafts; or `filter` instead.
    pub ids: Option<Vec<i64>>,
    /// Every draft matching these list filters (the status is always
    /// `draft`), however many: `{"period": "2026-11", "has_warnings": false}`
    /// issues all clean drafts of November.
    pub filter: Option<BillFilter>,
    pub acknowledge_warnings: Option<bool>,
    /// With `filter`: the count the person confirmed (from `GET /bills` with
    /// the same filter); a different count now answers 409 `BATCH_CHANGED`.
    pub expected_count: Option<u64>,
    /// With `filter`: the total the person confirmed, likewise.
    pub expected_total: Option<String>,
}

/// The `GET /bills` filters a batch issue may select drafts by.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillFilter {
    /// `YYYY-MM`.
    pub period: Option<String>,
    pub customer_id: Option<i64>,
    /// auto | manual.
    pub kind: Option<String>,
    pub q: Option<String>,
    pub has_warnings: Option<bool>,
}

impl BillFilter {
    /// The list query of the drafts this filter selects.
    pub fn drafts(&self) -> BillQuery {
        BillQuery {
            period: self.period.clone(),
            status: Some("draft".into()),
            customer_id: self.customer_id,
            kind: self.kind.clone(),
            q: self.q.clone(),
            has_warnings: self.has_warnings,
            ..BillQuery::default()
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchSkip {
    pub bill_id: i64,
    #[schema(required = true)]
    pub bill_no: Option<String>,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchIssueResult {
    /// The drafts the ids or the filter named.
    pub matched: u32,
    pub issued: u32,
    /// Σ of the issued bills' totals.
    #[schema(value_type = String)]
    pub issued_total: Total,
    pub skipped: Vec<BatchSkip>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct VoidInput {
    pub reason: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CreditInput {
    #[schema(value_type = String)]
    pub amount: Option<RawValue>,
    pub reason: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ManualBillInput {
    pub customer_id: Option<i64>,
    pub period: Option<String>,
    pub lines: Option<Vec<opcms_domain::billing::RawManualLine>>,
    pub remarks: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BillQuery {
    /// `YYYY-MM`.
    pub period: Option<String>,
    /// draft | issued | partially_paid | paid | void; several comma-separated.
    pub status: Option<String>,
    pub customer_id: Option<i64>,
    /// `true`: issued or partially paid past the due date.
    pub overdue: Option<bool>,
    /// auto | manual.
    pub kind: Option<String>,
    /// Bill number, customer code or company name contains.
    pub q: Option<String>,
    pub has_warnings: Option<bool>,
    /// `period`, `-period` (default), `total`, `-total`, `due_date`, `-due_date`, `bill_no`.
    pub sort: Option<String>,
    /// Export only: xlsx | csv.
    pub format: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BillTotals {
    pub count: u64,
    /// Sums are exact past the range of one stored amount (docs/api/bills.md).
    #[schema(value_type = String)]
    pub subtotal: Total,
    #[schema(value_type = String)]
    pub credited: Total,
    #[schema(value_type = String)]
    pub total: Total,
    #[schema(value_type = String)]
    pub allocated: Total,
    #[schema(value_type = String)]
    pub outstanding: Total,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BillPage {
    pub items: Vec<BillView>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
    pub totals: BillTotals,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct GenerateInput {
    /// `YYYY-MM`, not after the current month.
    pub period: Option<String>,
    /// Only these customers (default: every customer).
    pub customer_ids: Option<Vec<i64>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Skipped {
    pub customer_id: i64,
    pub customer_code: String,
    pub company_name: String,
    #[schema(value_type = opcms_domain::billing::SkipReason)]
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunResult {
    pub run_id: i64,
    #[schema(value_type = String)]
    pub period: Period,
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub voided: u32,
    pub kept_issued: u32,
    pub late_usage: u32,
    pub skipped: Vec<Skipped>,
    pub skipped_count: u32,
    /// Drafts of this run carrying at least one warning.
    pub warnings: u32,
    pub duration_ms: u64,
    pub started_at: chrono::DateTime<Utc>,
    pub actor_name: String,
    #[schema(required = true)]
    pub customer_ids: Option<Vec<i64>>,
}

impl RunResult {
    pub fn from_row(row: run::Model) -> RunResult {
        RunResult {
            run_id: row.id,
            period: Period::from_key(row.period).unwrap_or_else(current_period),
            created: row.created as u32,
            updated: row.updated as u32,
            unchanged: row.unchanged as u32,
            voided: row.voided as u32,
            kept_issued: row.kept_issued as u32,
            late_usage: row.late_usage as u32,
            skipped: serde_json::from_str(&row.skipped).unwrap_or_default(),
            skipped_count: row.skipped_count as u32,
            warnings: row.warnings as u32,
            duration_ms: row.duration_ms as u64,
            started_at: row.started_at,
            actor_name: row.actor_name,
            customer_ids: row.customer_filter.and_then(|f| serde_json::from_str(&f).ok()),
        }
    }
}
