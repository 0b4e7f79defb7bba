//! The figures of the lists computed from the bills, receipts and usage, for
//! a few customers (a refresh) or for every one (a snapshot built whole).
//! Below both the snapshots that store them and the views that read them.

pub mod aging;
pub mod churn;
pub mod credit;
pub mod segments;
