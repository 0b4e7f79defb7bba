//! The ERP connector (issue 27, docs/api/integrations.md):
//! - `erp_outbox`: one row per document pushed to the ERP (an issued bill, a
//!   credit note, a receipt), written in the same transaction as the
//!   document itself, so nothing is lost while the ERP is down. The UNIQUE
//!   `idempotency_key` (kind + number) means a document is queued once
//!   whatever the retries; the same key goes to the ERP as
//!   `Idempotency-Key`, so a repeated delivery is not a second document
//!   there either. The row is also the sync log (attempts, last error, the
//!   ERP's answer). `payload` is our JSON of the document at that moment;
//!   the field mapping is applied when it is sent. A credit note waits for
//!   its bill's row (`depends_on`) to be sent first.

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
                    .table("erp_outbox")
                    .if_not_exists()
                    .col(id("id"))
                    .col(string("kind", 16))
                    .col(ColumnDef::new("doc_id").big_integer().not_null())
                    .col(string("doc_no", 64))
                    .col(ColumnDef::new("customer_id").big_integer().null())
                    // 191 characters: the longest a unique utf8mb4 key may be on old MySQL.
                    .col(string("idempotency_key", 191))
                    .col(ColumnDef::new("depends_on").big_integer().null())
                    .col(text("payload").not_null())
                    .col(string("status", 16))
                    .col(ColumnDef::new("attempts").integer().not_null().default(0))
                    .col(ColumnDef::new("holder").string_len(160).null())
                    .col(timestamp(db, "lease_until").null())
                    .col(timestamp(db, "next_attempt_at").not_null())
                    .col(text("last_error").null())
                    .col(ColumnDef::new("erp_ref").string_len(160).null())
                    .col(ColumnDef::new("erp_result").string_len(16).null())
                    .col(timestamp(db, "created_at").not_null())
                    .col(timestamp(db, "updated_at").not_null())
                    .col(timestamp(db, "sent_at").null())
                    .to_owned(),
            )
            .await?;
        index(manager, "ux_erp_outbox_key", "erp_outbox", &["idempotency_key"], true).await?;
        index(
            manager,
            "ix_erp_outbox_due",
            "erp_outbox",
            &["status", "next_attempt_at"],
            false,
        )
        .await?;
        index(manager, "ix_erp_outbox_created", "erp_outbox", &["created_at"], false).await?;
        index(manager, "ix_erp_outbox_doc", "erp_outbox", &["kind", "doc_id"], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("erp_outbox").if_exists().to_owned())
            .await?;
        Ok(())
    }
}
