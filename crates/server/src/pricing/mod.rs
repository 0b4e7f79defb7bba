//! Pricing (DESIGN.md §5): price plans that change only by new versions,
//! each customer's plan and overrides, the version in force for a period,
//! and quotes. The rules themselves live in `opcms_domain::pricing`; this
//! module stores them (encrypted), serves them and audits every change.
//!
//! For billing: [`service::plan_in_force`], [`customer::customer_pricing_for`]
//! and [`customer::customer_pricings_for`].

pub mod customer;
pub mod diff;
pub mod entity;
pub mod model;
pub mod quote;
pub mod routes;
pub mod service;
