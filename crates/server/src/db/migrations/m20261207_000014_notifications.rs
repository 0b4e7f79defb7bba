//! Notifications (issue 24, DESIGN.md §17):
//! - `notifications`: the outbox. One row per message, written in the same
//!   transaction as its cause; `dedupe_key` UNIQUE, so the same reminder is
//!   written once whatever the re-runs or instances. The recipient is
//!   encrypted (bound to the dedupe key) with a masked copy for the log.
//! - `notification_templates`: the edited templates, one per (event,
//!   channel); a missing row means the built-in default.
//! - `customer_notification_prefs`: a customer's opt-outs per channel; no
//!   row means both channels are on.
//! - `users.email_enc`, `users.phone_enc`: staff addresses for the digests,
//!   encrypted like the customers' contacts.

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
                    .table("notifications")
                    .if_not_exists()
                    .col(id("id"))
                    .col(string("event", 32))
                    .col(string("channel", 8))
                    .col(ColumnDef::new("customer_id").big_integer().null())
                    .col(ColumnDef::new("bill_id").big_integer().null())
                    .col(ColumnDef::new("user_id").big_integer().null())
                    .col(ColumnDef::new("stage").string_len(32).null())
                    .col(text("recipient_enc").null())
                    .col(ColumnDef::new("recipient_masked").string_len(160).null())
                    .col(text("subject").null())
                    .col(text("body").not_null())
                    // 191 characters: the longest a unique utf8mb4 key may be on old MySQL.
                    .col(string("dedupe_key", 191))
                    .col(string("status", 16))
                    .col(ColumnDef::new("attempts").integer().not_null().default(0))
                    .col(ColumnDef::new("holder").string_len(160).null())
                    .col(timestamp(db, "lease_until").null())
                    .col(timestamp(db, "next_attempt_at").not_null())
                    .col(text("last_error").null())
                    .col(timestamp(db, "created_at").not_null())
                    .col(timestamp(db, "updated_at").not_null())
                    .col(timestamp(db, "sent_at").null())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_notifications_dedupe",
            "notifications",
            &["dedupe_key"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_notifications_due",
            "notifications",
            &["status", "next_attempt_at"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_notifications_customer",
            "notifications",
            &["customer_id", "created_at"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_notifications_created",
            "notifications",
            &["created_at"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("notification_templates")
                    .if_not_exists()
                    .col(id("id"))
                    .col(string("event", 32))
                    .col(string("channel", 8))
                    .col(text("subject").null())
                    .col(text("body").not_null())
                    .col(timestamp(db, "updated_at").not_null())
                    .col(ColumnDef::new("updated_by").big_integer().null())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_notification_templates_event_channel",
            "notification_templates",
            &["event", "channel"],
            true,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("customer_notification_prefs")
                    .if_not_exists()
                    .col(ColumnDef::new("customer_id").big_integer().not_null().primary_key())
                    .col(ColumnDef::new("email").boolean().not_null().default(true))
                    .col(ColumnDef::new("sms").boolean().not_null().default(true))
                    .col(timestamp(db, "updated_at").not_null())
                    .col(ColumnDef::new("updated_by").big_integer().null())
                    .to_owned(),
            )
            .await?;
        for column in ["email_enc", "phone_enc"] {
            manager
                .alter_table(Table::alter().table("users").add_column(text(column).null()).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["email_enc", "phone_enc"] {
            manager
                .alter_table(Table::alter().table("users").drop_column(column).to_owned())
                .await?;
        }
        for table in ["customer_notification_prefs", "notification_templates", "notifications"] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
