//! The aging report as a list snapshot (issue 28): one row per customer with
//! money open or unapplied on a day, its buckets computed by the domain, in
//! report order by index. Before, every aging read summed all 120,000 open
//! bills of a 100,000-customer book (17 req/s on 2 cores); now a page is an
//! index range and the snapshot's rows follow every write like the other
//! lists (`analytics::snapshot`).

use sea_orm_migration::prelude::*;

use super::m20261209_000017_analytics_snapshots::customer_columns;
use crate::db::columns::fixed4;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The money columns, in the order of the report; each stored as `_hi` and
/// `_lo` (`crate::db::SplitUnits`): a customer's sum may pass the BIGINT
/// range that every single stored amount keeps to.
const MONEY: [&str; 8] = [
    "not_due",
    "d1_30",
    "d31_60",
    "d61_90",
    "d90_plus",
    "overdue",
    "outstanding",
    "unapplied",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut aging = Table::create();
        aging
            .table("analytics_aging_rows")
            .if_not_exists()
            .col(ColumnDef::new("as_of").date().not_null());
        for column in customer_columns() {
            aging.col(column);
        }
        aging
            .col(ColumnDef::new("open_bills").integer().not_null())
            .col(ColumnDef::new("max_overdue_days").big_integer().not_null());
        for column in MONEY {
            for part in ["hi", "lo"] {
                aging.col(fixed4(Alias::new(format!("{column}_{part}"))));
            }
        }
        aging.primary_key(Index::create().col("as_of").col("customer_id"));
        manager.create_table(aging).await?;
        // The report's order: overdue money, then open money, largest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_analytics_aging_rows_rank")
                    .table("analytics_aging_rows")
                    .col("as_of")
                    .col((Alias::new("overdue_hi"), IndexOrder::Desc))
                    .col((Alias::new("overdue_lo"), IndexOrder::Desc))
                    .col((Alias::new("outstanding_hi"), IndexOrder::Desc))
                    .col((Alias::new("outstanding_lo"), IndexOrder::Desc))
                    .col("customer_id")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM analytics_snapshots WHERE view = 'aging'")
            .await?;
        manager
            .drop_table(Table::drop().table("analytics_aging_rows").if_exists().to_owned())
            .await
    }
}
