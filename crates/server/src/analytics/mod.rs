//! Analytics (画像与分析, DESIGN.md §9): the management dashboard, value
//! segments, churn risk, credit scores and usage trends, each within the
//! caller's data scope. The definitions live in `opcms_domain::analytics`;
//! this module gathers the facts from bills, payments and usage (`compute`),
//! keeps them precomputed (`snapshot`, refreshed before each read from the
//! changes the writes marked) and answers the HTTP routes from there
//! (contract: docs/api/analytics.md).

pub mod churn;
pub mod compute;
pub mod credit;
pub mod dashboard;
pub mod export;
pub mod facts;
pub(crate) mod params;
pub mod routes;
pub mod segments;
pub mod snapshot;
pub mod usage_trend;
