//! Customer master data (DESIGN.md §3): profile, tags, status history.
//!
//! Uniqueness "among live customers" is enforced by the database: each
//! unique value has a `*_key` twin that holds it while the row is live and is
//! NULL once soft-deleted (NULLs never collide in a unique index on any of
//! the three backends). Restoring sets it again, and a clash then is a 409.

use sea_orm_migration::prelude::*;

use super::schema::index;
use crate::db::columns::{audit_columns, id, string, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        let optional = |name: &str, length: u32| ColumnDef::new(Alias::new(name)).string_len(length).null().to_owned();

        let mut customers = Table::create();
        customers
            .table("customers")
            .if_not_exists()
            .col(id("id"))
            .col(string("customer_code", 32))
            .col(optional("code_key", 32))
            .col(string("company_name", 100))
            .col(optional("name_key", 100))
            .col(optional("credit_code", 18))
            .col(optional("industry", 16))
            .col(optional("level", 1))
            .col(optional("region", 50))
            .col(optional("address", 200))
            .col(optional("contact_name", 50))
            // Encrypted (crypto::Keyring) with a blind index for exact search.
            .col(ColumnDef::new("contact_phone_enc").text().null())
            .col(optional("contact_phone_index", 64))
            .col(ColumnDef::new("contact_email_enc").text().null())
            .col(optional("contact_email_index", 64))
            .col(optional("account_id", 64))
            .col(optional("account_key", 64))
            .col(string("account_status", 16))
            .col(ColumnDef::new("series_x").boolean().not_null())
            .col(ColumnDef::new("series_n").boolean().not_null())
            .col(ColumnDef::new("series_l").boolean().not_null())
            .col(ColumnDef::new("sales_owner_id").big_integer().null())
            .col(ColumnDef::new("ops_owner_id").big_integer().null())
            .col(ColumnDef::new("signed_at").date().null())
            .col(ColumnDef::new("contract_end_at").date().null())
            .col(optional("remarks", 500))
            .col(ColumnDef::new("payment_terms_days").integer().not_null().default(15))
            // Lower-cased code, name, account and contact name in one column,
            // so a free-text search scans one short string per row.
            .col(string("search_text", 400))
            // Optimistic concurrency: every update bumps it; a stale one is a 409.
            .col(ColumnDef::new("version").integer().not_null().default(1));
        for column in audit_columns(db) {
            customers.col(column);
        }
        customers
            .check(Expr::col("account_status").is_in(["trial", "active", "arrears", "suspended", "closed"]))
            .check(
                Expr::col("series_x")
                    .or(Expr::col("series_n"))
                    .or(Expr::col("series_l")),
            )
            .check(Expr::col("payment_terms_days").between(0, 365))
            .foreign_key(
                ForeignKey::create()
                    .from("customers", "sales_owner_id")
                    .to("users", "id"),
            )
            .foreign_key(ForeignKey::create().from("customers", "ops_owner_id").to("users", "id"));
        manager.create_table(customers).await?;
        index(manager, "ux_customers_code_key", "customers", &["code_key"], true).await?;
        index(manager, "ux_customers_name_key", "customers", &["name_key"], true).await?;
        index(manager, "ux_customers_account_key", "customers", &["account_key"], true).await?;
        index(manager, "ix_customers_live", "customers", &["is_deleted", "id"], false).await?;
        index(
            manager,
            "ix_customers_sales_owner",
            "customers",
            &["sales_owner_id", "is_deleted"],
            false,
        )
        .await?;
        index(manager, "ix_customers_ops_owner", "customers", &["ops_owner_id"], false).await?;
        index(manager, "ix_customers_status", "customers", &["account_status"], false).await?;
        index(manager, "ix_customers_level", "customers", &["level"], false).await?;
        index(manager, "ix_customers_industry", "customers", &["industry"], false).await?;
        // Sortable columns, led by the live flag every list filters on.
        for column in [
            "company_name",
            "customer_code",
            "signed_at",
            "contract_end_at",
            "created_at",
            "updated_at",
        ] {
            let name = format!("ix_customers_live_{column}");
            index(manager, &name, "customers", &["is_deleted", column, "id"], false).await?;
        }
        index(
            manager,
            "ix_customers_phone_index",
            "customers",
            &["contact_phone_index"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_customers_email_index",
            "customers",
            &["contact_email_index"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("customer_tags")
                    .if_not_exists()
                    .col(ColumnDef::new("customer_id").big_integer().not_null())
                    .col(string("tag", 20))
                    .primary_key(Index::create().col("customer_id").col("tag"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("customer_tags", "customer_id")
                            .to("customers", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_customer_tags_tag",
            "customer_tags",
            &["tag", "customer_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("customer_status_history")
                    .if_not_exists()
                    .col(id("id"))
                    .col(ColumnDef::new("customer_id").big_integer().not_null())
                    .col(optional("from_status", 16))
                    .col(string("to_status", 16))
                    .col(string("reason", 500))
                    .col(ColumnDef::new("actor_id").big_integer().null())
                    .col(string("actor_name", 100))
                    .col(timestamp(db, "at").not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from("customer_status_history", "customer_id")
                            .to("customers", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_status_history_customer",
            "customer_status_history",
            &["customer_id", "at"],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["customer_status_history", "customer_tags", "customers"] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
