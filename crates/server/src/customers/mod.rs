//! Customer master data (DESIGN.md §3, §10): profile with encrypted contact
//! fields, live-only uniqueness, optimistic concurrency, soft delete and
//! restore, the status lifecycle, batch actions and the sales data scope.

pub mod batch;
pub mod entity;
pub mod export;
pub mod import;
pub mod list;
pub mod model;
pub mod routes;
pub mod search_index;
pub mod service;
