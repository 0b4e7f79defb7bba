//! `opcms demo`: fills an empty database with a realistic demo company (a
//! year of usage, bills, receipts, overdue accounts, staff of every role),
//! made by the services themselves so every amount is the real pricing's.
//! `command.rs` checks and runs it, `guard.rs` says what "empty" means,
//! `plan.rs` invents the company (pure, seeded by `rng.rs`, words from
//! `names.rs`), `play.rs` plays it through the services on the business
//! clock, and `undo.rs` takes a half-written demo out again.

pub mod command;
pub mod guard;
pub mod names;
pub mod plan;
pub mod play;
pub mod rng;
pub mod undo;

pub use command::{DemoArgs, Failure, run};
