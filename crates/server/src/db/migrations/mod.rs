//! Every schema change, in order. Never edit a migration that has shipped:
//! add a new one (expand first, contract later).

use sea_orm_migration::prelude::*;

mod schema;

mod m20261122_000001_foundation;
mod m20261122_000002_customers;
mod m20261123_000003_customer_search;
mod m20261123_000004_customer_imports;
mod m20261123_000005_pricing;
mod m20261124_000007_usage;
mod m20261203_000008_bills;
mod m20261203_000009_usage_monthly_billing_index;
mod m20261203_000010_payments;
mod m20261204_000011_security;
mod m20261205_000012_usage_close;
mod m20261206_000013_settings_jobs;
mod m20261207_000014_notifications;
mod m20261208_000015_sales_teams;
mod m20261208_000016_saved_reports;
mod m20261209_000017_analytics_snapshots;
mod m20261210_000018_import_originals;
mod m20261211_000019_erp;
mod m20261212_000020_mail_attachments;
mod m20261212_000021_erp_customer_pull;
mod m20261213_000022_list_indexes;
mod m20261213_000023_list_totals;
mod m20261214_000024_customer_totals;
mod m20261215_000025_analytics_wide_amounts;
mod m20261215_000026_aging_snapshot;
mod m20261216_000027_aging_totals;
mod m20261216_000028_analytics_list_changes;

/// The analytics marking triggers, which a restore lifts while it loads.
pub use m20261209_000017_analytics_snapshots::{
    MARK_EVERYTHING as ANALYTICS_MARK_EVERYTHING, create_triggers as analytics_create_triggers,
    drop_triggers as analytics_drop_triggers,
};

/// The maintained totals of the lists (crate::db::totals).
pub use m20261213_000023_list_totals::{BILL_TOTALS, PAYMENT_TOTALS, UNAPPLIED_TOTALS};
pub use m20261214_000024_customer_totals::CUSTOMER_TOTALS;
pub use m20261216_000027_aging_totals::AGING_TOTALS;

/// Every maintained-totals table, for the background folding.
pub static LIST_TOTALS: [&crate::db::totals::Totals; 5] = [
    &BILL_TOTALS,
    &PAYMENT_TOTALS,
    &UNAPPLIED_TOTALS,
    &CUSTOMER_TOTALS,
    &AGING_TOTALS,
];

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_customers::Migration),
            Box::new(m20261123_000003_customer_search::Migration),
            Box::new(m20261123_000004_customer_imports::Migration),
            Box::new(m20261123_000005_pricing::Migration),
            Box::new(m20261124_000007_usage::Migration),
            Box::new(m20261203_000008_bills::Migration),
            Box::new(m20261203_000009_usage_monthly_billing_index::Migration),
            Box::new(m20261203_000010_payments::Migration),
            Box::new(m20261204_000011_security::Migration),
            Box::new(m20261205_000012_usage_close::Migration),
            Box::new(m20261206_000013_settings_jobs::Migration),
            Box::new(m20261207_000014_notifications::Migration),
            Box::new(m20261208_000015_sales_teams::Migration),
            Box::new(m20261208_000016_saved_reports::Migration),
            Box::new(m20261209_000017_analytics_snapshots::Migration),
            Box::new(m20261210_000018_import_originals::Migration),
            Box::new(m20261211_000019_erp::Migration),
            Box::new(m20261212_000020_mail_attachments::Migration),
            Box::new(m20261212_000021_erp_customer_pull::Migration),
            Box::new(m20261213_000022_list_indexes::Migration),
            Box::new(m20261213_000023_list_totals::Migration),
            Box::new(m20261214_000024_customer_totals::Migration),
            Box::new(m20261215_000025_analytics_wide_amounts::Migration),
            Box::new(m20261215_000026_aging_snapshot::Migration),
            Box::new(m20261216_000027_aging_totals::Migration),
            Box::new(m20261216_000028_analytics_list_changes::Migration),
        ]
    }
}
