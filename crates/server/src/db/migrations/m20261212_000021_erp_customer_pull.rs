//! Customer master data pulled from the ERP (issue 27,
//! docs/api/integrations.md):
//! - `erp_customer_links`: per customer the ERP has sent, the ERP record
//!   version last applied (a late, older record is skipped) and our
//!   customer `version` right after it was applied. A stored customer whose
//!   version has moved since was edited here, so the ERP's next change to it
//!   is a conflict for a person, never an overwrite: the ERP's values wait,
//!   sealed, in `pending_enc` (customer data is personal) until someone takes
//!   them or keeps ours (`kept_digest`: that ERP record is not asked about
//!   again). One row per customer (UNIQUE).
//! - `erp_pull_state`: the feed's cursor, moved only when a run's records
//!   are committed, so a failed run loses nothing and a re-run repeats none;
//!   and the last run's outcome for the 集成 page.

use sea_orm_migration::prelude::*;

use super::schema::index;
use crate::db::columns::{id, string, text, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("erp_customer_links")
                    .if_not_exists()
                    .col(id("id"))
                    .col(ColumnDef::new("customer_id").big_integer().not_null())
                    .col(ColumnDef::new("erp_version").string_len(64).null())
                    .col(ColumnDef::new("synced_version").integer().not_null())
                    .col(text("pending_enc").null())
                    .col(ColumnDef::new("pending_digest").string_len(64).null())
                    .col(timestamp(db, "conflict_at").null())
                    .col(ColumnDef::new("kept_digest").string_len(64).null())
                    .col(timestamp(db, "updated_at").not_null())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_erp_customer_links_customer",
            "erp_customer_links",
            &["customer_id"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_erp_customer_links_conflict",
            "erp_customer_links",
            &["conflict_at"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("erp_pull_state")
                    .if_not_exists()
                    .col(string("name", 32).primary_key())
                    .col(text("feed_cursor").null())
                    .col(timestamp(db, "last_success_at").null())
                    .col(text("last_counts").null())
                    .col(text("last_error").null())
                    .col(timestamp(db, "last_error_at").null())
                    .col(timestamp(db, "updated_at").not_null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["erp_customer_links", "erp_pull_state"] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
