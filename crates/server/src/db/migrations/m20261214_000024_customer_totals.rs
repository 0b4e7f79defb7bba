//! Maintained customer counts (issue 28; the mechanism is
//! `crate::db::totals`): live customers per account status and sales owner,
//! so that the customer list's total — the whole book, a status, or a sales
//! person's own customers — reads a few hundred rows instead of counting
//! 100,000 on every page (it was most of a list request's time).

use sea_orm_migration::prelude::*;

use crate::db::totals::{Key, KeyKind, Totals};

#[derive(DeriveMigrationName)]
pub struct Migration;

pub static CUSTOMER_TOTALS: Totals = Totals {
    table: "totals_customers",
    source: "customers",
    counted: Some("{row}.is_deleted = FALSE"),
    keys: &[
        Key {
            column: "account_status",
            expr: "{row}.account_status",
            kind: KeyKind::Text(16),
        },
        Key {
            column: "sales_owner_id",
            // 0 for none: key columns are NOT NULL, and no user has id 0.
            expr: "COALESCE({row}.sales_owner_id, 0)",
            kind: KeyKind::BigInt,
        },
    ],
    sums: &[],
};

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        CUSTOMER_TOTALS.install(manager.get_connection()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        CUSTOMER_TOTALS.uninstall(manager.get_connection()).await
    }
}
