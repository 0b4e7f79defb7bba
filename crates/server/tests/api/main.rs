//! HTTP tests against the real server, once per backend: every test in
//! `backend_tests!` runs on SQLite always, and on MariaDB and PostgreSQL
//! (`OPCMS_TEST_MYSQL_URL`, `OPCMS_TEST_PG_URL`). A backend test whose URL is
//! unset fails rather than passing silently; `make test` skips those loudly.

mod helpers;

/// The benches' SQL seeding (100,000 customers in one statement), shared.
#[path = "../../benches/support/mod.rs"]
mod bench_support;

mod analytics;
mod audit;
mod auth;
mod backups;
mod bills;
mod clock;
mod close;
mod contract;
mod crashes;
mod customers;
mod demo;
mod erp;
mod exports;
mod faults;
mod file_storage;
mod imports;
mod instances;
mod jobs;
mod mail;
mod notifications;
mod payments;
mod platform;
mod pricing;
mod redis;
mod reports;
mod s3_server;
mod scope;
mod security;
mod security_http;
mod settings;
mod storage;
mod usage;
mod usage_close;
mod users;
