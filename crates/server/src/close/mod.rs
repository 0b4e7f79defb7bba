//! The month close (月结工作台) and the role home pages: read-only summaries
//! over usage, bills and payments, so a clerk sees what is left to do for
//! the month and everyone sees what concerns them. Contract:
//! docs/api/close.md. The order of the steps is a domain rule
//! (`opcms_domain::close`).

pub mod overview;
pub mod routes;
pub mod summary;
