//! A covering index for billing's read of `usage_monthly`.
//!
//! A generation reads the billed month and the three before it (for the
//! spike and drop warnings): 1.2 million rows at 100,000 customers. Through
//! the primary key each row costs a lookup into the table for `quantity`;
//! with every column it needs in the index, SQLite reads the range from the
//! index alone (measured 0.45 → 0.17 s for the 4-month range).

use sea_orm_migration::prelude::*;

use super::schema::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(
            manager,
            "ix_usage_monthly_billing",
            "usage_monthly",
            &["month", "customer_id", "series", "quantity", "record_count"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_usage_monthly_billing")
                    .table(Alias::new("usage_monthly"))
                    .to_owned(),
            )
            .await
    }
}
