//! Pricing (定价配置, DESIGN.md §5): price rules, their validation, and the
//! exact engine that turns usage into amounts.

mod engine;
mod exact;
mod raw;
mod rule;
mod values;

pub use engine::{PricingError, RuleQuote, TierLine, price};
pub use raw::{JsonNumber, RawValue, ValueError, parse_decimal};
pub use rule::{MAX_TIERS, Mode, RawRule, Rule, Tier};
pub use values::{MinimumCharge, Usage};
