//! Pricing (定价配置, DESIGN.md §5): price rules and their validation.

mod raw;
mod rule;

pub use raw::{JsonNumber, RawValue, ValueError, parse_decimal};
pub use rule::{MAX_TIERS, Mode, RawRule, Rule, Tier};
