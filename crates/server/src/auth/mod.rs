//! Sign-in, token refresh with rotation and reuse detection, sign-out,
//! password change, and failed-login throttling (DESIGN.md §10).

pub mod entity;
pub mod password;
pub mod routes;
pub mod service;
pub mod sessions;
pub mod throttle;
