//! Customer master data rules (DESIGN.md §3).

pub mod credit_code;
pub mod fields;
pub mod normalize;
pub mod profile;
pub mod status;

pub use fields::{AccountStatus, Industry, Level, Series};
pub use profile::{DateInput, Field, Profile, RawProfile, SeriesInput};
