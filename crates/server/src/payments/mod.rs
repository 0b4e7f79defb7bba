//! Payments and write-off (收款核销, DESIGN.md §8; contract:
//! docs/api/payments.md): receipts entered or imported from a bank
//! statement ([`service`], [`import`]), allocation to bills and its reversal
//! ([`allocate`]), suggestions ([`suggest`]), lists ([`list`]) and what
//! customers owe: aging and statements ([`receivables`]). The rules live in
//! `opcms_domain::payments`.

pub mod allocate;
pub mod entity;
pub mod import;
pub mod list;
pub mod model;
pub mod receivables;
pub mod routes;
pub mod service;
pub mod statement;
pub mod suggest;
