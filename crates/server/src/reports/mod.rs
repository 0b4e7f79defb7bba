//! Custom reports (自定义报表, issue 25): a user picks a dataset, columns,
//! filters, grouping and sums (`opcms_domain::reports` checks them); this
//! area runs them as SQL from a fixed column map within the caller's data
//! scope, exports them, and keeps each user's saved reports.

pub mod entity;
pub mod query;
pub mod routes;
pub mod saved;
