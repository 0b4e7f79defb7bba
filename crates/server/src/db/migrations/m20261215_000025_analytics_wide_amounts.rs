//! The analytics facts (`analytics_customer_months`, `_owner_months`,
//! `_customer_dues`, `_owner_dues`) with each amount in two BIGINT columns,
//! `{name}_hi` and `{name}_lo` (`crate::db::SplitUnits`). One column held a
//! customer-month only up to 922 trillion yuan: 925 receipts of the largest
//! amount a receipt may have passed it, the refresh failed, and with it every
//! analytics read of everyone (and the aging report, which now reads a
//! snapshot the same refresh keeps). The tables are caches: they are made
//! anew and every customer marked, and the next refresh fills them.

use sea_orm_migration::prelude::*;

use super::m20261209_000017_analytics_snapshots::MARK_EVERYTHING;
use crate::db::columns::fixed4;

#[derive(DeriveMigrationName)]
pub struct Migration;

const MONTH_AMOUNTS: [&str; 6] = ["receivable", "collected", "received", "usage_x", "usage_n", "usage_l"];
const TABLES: [&str; 4] = [
    "analytics_customer_months",
    "analytics_owner_months",
    "analytics_customer_dues",
    "analytics_owner_dues",
];

fn big(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().not_null().to_owned()
}

/// An amount's columns: two when `wide`, one as before.
fn amount(table: &mut TableCreateStatement, name: &str, wide: bool) {
    if wide {
        for part in ["hi", "lo"] {
            table.col(fixed4(Alias::new(format!("{name}_{part}"))));
        }
    } else {
        table.col(fixed4(Alias::new(name)));
    }
}

async fn create(manager: &SchemaManager<'_>, wide: bool) -> Result<(), DbErr> {
    let mut months = Table::create();
    months
        .table("analytics_customer_months")
        .col(big("customer_id"))
        .col(ColumnDef::new("period").integer().not_null())
        .col(big("owner_id"))
        .col(
            ColumnDef::new(Alias::new("code_key"))
                .var_binary(64)
                .not_null()
                .to_owned(),
        )
        .col(ColumnDef::new("bills").integer().not_null())
        .primary_key(Index::create().col("customer_id").col("period"));
    for column in MONTH_AMOUNTS {
        amount(&mut months, column, wide);
    }
    manager.create_table(months).await?;
    let mut top = Index::create();
    top.name("ix_analytics_customer_months_top")
        .table("analytics_customer_months")
        .col("period");
    if wide {
        top.col("receivable_hi").col("receivable_lo");
    } else {
        top.col("receivable");
    }
    manager.create_index(top).await?;
    manager
        .create_index(
            Index::create()
                .name("ix_analytics_customer_months_owner")
                .table("analytics_customer_months")
                .col("owner_id")
                .col("period")
                .to_owned(),
        )
        .await?;

    let mut owner_months = Table::create();
    owner_months
        .table("analytics_owner_months")
        .col(big("owner_id"))
        .col(ColumnDef::new("period").integer().not_null())
        .primary_key(Index::create().col("owner_id").col("period"));
    for column in MONTH_AMOUNTS {
        amount(&mut owner_months, column, wide);
    }
    manager.create_table(owner_months).await?;

    for (table, who) in [
        ("analytics_customer_dues", "customer_id"),
        ("analytics_owner_dues", "owner_id"),
    ] {
        let mut dues = Table::create();
        dues.table(Alias::new(table))
            .col(big(who))
            .col(ColumnDef::new("due_date").date().not_null())
            .primary_key(Index::create().col(Alias::new(who)).col("due_date"));
        amount(&mut dues, "open", wide);
        if who == "customer_id" {
            dues.col(big("owner_id"));
        }
        manager.create_table(dues).await?;
    }
    Ok(())
}

/// Drops the facts, makes them anew and marks every customer.
async fn remake(manager: &SchemaManager<'_>, wide: bool) -> Result<(), DbErr> {
    for table in TABLES {
        manager
            .drop_table(Table::drop().table(Alias::new(table)).if_exists().to_owned())
            .await?;
    }
    create(manager, wide).await?;
    for statement in MARK_EVERYTHING {
        manager.get_connection().execute_unprepared(statement).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        remake(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        remake(manager, false).await
    }
}
