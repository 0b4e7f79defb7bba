//! What the pricing API receives and answers.
//!
//! Rules, amounts and usage arrive as [`RawValue`]: the domain validators
//! walk them and name every bad field (`rules.X.tiers[1].up_to`), including
//! a JSON number where a string was required. Typed serde fields would stop
//! at the first problem with an English message.

use chrono::{DateTime, Utc};
use opcms_domain::Period;
use opcms_domain::pricing::{BillLine, Cliff, MinimumCharge, RawValue, Rule, SeriesMap, TierLine, VersionWarning};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::users::UserRef;

/// `POST /price-plans`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// Unique among live plans (compared normalized, case-insensitive).
    pub name: Option<String>,
    /// `YYYY-MM`: the first month version 1 applies to.
    pub effective_from: Option<String>,
    /// Monthly minimum charge (保底金额), a decimal string with at most 2 decimals.
    #[schema(value_type = Option<String>, example = "500.00")]
    pub minimum_charge: Option<RawValue>,
    /// `{"X": rule, "N": rule, "L": rule}`; a rule is `{"mode": "flat", "unit_price"}`
    /// or `{"mode": "graduated" | "volume", "tiers": [{"up_to", "unit_price"}]}`.
    #[schema(value_type = Object)]
    pub rules: Option<RawValue>,
    pub reason: Option<String>,
}

/// `POST /price-plans/{id}/versions`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionInput {
    pub effective_from: Option<String>,
    #[schema(value_type = Option<String>, example = "500.00")]
    pub minimum_charge: Option<RawValue>,
    #[schema(value_type = Object)]
    pub rules: Option<RawValue>,
    /// Why the prices change (required).
    pub reason: Option<String>,
    /// The version the editor started from: when given and no longer the
    /// latest, the request is a 409 `VERSION_CONFLICT` instead of silently
    /// replacing someone else's edit.
    pub base_version: Option<i32>,
}

/// `POST /price-plans/{id}/rollback`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackInput {
    /// The version whose minimum charge and rules the new version copies.
    pub version: i32,
    /// Default: 「回滚到版本 k」.
    pub reason: Option<String>,
    /// Default: the current month.
    pub effective_from: Option<String>,
}

/// `PUT /customers/{id}/pricing`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPricingInput {
    pub plan_id: i64,
    /// `{"X": rule, …}`: any series, or none; replaces the previous overrides.
    #[schema(value_type = Option<Object>)]
    pub overrides: Option<RawValue>,
}

/// `POST /pricing/quote`: exactly one of `rule`, `plan_id`, `plan`, `customer_id`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteInput {
    /// One rule; `usage` is then one quantity string.
    #[schema(value_type = Option<Object>)]
    pub rule: Option<RawValue>,
    /// A stored plan, at the version in force for `period` (default: this month).
    pub plan_id: Option<i64>,
    /// A plan not stored: `{"minimum_charge"?, "rules": {"X", "N", "L"}}`.
    #[schema(value_type = Option<Object>)]
    pub plan: Option<RawValue>,
    /// A customer's effective pricing (plan in force for `period` with overrides).
    pub customer_id: Option<i64>,
    /// A quantity string for `rule` (`"6000"`); `{"X": "6000", …}` otherwise.
    #[schema(value_type = Value)]
    pub usage: Option<RawValue>,
    /// `YYYY-MM`, for `plan_id` and `customer_id`.
    pub period: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// Substring of the plan name.
    pub q: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// Default: the version before `to`.
    #[param(minimum = 1)]
    pub from: Option<i32>,
    /// Default: the current version.
    #[param(minimum = 1)]
    pub to: Option<i32>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// `YYYY-MM`; default the current month.
    pub period: Option<String>,
}

/// A problem worth a second look that does not stop the write.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Warning {
    /// `PERIOD_ALREADY_BILLED`, `SUPERSEDED`, `NOT_IN_FORCE`, `VOLUME_PRICE_CLIFF`.
    pub code: &'static str,
    /// The field concerned, when there is one (`rules.L`).
    #[schema(required = true)]
    pub field: Option<String>,
    pub message: String,
}

