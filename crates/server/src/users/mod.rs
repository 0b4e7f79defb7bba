//! Staff accounts: management creates and edits them; the first start creates
//! `admin`.

pub mod entity;
pub mod routes;
pub mod service;
pub mod teams;

pub use service::{UserRef, UserView, display_names};
