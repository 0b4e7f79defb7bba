//! Pricing (定价配置, DESIGN.md §5): price rules, their validation, the exact
//! engine that turns usage into bill amounts, and the analysis behind the
//! plan editor's warnings. Pure: no IO, and no binary floats anywhere on the
//! money path (a test reads these sources to keep it so).
//!
//! - [`RawRule`] / [`RawPlanPricing`]: input as received; `validate()`
//!   reports every problem with a field path and a Chinese message.
//! - [`Rule`], [`Usage`], [`MinimumCharge`], [`PlanPricing`]: validated values.
//! - [`price`] → [`RuleQuote`], [`price_plan`] → [`BillQuote`]: the amounts,
//!   in the JSON shapes `POST /api/v1/pricing/quote` answers with.
//! - [`volume_cliffs`]: where more usage costs less under a volume rule.
//! - [`in_force`], [`span`]: which plan version governs which months.

mod cliff;
mod engine;
mod exact;
mod plan;
mod raw;
mod rule;
mod series;
mod values;
mod versions;
mod warnings;

pub use cliff::{Cliff, USAGE_STEP, volume_cliffs};
pub use engine::{PricingError, RuleQuote, TierLine, price};
pub use plan::{
    BillLine, BillQuote, Coverage, LineKind, PlanPricing, RawPlanPricing, price_plan, validate_series_rules,
    validate_series_usage,
};
pub use raw::{JsonNumber, RawValue, ValueError, decimal_field, parse_decimal};
pub use rule::{MAX_TIERS, Mode, RawRule, Rule, Tier};
pub use series::{BILL_ORDER, SeriesMap};
pub use values::{MinimumCharge, Usage};
pub use versions::{Span, VersionKey, in_force, span};
pub use warnings::{VersionWarning, already_billed, narrower_span, price_cliffs};
