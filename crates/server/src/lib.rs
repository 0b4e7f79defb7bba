//! OP_CMS server: HTTP API, storage and the embedded web app. The business
//! rules live in the `opcms-domain` crate; this crate does the IO.

pub mod access;
pub mod app;
pub mod audit;
pub mod auth;
pub mod bills;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod customers;
pub mod db;
pub mod error;
pub mod http;
pub mod payments;
pub mod pricing;
pub mod spreadsheet;
pub mod state;
pub mod telemetry;
pub mod usage;
pub mod users;

pub use app::Application;
pub use config::Config;
