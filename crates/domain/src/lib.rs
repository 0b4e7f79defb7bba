//! OP_CMS business rules. Pure: no IO, no async, no clock. Everything that
//! decides money, permissions or validity lives here once and is used by the
//! API, the importers and the jobs alike.

#![deny(clippy::float_arithmetic)]

pub mod access;
pub mod account;
pub mod analytics;
pub mod billing;
pub mod capitals;
pub mod close;
pub mod customer;
pub mod erp;
pub mod jobs;
pub mod money;
pub mod notify;
pub mod payments;
pub mod period;
pub mod pricing;
pub mod reports;
pub mod settings;
pub mod usage;
pub mod validation;

pub use access::{DataScope, Permission, Role, ScopeSetting};
pub use capitals::amount_in_chinese_capitals;
pub use money::Fixed4;
pub use period::Period;
pub use validation::{FieldError, FieldErrors};
