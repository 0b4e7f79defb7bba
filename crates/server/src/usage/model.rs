//! Request and response shapes of reading usage (docs/api/usage.md): the
//! record list, a month's daily series, the monthly table, a customer's
//! trend and a record's revisions; the quarantine list and a person's
//! resolution of its entries.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use opcms_domain::customer::Series;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::users::UserRef;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordQuery {
    pub customer_id: Option<i64>,
    pub series: Option<String>,
    /// `YYYY-MM`
    pub month: Option<String>,
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    pub to: Option<String>,
    pub source: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordView {
    pub id: i64,
    pub customer_id: i64,
    #[schema(required = true)]
    pub customer_code: Option<String>,
    #[schema(required = true)]
    pub company_name: Option<String>,
    #[schema(value_type = opcms_domain::customer::Series)]
    pub series: String,
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    pub quantity: String,
    pub source: String,
    pub source_id: String,
    pub revisions: i32,
    /// The record's version (its `revisions`), for `PATCH /usage/{id}`.
    pub version: i32,
    pub updated_at: chrono::DateTime<Utc>,
    #[schema(required = true)]
    pub updated_by: Option<UserRef>,
}

/// Quantities per series, in bill order, as strings.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct PerSeries<T> {
    #[serde(rename = "X")]
    pub x: T,
    #[serde(rename = "N")]
    pub n: T,
    #[serde(rename = "L")]
    pub l: T,
}

impl<T> PerSeries<T> {
    pub(super) fn get_mut(&mut self, series: Series) -> &mut T {
        match series {
            Series::X => &mut self.x,
            Series::N => &mut self.n,
            Series::L => &mut self.l,
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyQuery {
    /// `YYYY-MM` (required)
    pub month: Option<String>,
    pub customer_id: Option<i64>,
    pub series: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DailySeries {
    pub month: String,
    #[schema(value_type = Vec<String>)]
    pub days: Vec<NaiveDate>,
    pub series: PerSeries<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthlyQuery {
    /// `YYYY-MM` (required)
    pub month: Option<String>,
    /// Customer code or company name (part of).
    pub q: Option<String>,
    pub customer_id: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MonthlyRow {
    pub customer_id: i64,
    pub customer_code: String,
    pub company_name: String,
    #[serde(rename = "X")]
    pub x: String,
    #[serde(rename = "N")]
    pub n: String,
    #[serde(rename = "L")]
    pub l: String,
    /// Distinct days with a record.
    pub days: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MonthlyPage {
    pub items: Vec<MonthlyRow>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
    pub totals: PerSeries<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendQuery {
    pub customer_id: Option<i64>,
    /// 1–36, default 12, ending with the current month.
    pub months: Option<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Trend {
    pub months: Vec<String>,
    pub series: PerSeries<Vec<String>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RevisionView {
    pub id: i64,
    pub quantity_before: String,
    pub quantity_after: String,
    /// `redelivery` | `import` | `entry` | `correction` | `quarantine`
    pub cause: String,
    #[schema(required = true)]
    pub reason: Option<String>,
    pub changed_at: chrono::DateTime<Utc>,
    #[schema(required = true)]
    pub changed_by: Option<UserRef>,
    pub changed_by_name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuarantineView {
    pub id: i64,
    pub source: String,
    #[schema(required = true)]
    pub source_id: Option<String>,
    #[schema(value_type = opcms_domain::usage::QuarantineReason)]
    pub reason: String,
    pub message: String,
    #[schema(required = true)]
    pub account_id: Option<String>,
    #[schema(required = true)]
    pub customer_id: Option<i64>,
    #[schema(required = true)]
    pub customer_code: Option<String>,
    #[schema(required = true)]
    pub company_name: Option<String>,
    #[schema(required = true)]
    pub series: Option<String>,
    #[schema(required = true)]
    pub day: Option<String>,
    #[schema(required = true)]
    pub quantity: Option<String>,
    /// The record as received.
    #[schema(value_type = Object)]
    pub raw: Value,
    /// `pending` | `resolved` | `discarded`
    #[schema(value_type = QuarantineStatus)]
    pub status: String,
    pub occurrences: i32,
    #[schema(required = true)]
    pub run_id: Option<i64>,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
    #[schema(required = true)]
    pub resolved_at: Option<chrono::DateTime<Utc>>,
    #[schema(required = true)]
    pub resolved_by: Option<UserRef>,
    /// `mapped` | `corrected` | `accepted` | `discarded`
    #[schema(required = true, value_type = Option<QuarantineResolution>)]
    pub resolution: Option<String>,
    #[schema(required = true)]
    pub resolution_note: Option<String>,
    #[schema(required = true)]
    pub usage_record_id: Option<i64>,
}

/// How a quarantined record was resolved.
/// The field holds the code as a string; this names the codes in the
/// OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum QuarantineResolution {
    Mapped,
    Corrected,
    Accepted,
    Discarded,
}

/// Where a quarantined record stands.
/// The field holds the code as a string; this names the codes in the
/// OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum QuarantineStatus {
    Pending,
    Resolved,
    Discarded,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuarantineQuery {
    /// `pending` | `resolved` | `discarded`; every status when absent.
    pub status: Option<String>,
    /// A reason code, e.g. `UNKNOWN_ACCOUNT`.
    pub reason: Option<String>,
    pub source: Option<String>,
    /// Account id or message text.
    pub q: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuarantinePage {
    pub items: Vec<QuarantineView>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
    /// Pending entries by reason code, over the whole quarantine.
    pub pending_by_reason: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    MapAccount,
    Correct,
    Accept,
    Discard,
}

impl Action {
    pub(super) fn resolution(self) -> &'static str {
        match self {
            Action::MapAccount => "mapped",
            Action::Correct => "corrected",
            Action::Accept => "accepted",
            Action::Discard => "discarded",
        }
    }
}

/// A resolution of one entry (`/quarantine/{id}/resolve`) or of many
/// (`/quarantine/resolve`, with `ids`).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    #[serde(default)]
    pub ids: Option<Vec<i64>>,
    /// Instead of `ids`: every pending entry matching the list's filter
    /// (at most 10,000).
    #[serde(default)]
    pub filter: Option<ResolveFilter>,
    pub action: Action,
    pub customer_id: Option<i64>,
    pub series: Option<String>,
    pub day: Option<String>,
    pub quantity: Option<String>,
    pub note: Option<String>,
}

/// The quarantine list's filter, for a resolution of all it matches.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveFilter {
    /// Only `pending` (or absent): resolved entries cannot be resolved again.
    pub status: Option<String>,
    pub reason: Option<String>,
    pub source: Option<String>,
    pub q: Option<String>,
}

/// Which entries a resolution is for.
pub enum Target {
    Ids(Vec<i64>),
    Filter(ResolveFilter),
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResolveResult {
    /// Entries the request covered (for a filter: how many matched).
    pub matched: u32,
    pub resolved: u32,
    pub still_pending: u32,
    /// The entries, as they are now (empty for a filter: see `results`).
    pub items: Vec<QuarantineView>,
    /// Each entry's outcome, by id.
    pub results: Vec<ResolveItem>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResolveItem {
    pub id: i64,
    /// `resolved` | `discarded` | `pending` (checked again, still failing)
    #[schema(value_type = QuarantineStatus)]
    pub status: &'static str,
    #[schema(required = true)]
    pub usage_record_id: Option<i64>,
    /// Why it is still pending.
    #[schema(required = true, value_type = Option<opcms_domain::usage::QuarantineReason>)]
    pub reason: Option<String>,
}
