//! Bills (账单, DESIGN.md §7; contract: docs/api/bills.md): monthly
//! generation from usage and prices ([`generate`]), issuing drafts
//! ([`issue`]), manual bills, void and credit notes ([`service`]), lists
//! and export ([`list`]), how a bill reads in the API ([`view`]), the PDF
//! document ([`document`]). The rules live in `opcms_domain::billing`.

pub mod document;
pub mod entity;
pub mod generate;
pub mod issue;
pub mod list;
pub mod model;
pub mod numbers;
pub mod routes;
pub mod service;
pub mod unsettled;
pub mod usage_days;
pub mod view;
