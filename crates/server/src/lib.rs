//! OP_CMS server: HTTP API, storage and the embedded web app. The business
//! rules live in the `opcms-domain` crate; this crate does the IO.

pub mod access;
pub mod analytics;
pub mod app;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod bills;
pub mod calendar;
pub mod cli;
pub mod close;
pub mod config;
pub mod crypto;
pub mod customers;
pub mod db;
pub mod demo;
pub mod erp;
pub mod error;
pub mod fsutil;
pub mod heap;
pub mod http;
pub mod integrations;
pub mod jobs;
pub mod notify;
pub mod outbound;
pub mod parallel;
pub mod payments;
pub mod pricing;
pub mod reports;
pub mod rotation;
pub mod secrets;
pub mod settings;
pub mod shared;
pub mod spreadsheet;
pub mod state;
pub mod storage;
pub mod system;
pub mod telemetry;
pub mod usage;
pub mod users;

pub use app::Application;
pub use config::Config;

/// jemalloc instead of glibc's malloc: the big imports and billing runs make
/// millions of short-lived allocations (bound values, cells, rows) on several
/// threads, and glibc spent about a third of the 100,000-row import in
/// malloc, free and fastbin consolidation (figures in docs/decisions.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
