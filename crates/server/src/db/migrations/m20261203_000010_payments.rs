//! Payments and write-off (DESIGN.md §8).
//!
//! - `payments`: one row per receipt. `allocated` is the running sum of its
//!   live allocations, kept by the same transaction that writes them, and
//!   the database refuses `allocated > amount` (CHECK): money is never
//!   applied twice whatever the code does. The same CHECK on
//!   `bills.allocated ≤ total` (migration 8) guards the other side.
//!   `reference_key` (method + normalized reference) is unique: entering a
//!   receipt twice is refused by the database; it is NULL without a
//!   reference and on deleted payments (NULLs never clash).
//! - `payment_allocations`: 核销 rows; a reversal marks the row, never
//!   deletes it.
//! - `payment_counters`: the last payment number per month of receipt.

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
                    .table("payments")
                    .if_not_exists()
                    .col(id("id"))
                    .col(string("payment_no", 20))
                    .col(ColumnDef::new("customer_id").big_integer().null())
                    .col(fixed4("amount"))
                    .col(fixed4("allocated").default(0))
                    .col(ColumnDef::new("received_at").date().not_null())
                    .col(string("method", 16))
                    .col(ColumnDef::new("payer_name").string_len(100).null())
                    .col(ColumnDef::new("reference").string_len(64).null())
                    .col(ColumnDef::new("reference_key").string_len(100).null())
                    .col(ColumnDef::new("remarks").string_len(500).null())
                    .col(string("source", 8))
                    .col(ColumnDef::new("source_file").string_len(200).null())
                    .col(timestamp(db, "created_at").not_null())
                    .col(ColumnDef::new("created_by").big_integer().null())
                    .col(timestamp(db, "updated_at").not_null())
                    .col(ColumnDef::new("updated_by").big_integer().null())
                    .col(ColumnDef::new("is_deleted").boolean().not_null().default(false))
                    .col(timestamp(db, "deleted_at").null())
                    .col(ColumnDef::new("deleted_by").big_integer().null())
                    .col(ColumnDef::new("delete_reason").string_len(500).null())
                    .col(ColumnDef::new("version").integer().not_null().default(1))
                    .check(Expr::col("amount").gt(0))
                    .check(Expr::col("allocated").gte(0))
                    .check(Expr::col("allocated").lte(Expr::col("amount")))
                    .check(Expr::col("method").is_in(["bank_transfer", "cheque", "cash", "wechat", "alipay", "other"]))
                    .check(Expr::col("source").is_in(["manual", "import"]))
                    // A deleted payment has nothing applied and frees its reference.
                    .check(
                        Expr::col("is_deleted")
                            .eq(false)
                            .or(Expr::col("allocated").eq(0).and(Expr::col("reference_key").is_null())),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("payments", "customer_id")
                            .to("customers", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "ux_payments_payment_no", "payments", &["payment_no"], true).await?;
        index(manager, "ux_payments_reference", "payments", &["reference_key"], true).await?;
        index(
            manager,
            "ix_payments_customer",
            "payments",
            &["customer_id", "received_at"],
            false,
        )
        .await?;
        index(manager, "ix_payments_received", "payments", &["received_at"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("payment_allocations")
                    .if_not_exists()
                    .col(id("id"))
                    .col(ColumnDef::new("payment_id").big_integer().not_null())
                    .col(ColumnDef::new("bill_id").big_integer().not_null())
                    .col(ColumnDef::new("customer_id").big_integer().not_null())
                    .col(fixed4("amount"))
                    .col(string("status", 10))
                    .col(timestamp(db, "created_at").not_null())
                    .col(ColumnDef::new("created_by").big_integer().null())
                    .col(timestamp(db, "reversed_at").null())
                    .col(ColumnDef::new("reversed_by").big_integer().null())
                    .col(ColumnDef::new("reverse_reason").string_len(500).null())
                    .check(Expr::col("amount").gt(0))
                    .check(Expr::col("status").is_in(["active", "reversed"]))
                    .check(
                        Expr::col("status")
                            .eq("active")
                            .and(Expr::col("reversed_at").is_null())
                            .or(Expr::col("status")
                                .eq("reversed")
                                .and(Expr::col("reversed_at").is_not_null())),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("payment_allocations", "payment_id")
                            .to("payments", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("payment_allocations", "bill_id")
                            .to("bills", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("payment_allocations", "customer_id")
                            .to("customers", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_allocations_payment",
            "payment_allocations",
            &["payment_id"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_allocations_bill",
            "payment_allocations",
            &["bill_id"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_allocations_customer",
            "payment_allocations",
            &["customer_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("payment_counters")
                    .if_not_exists()
                    .col(ColumnDef::new("period").integer().not_null().primary_key())
                    .col(ColumnDef::new("last_no").big_integer().not_null())
                    .check(Expr::col("last_no").between(0, 999_999))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["payment_counters", "payment_allocations", "payments"] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
