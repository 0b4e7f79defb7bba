//! Usage (DESIGN.md §6).
//!
//! - `usage_records`: one quantity per customer, series and day from one
//!   source. `UNIQUE(source, source_id)` makes re-delivery an update, never
//!   a second row, whatever the code does. `month` (`yyyymm`) is stored so
//!   month queries are one index range on every backend.
//! - `usage_monthly`: the monthly total per customer and series, changed in
//!   the same transaction as every record write (by the delta), so billing
//!   and the monthly table read 3 rows per customer instead of ~90.
//!   `PRIMARY KEY(month, customer_id, series)`: a month is one range.
//! - `usage_daily`: the total per day and series over all customers, kept
//!   the same way, for the all-customer daily chart (93 rows a month, not
//!   9.3 million at 100,000 customers).
//! - `usage_revisions`: every change of an existing record (who, why,
//!   before, after).
//! - `usage_quarantine`: records that could not be accepted, with the reason,
//!   until a person resolves them. `UNIQUE(source, source_key)`: a bad
//!   record delivered again is the same entry.
//! - `usage_account_links`: upstream accounts a person mapped to customers.
//! - `usage_collection_runs`: the log of every collection.
//! - `usage_write_locks`: one row per source; a writer updates it first, so
//!   two writers of one source take turns (row lock on MySQL/PostgreSQL,
//!   the write lock on SQLite) and never both count the same record.

use sea_orm_migration::prelude::*;

