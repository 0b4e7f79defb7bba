//! Pricing (DESIGN.md §5): price plans that change only by new versions,
//! each customer's plan and overrides, the version in force for a period,
//! and quotes. The rules themselves live in `opcms_domain::pricing`; this
//! module stores them (encrypted, [`sealing`]), reads them ([`reads`]),
//! shows them ([`views`]), changes plans and versions ([`service`]) and
//! customers' plans ([`customer`]), every change audited.
//!
//! For billing: [`in_force::customer_pricing_for`] and
//! [`in_force::customer_pricings_for`] (on [`reads::plan_in_force`]).

pub mod customer;
pub mod diff;
pub mod entity;
pub mod in_force;
pub mod model;
pub mod quote;
pub mod reads;
pub mod routes;
pub mod sealing;
pub mod service;
pub mod views;
