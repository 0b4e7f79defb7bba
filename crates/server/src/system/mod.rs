//! The system itself as management sees it: the business clock (DESIGN.md §16).

pub mod routes;