use super::schema::index;
use crate::db::columns::{fixed4, id, string, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();

        manager
            .create_table(
                Table::create()
                    .table("usage_records")
                    .if_not_exists()
                    .col(id("id"))
                    .col(ColumnDef::new("customer_id").big_integer().not_null())
                    .col(string("series", 1))
                    .col(ColumnDef::new("day").date().not_null())
                    .col(ColumnDef::new("month").integer().not_null())
                    .col(fixed4("quantity"))
                    .col(string("source", 80))
                    .col(string("source_id", 160))
                    .col(ColumnDef::new("revisions").integer().not_null().default(0))
                    .col(timestamp(db, "created_at").not_null())
                    .col(ColumnDef::new("created_by").big_integer().null())
                    .col(timestamp(db, "updated_at").not_null())
                    .col(ColumnDef::new("updated_by").big_integer().null())
                    .check(Expr::col("quantity").gte(0))
                    .check(Expr::col("series").is_in(["X", "N", "L"]))
                    .check(Expr::col("month").between(200001, 210012))
                    .foreign_key(
                        ForeignKey::create()
                            .from("usage_records", "customer_id")
                            .to("customers", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_usage_records_source",
            "usage_records",
            &["source", "source_id"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_usage_records_customer",
            "usage_records",
            &["customer_id", "month", "series", "day"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_usage_records_month",
            "usage_records",
            &["month", "day"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("usage_monthly")
                    .if_not_exists()
                    .col(ColumnDef::new("month").integer().not_null())
                    .col(ColumnDef::new("customer_id").big_integer().not_null())
                    .col(string("series", 1))
                    .col(fixed4("quantity"))
                    .col(ColumnDef::new("record_count").integer().not_null())
                    .primary_key(Index::create().col("month").col("customer_id").col("series"))
                    .check(Expr::col("quantity").gte(0))
                    .check(Expr::col("record_count").gte(0))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_usage_monthly_customer",
            "usage_monthly",
            &["customer_id", "month"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("usage_daily")
                    .if_not_exists()
                    .col(ColumnDef::new("day").date().not_null())
                    .col(string("series", 1))
                    .col(fixed4("quantity"))
                    .col(ColumnDef::new("record_count").integer().not_null())
                    .primary_key(Index::create().col("day").col("series"))
                    .check(Expr::col("quantity").gte(0))
                    .check(Expr::col("record_count").gte(0))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("usage_revisions")
                    .if_not_exists()
                    .col(id("id"))
                    .col(ColumnDef::new("record_id").big_integer().not_null())
                    .col(fixed4("quantity_before"))
                    .col(fixed4("quantity_after"))
                    // What changed it: redelivery, correction, import, quarantine.
                    .col(string("cause", 40))
                    .col(ColumnDef::new("reason").string_len(500).null())
                    .col(timestamp(db, "changed_at").not_null())
                    .col(ColumnDef::new("changed_by").big_integer().null())
                    .col(string("changed_by_name", 100))
                    .foreign_key(
                        ForeignKey::create()
                            .from("usage_revisions", "record_id")
                            .to("usage_records", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_usage_revisions_record",
            "usage_revisions",
            &["record_id", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("usage_quarantine")
                    .if_not_exists()
                    .col(id("id"))
                    .col(string("source", 80))
                    .col(string("source_key", 160))
                    .col(ColumnDef::new("source_id").string_len(160).null())
                    .col(ColumnDef::new("account_id").string_len(160).null())
                    .col(ColumnDef::new("customer_id").big_integer().null())
                    .col(ColumnDef::new("series").string_len(40).null())
                    .col(ColumnDef::new("day").string_len(40).null())
                    .col(ColumnDef::new("quantity").string_len(60).null())
                    .col(ColumnDef::new("raw").text().not_null())
                    .col(string("reason", 40))
                    .col(string("message", 300))
                    .col(string("status", 20))
                    .col(ColumnDef::new("occurrences").integer().not_null().default(1))
                    .col(ColumnDef::new("run_id").big_integer().null())
                    .col(timestamp(db, "created_at").not_null())
                    .col(timestamp(db, "updated_at").not_null())
                    .col(timestamp(db, "resolved_at").null())
                    .col(ColumnDef::new("resolved_by").big_integer().null())
                    .col(ColumnDef::new("resolution").string_len(20).null())
                    .col(ColumnDef::new("resolution_note").string_len(500).null())
                    .col(ColumnDef::new("usage_record_id").big_integer().null())
                    .check(Expr::col("status").is_in(["pending", "resolved", "discarded"]))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_usage_quarantine_source",
            "usage_quarantine",
            &["source", "source_key"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_usage_quarantine_status",
            "usage_quarantine",
            &["status", "reason", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_usage_quarantine_account",
            "usage_quarantine",
            &["account_id", "status"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("usage_account_links")
                    .if_not_exists()
                    .col(ColumnDef::new("account_id").string_len(160).not_null().primary_key())
                    .col(ColumnDef::new("customer_id").big_integer().not_null())
                    .col(timestamp(db, "created_at").not_null())
                    .col(ColumnDef::new("created_by").big_integer().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from("usage_account_links", "customer_id")
                            .to("customers", "id"),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("usage_collection_runs")
                    .if_not_exists()
                    .col(id("id"))
                    .col(string("source", 80))
                    .col(ColumnDef::new("day").date().not_null())
                    .col(string("status", 20))
                    .col(string("trigger_kind", 20))
                    .col(ColumnDef::new("pages").integer().not_null().default(0))
                    .col(ColumnDef::new("attempts").integer().not_null().default(0))
                    .col(ColumnDef::new("fetched").integer().not_null().default(0))
                    .col(ColumnDef::new("created").integer().not_null().default(0))
                    .col(ColumnDef::new("updated").integer().not_null().default(0))
                    .col(ColumnDef::new("unchanged").integer().not_null().default(0))
                    .col(ColumnDef::new("quarantined").integer().not_null().default(0))
                    .col(ColumnDef::new("error").string_len(1000).null())
                    .col(timestamp(db, "started_at").not_null())
                    .col(timestamp(db, "finished_at").null())
                    .col(ColumnDef::new("duration_ms").big_integer().null())
                    .col(ColumnDef::new("triggered_by").big_integer().null())
                    .check(Expr::col("status").is_in(["running", "succeeded", "failed"]))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_usage_collection_runs_source_day",
            "usage_collection_runs",
            &["source", "day", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("usage_write_locks")
                    .if_not_exists()
                    .col(ColumnDef::new("source").string_len(80).not_null().primary_key())
                    .col(ColumnDef::new("writes").big_integer().not_null().default(0))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "usage_write_locks",
            "usage_collection_runs",
            "usage_account_links",
            "usage_quarantine",
            "usage_revisions",
            "usage_daily",
            "usage_monthly",
            "usage_records",
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
