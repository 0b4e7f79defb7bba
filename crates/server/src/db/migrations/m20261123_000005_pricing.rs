//! Price plans with versions, and each customer's plan (DESIGN.md §5).
//!
//! - `price_plans`: the plan's identity. Its name is unique among live plans
//!   through the `name_key` twin (NULL once soft-deleted), as for customers.
//!   `current_version` is the highest version number; new versions lock
//!   this row, so two concurrent edits become n+1 and n+2.
//! - `price_plan_versions`: never updated. `UNIQUE(plan_id, version)` is the
//!   backstop against two writers both taking n+1. `effective_from` is the
//!   month as the integer `yyyymm` (sortable on every backend); the index
//!   `(plan_id, effective_from, version)` answers "the version in force for
//!   a period" with one seek. The rules and the minimum charge are
//!   encrypted (crypto::Keyring): the rule JSON keeps each price exactly as
//!   written ("0.5000"), because a re-quote must reproduce the same digits.
//! - `customer_pricing`: one row per customer that has a plan, with the
//!   customer's encrypted rule overrides.

use sea_orm_migration::prelude::*;

use super::schema::index;
use crate::db::columns::{audit_columns, id, string, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();

        let mut plans = Table::create();
        plans
            .table("price_plans")
            .if_not_exists()
            .col(id("id"))
            .col(string("name", 100))
            .col(ColumnDef::new("name_key").string_len(100).null())
            .col(ColumnDef::new("current_version").integer().not_null());
        for column in audit_columns(db) {
            plans.col(column);
        }
        plans.check(Expr::col("current_version").gte(1));
        manager.create_table(plans).await?;
        index(manager, "ux_price_plans_name_key", "price_plans", &["name_key"], true).await?;
        index(
            manager,
            "ix_price_plans_live",
            "price_plans",
            &["is_deleted", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("price_plan_versions")
                    .if_not_exists()
                    .col(id("id"))
                    .col(ColumnDef::new("plan_id").big_integer().not_null())
                    .col(ColumnDef::new("version").integer().not_null())
                    .col(ColumnDef::new("effective_from").integer().not_null())
                    .col(ColumnDef::new("minimum_charge_enc").text().null())
                    .col(ColumnDef::new("rules_enc").text().not_null())
                    .col(ColumnDef::new("reason").string_len(500).null())
                    // The version a rollback copied; NULL for an edit.
                    .col(ColumnDef::new("rolled_back_from").integer().null())
                    .col(timestamp(db, "created_at").not_null())
                    .col(ColumnDef::new("created_by").big_integer().null())
                    .check(Expr::col("version").gte(1))
                    .check(Expr::col("effective_from").between(200001, 210012))
                    .foreign_key(
                        ForeignKey::create()
                            .from("price_plan_versions", "plan_id")
                            .to("price_plans", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("price_plan_versions", "created_by")
                            .to("users", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_price_plan_versions_plan_version",
            "price_plan_versions",
            &["plan_id", "version"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_price_plan_versions_in_force",
            "price_plan_versions",
            &["plan_id", "effective_from", "version"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("customer_pricing")
                    .if_not_exists()
                    .col(ColumnDef::new("customer_id").big_integer().not_null().primary_key())
                    .col(ColumnDef::new("plan_id").big_integer().not_null())
                    .col(ColumnDef::new("overrides_enc").text().null())
                    .col(timestamp(db, "created_at").not_null())
                    .col(ColumnDef::new("created_by").big_integer().null())
                    .col(timestamp(db, "updated_at").not_null())
                    .col(ColumnDef::new("updated_by").big_integer().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from("customer_pricing", "customer_id")
                            .to("customers", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("customer_pricing", "plan_id")
                            .to("price_plans", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_customer_pricing_plan",
            "customer_pricing",
            &["plan_id", "customer_id"],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["customer_pricing", "price_plan_versions", "price_plans"] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
