//! The ERP connector (集成, issue 27; docs/api/integrations.md):
//! - `outbox`: documents (issued bills, credit notes, receipts) queued in
//!   the transaction that makes them;
//! - `sender`: the background push with claims, retries and backoff,
//!   exactly once at the ERP by idempotency key;
//! - `client`: the configured HTTP call and what each answer means;
//! - `pull`, `conflicts`: customer master data from the ERP through the
//!   import's rules, and the conflicts with local edits a person decides;
//! - `log`, `routes`: the 集成 page's status, sync log and re-send;
//! - `mock_erp`: a stand-in ERP that can fail, duplicate and reorder, for
//!   the tests, the browser tests and `opcms mock-erp`.
//!
//! The document kinds, keys, field mapping and retry delays are rules of
//! `opcms_domain::erp`.

pub mod client;
pub mod conflicts;
pub mod entity;
pub mod log;
pub mod mock_erp;
pub mod outbox;
pub mod pull;
pub mod routes;
pub mod sender;
