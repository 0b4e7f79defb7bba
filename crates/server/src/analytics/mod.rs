//! Analytics (画像与分析, DESIGN.md §9): the management dashboard, value
//! segments, churn risk, credit scores and usage trends, each within the
//! caller's data scope. The definitions live in `opcms_domain::analytics`;
//! this module gathers the facts from bills, payments and usage and answers
//! the HTTP routes (contract: docs/api/analytics.md).

pub mod churn;
pub mod credit;
pub mod dashboard;
pub mod export;
pub mod facts;
mod params;
pub mod routes;
pub mod segments;
pub mod usage_trend;
