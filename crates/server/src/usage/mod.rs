//! Usage (用量, DESIGN.md §6; contract: docs/api/usage.md): daily records
//! from vendor APIs, files and hand entry, all written by one path
//! ([`store::write`]) that makes re-delivery idempotent, keeps monthly
//! totals in step and quarantines what cannot be accepted. The rules of
//! acceptance live in `opcms_domain::usage`.
//!
//! Billing reads the monthly totals (`usage_monthly`) itself, in
//! `bills::generate`, together with the months before for its warnings.

pub mod collect;
pub mod entity;
pub mod entry;
pub mod import;
pub mod mock_vendor;
pub mod model;
pub mod quarantine;
pub mod query;
pub mod routes;
pub mod source;
pub mod store;

use std::sync::Arc;

use source::UsageSource;
use source::http::HttpSource;

use crate::config::Config;

/// The configured HTTP sources, ready to fetch.
pub fn configured_sources(config: &Config) -> anyhow::Result<Vec<Arc<dyn UsageSource>>> {
    config
        .usage_sources
        .iter()
        .map(|c| {
            HttpSource::new(c.clone())
                .map(|s| Arc::new(s) as Arc<dyn UsageSource>)
                .map_err(|e| anyhow::anyhow!(e))
        })
        .collect()
}