impl From<VersionWarning> for Warning {
    fn from(warning: VersionWarning) -> Warning {
        Warning {
            code: warning.code,
            field: warning.field,
            message: warning.message,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    pub plan_id: i64,
    pub version: i32,
    #[schema(value_type = String, example = "2026-03")]
    pub effective_from: Period,
    #[schema(required = true, value_type = Option<String>, example = "500.00")]
    pub minimum_charge: Option<MinimumCharge>,
    /// `{"X": rule, "N": rule, "L": rule}`.
    #[schema(value_type = BTreeMap<String, Rule>)]
    pub rules: SeriesMap<Rule>,
    #[schema(required = true)]
    pub reason: Option<String>,
    /// Set when this version was made by rolling back to that version.
    #[schema(required = true)]
    pub rolled_back_from: Option<i32>,
    pub created_at: DateTime<Utc>,
    #[schema(required = true)]
    pub created_by: Option<UserRef>,
}

/// A version just written, with what the editor should know about it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionCreated {
    #[serde(flatten)]
    pub version: VersionView,
    pub current_version: i32,
    /// Periods at or after `effective_from` that already have bills under
    /// this plan: re-generating their drafts would change their amounts
    /// (issued bills never change).
    #[schema(value_type = Vec<String>)]
    pub already_billed_periods: Vec<Period>,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanSummary {
    pub id: i64,
    pub name: String,
    pub current_version: i32,
    /// The current version's first month.
    #[schema(value_type = String)]
    pub effective_from: Period,
    /// The version billing this month would use; null before the plan starts.
    #[schema(required = true)]
    pub in_force_version: Option<i32>,
    /// Live customers assigned to the plan.
    pub customers: u64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    pub id: i64,
    pub name: String,
    pub current_version: i32,
    /// The current (latest) version's first month, minimum and rules.
    #[schema(value_type = String)]
    pub effective_from: Period,
    #[schema(required = true, value_type = Option<String>)]
    pub minimum_charge: Option<MinimumCharge>,
    /// `{"X": rule, "N": rule, "L": rule}`.
    #[schema(value_type = BTreeMap<String, Rule>)]
    pub rules: SeriesMap<Rule>,
    #[schema(required = true)]
    pub reason: Option<String>,
    /// The version billing this month would use; null before the plan starts.
    #[schema(required = true)]
    pub in_force_version: Option<i32>,
    pub customers: u64,
    pub created_at: DateTime<Utc>,
    #[schema(required = true)]
    pub created_by: Option<i64>,
    pub updated_at: DateTime<Utc>,
    #[schema(required = true)]
    pub updated_by: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanCreated {
    #[serde(flatten)]
    pub plan: PlanView,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionRef {
    pub version: i32,
    #[schema(value_type = String)]
    pub effective_from: Period,
}

/// One changed field between two versions.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldChange {
    /// `effective_from`, `minimum_charge`, `rules.X.mode`, `rules.X.tiers[1].unit_price`…
    pub field: String,
    /// null: absent on that side.
    #[schema(value_type = Value)]
    pub before: Value,
    #[schema(value_type = Value)]
    pub after: Value,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DiffView {
    pub plan_id: i64,
    pub from: VersionRef,
    pub to: VersionRef,
    pub changes: Vec<FieldChange>,
}

/// Where a customer's rule for one series comes from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EffectiveRule {
    /// `plan` or `override`.
    #[schema(value_type = RuleSource)]
    pub source: &'static str,
    pub rule: Rule,
}

/// Where a customer's rule for a series comes from.
/// The field holds the code as a string; this names the codes in the
/// OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum RuleSource {
    Plan,
    Override,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanRef {
    pub id: i64,
    pub name: String,
}

/// The per-customer effective price view.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerPricingView {
    pub customer_id: i64,
    #[schema(value_type = String)]
    pub period: Period,
    /// null: no plan assigned.
    #[schema(required = true)]
    pub plan: Option<PlanRef>,
    /// The plan version in force for `period`; null when none is yet.
    #[schema(required = true)]
    pub version: Option<VersionRef>,
    #[schema(required = true, value_type = Option<String>)]
    pub minimum_charge: Option<MinimumCharge>,
    /// The customer's own rules, `{"X": rule, …}`.
    #[schema(value_type = BTreeMap<String, Rule>)]
    pub overrides: SeriesMap<Rule>,
    /// Per series: the override if any, else the plan version's rule.
    #[schema(value_type = BTreeMap<String, EffectiveRule>)]
    pub effective_rules: SeriesMap<EffectiveRule>,
    #[schema(required = true)]
    pub updated_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub updated_by: Option<i64>,
}

/// `{rule, usage}` answer: a rule case's `expected`, plus the volume cliffs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RuleQuoteView {
    #[schema(value_type = String, example = "2400.0000")]
    pub raw_amount: Decimal,
    #[schema(value_type = String, example = "2400.00")]
    pub amount: Decimal,
    /// `[{from, to, quantity, unit_price, amount}]`
    pub breakdown: Vec<TierLine>,
    /// Volume rules only: where more usage costs less.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cliffs: Option<Vec<Cliff>>,
}

/// Plan answers: a bill case's `{lines, total}`, plus where the rules came from.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BillQuoteView {
    /// `[{kind, series, usage, raw_amount, amount, tiers}]`
    pub lines: Vec<BillLine>,
    #[schema(value_type = String, example = "4084.00")]
    pub total: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub effective_from: Option<Period>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub period: Option<Period>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum QuoteView {
    Rule(RuleQuoteView),
    Bill(BillQuoteView),
}
