//! Pricing (定价配置, DESIGN.md §5): price rules, their validation, and the
//! exact engine that turns usage into rule quotes and monthly bills.

mod engine;
mod exact;
mod plan;
mod raw;
mod rule;
mod series;
mod values;

pub use engine::{PricingError, RuleQuote, TierLine, price};
pub use plan::{
    BillLine, BillQuote, Coverage, LineKind, PlanPricing, RawPlanPricing, price_plan, validate_series_rules,
    validate_series_usage,
};
pub use raw::{JsonNumber, RawValue, ValueError, parse_decimal};
pub use rule::{MAX_TIERS, Mode, RawRule, Rule, Tier};
pub use series::{BILL_ORDER, SeriesMap};
pub use values::{MinimumCharge, Usage};
