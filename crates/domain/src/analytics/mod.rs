//! Analytics (画像与分析, DESIGN.md §9): the exact definitions of every figure
//! managers and sales read — rates, value tiers and trends, churn flags and
//! the credit score. Pure: the server gathers the facts (bills, payments,
//! usage) within the caller's data scope and these functions decide.

mod churn;
mod credit;
mod rate;
mod tiers;

pub use churn::{
    CHURN_DROP_PCT_MESSAGE, CHURN_IDLE_DAYS_MESSAGE, CONTRACT_ENDING_DAYS_MESSAGE, ChurnFacts, ChurnFlag, ChurnRules,
    FlagCode, OVERDUE_FLAG_DAYS, Risk, churn_flags, last_full_month, risk_of,
};
pub use credit::{CreditBill, CreditFactors, CreditFacts, CreditScore, Grade, credit_score};
pub use rate::{change, rate};
pub use tiers::{Growth, TierCuts, Trend, ValueTier, trend, value_tiers};
