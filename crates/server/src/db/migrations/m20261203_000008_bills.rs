//! Bills (DESIGN.md §7).
//!
//! - `bills`: one row per bill, lines and warnings as JSON (a bill's lines
//!   are a document: written whole, read whole). Money is scaled i64.
//!   The database itself keeps the money invariants: `total = subtotal −
//!   credited`, `0 ≤ allocated ≤ total`, nothing negative, and
//!   `UNIQUE(customer_id, period, auto_slot)`: one live auto bill per
//!   customer and period whatever the code does (`auto_slot` is 1 for a
//!   live auto bill and NULL for manual and voided ones; NULLs never clash
//!   in a unique index on any backend).
//! - `bill_credit_notes`: 红冲/调整 of issued bills.
//! - `bill_counters`: the last bill number per period, updated in the
//!   transaction that creates bills; also the lock that makes two
//!   generations of one period take turns.
//! - `billing_runs`: the record of every generation.

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
                    .table("bills")
                    .if_not_exists()
                    .col(id("id"))
                    .col(string("bill_no", 20))
                    .col(ColumnDef::new("customer_id").big_integer().not_null())
                    .col(ColumnDef::new("period").integer().not_null())
                    .col(string("kind", 8))
                    .col(ColumnDef::new("auto_slot").small_integer().null())
                    .col(string("status", 16))
                    .col(ColumnDef::new("plan_id").big_integer().null())
                    .col(ColumnDef::new("plan_version").integer().null())
                    .col(ColumnDef::new("lines").text().not_null())
                    .col(fixed4("subtotal"))
                    .col(fixed4("credited").default(0))
                    .col(fixed4("total"))
                    .col(fixed4("allocated").default(0))
                    .col(ColumnDef::new("warnings").text().not_null())
                    .col(ColumnDef::new("warning_count").integer().not_null().default(0))
                    .col(string("fingerprint", 64))
                    .col(ColumnDef::new("usage_key").string_len(200).null())
                    .col(ColumnDef::new("warnings_ack_by").big_integer().null())
                    .col(timestamp(db, "warnings_ack_at").null())
                    .col(ColumnDef::new("late_usage").text().null())
                    .col(ColumnDef::new("due_date").date().null())
                    .col(timestamp(db, "issued_at").null())
                    .col(ColumnDef::new("issued_by").big_integer().null())
                    .col(timestamp(db, "voided_at").null())
                    .col(ColumnDef::new("voided_by").big_integer().null())
                    .col(ColumnDef::new("void_reason").string_len(500).null())
                    .col(ColumnDef::new("remarks").string_len(500).null())
                    .col(ColumnDef::new("run_id").big_integer().null())
                    .col(timestamp(db, "created_at").not_null())
                    .col(ColumnDef::new("created_by").big_integer().null())
                    .col(timestamp(db, "updated_at").not_null())
                    .col(ColumnDef::new("updated_by").big_integer().null())
                    .col(ColumnDef::new("version").integer().not_null().default(1))
                    .check(Expr::col("kind").is_in(["auto", "manual"]))
                    .check(Expr::col("status").is_in(["draft", "issued", "partially_paid", "paid", "void"]))
                    .check(Expr::col("auto_slot").is_null().or(Expr::col("kind").eq("auto")))
                    .check(Expr::col("period").between(200001, 210012))
                    .check(Expr::col("subtotal").gte(0))
                    .check(Expr::col("credited").gte(0))
                    .check(Expr::col("total").gte(0))
                    .check(Expr::col("total").eq(Expr::col("subtotal").sub(Expr::col("credited"))))
                    .check(Expr::col("allocated").gte(0))
                    .check(Expr::col("allocated").lte(Expr::col("total")))
                    .foreign_key(ForeignKey::create().from("bills", "customer_id").to("customers", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "ux_bills_bill_no", "bills", &["bill_no"], true).await?;
        index(
            manager,
            "ux_bills_auto",
            "bills",
            &["customer_id", "period", "auto_slot"],
            true,
        )
        .await?;
        index(manager, "ix_bills_period", "bills", &["period", "status"], false).await?;
        index(manager, "ix_bills_status_due", "bills", &["status", "due_date"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("bill_credit_notes")
                    .if_not_exists()
                    .col(id("id"))
                    .col(ColumnDef::new("bill_id").big_integer().not_null())
                    .col(fixed4("amount"))
                    .col(string("reason", 500))
                    .col(timestamp(db, "created_at").not_null())
                    .col(ColumnDef::new("created_by").big_integer().null())
                    .check(Expr::col("amount").gt(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from("bill_credit_notes", "bill_id")
                            .to("bills", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_bill_credit_notes_bill",
            "bill_credit_notes",
            &["bill_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("bill_counters")
                    .if_not_exists()
                    .col(ColumnDef::new("period").integer().not_null().primary_key())
                    .col(ColumnDef::new("last_no").big_integer().not_null())
                    .check(Expr::col("last_no").between(0, 999_999))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("billing_runs")
                    .if_not_exists()
                    .col(id("id"))
                    .col(ColumnDef::new("period").integer().not_null())
                    .col(ColumnDef::new("customer_filter").text().null())
                    .col(ColumnDef::new("created").integer().not_null())
                    .col(ColumnDef::new("updated").integer().not_null())
                    .col(ColumnDef::new("unchanged").integer().not_null())
                    .col(ColumnDef::new("voided").integer().not_null())
                    .col(ColumnDef::new("kept_issued").integer().not_null())
                    .col(ColumnDef::new("late_usage").integer().not_null())
                    .col(ColumnDef::new("skipped_count").integer().not_null())
                    .col(ColumnDef::new("skipped").text().not_null())
                    .col(ColumnDef::new("warnings").integer().not_null())
                    .col(ColumnDef::new("duration_ms").big_integer().not_null())
                    .col(timestamp(db, "started_at").not_null())
                    .col(ColumnDef::new("actor_id").big_integer().null())
                    .col(string("actor_name", 100))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_billing_runs_period", "billing_runs", &["period"], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["billing_runs", "bill_counters", "bill_credit_notes", "bills"] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
