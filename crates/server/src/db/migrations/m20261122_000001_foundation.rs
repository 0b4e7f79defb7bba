//! Staff accounts, sessions (refresh tokens), login throttling, the audit log
//! and instance-shared secrets.

use sea_orm_migration::prelude::*;

use super::schema::index;
use crate::db::columns::{audit_columns, id, string, text, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();

        let mut users = Table::create();
        users
            .table("users")
            .if_not_exists()
            .col(id("id"))
            .col(string("username", 64))
            .col(string("display_name", 100))
            .col(string("password_hash", 255))
            .col(string("role", 16))
            .col(string("status", 16))
            .col(ColumnDef::new("must_change_password").boolean().not_null())
            // Bumped whenever every outstanding access token must die at once
            // (password change, disable, role change).
            .col(ColumnDef::new("token_version").integer().not_null().default(0))
            .col(timestamp(db, "last_login_at").null());
        for column in audit_columns(db) {
            users.col(column);
        }
        users.check(Expr::col("role").is_in(["operations", "sales", "management"]));
        users.check(Expr::col("status").is_in(["active", "disabled"]));
        manager.create_table(users).await?;
        index(manager, "ux_users_username", "users", &["username"], true).await?;

        manager
            .create_table(
                Table::create()
                    .table("refresh_tokens")
                    .if_not_exists()
                    .col(id("id"))
                    .col(ColumnDef::new("user_id").big_integer().not_null())
                    // All tokens descending from one login share a family; reuse
                    // of a rotated token revokes the whole family.
                    .col(string("family_id", 36))
                    .col(string("token_hash", 64))
                    .col(timestamp(db, "created_at").not_null())
                    .col(timestamp(db, "expires_at").not_null())
                    .col(timestamp(db, "rotated_at").null())
                    .col(timestamp(db, "revoked_at").null())
                    .foreign_key(
                        ForeignKey::create()
                            .from("refresh_tokens", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_refresh_tokens_hash",
            "refresh_tokens",
            &["token_hash"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_refresh_tokens_family",
            "refresh_tokens",
            &["family_id"],
            false,
        )
        .await?;
        index(manager, "ix_refresh_tokens_user", "refresh_tokens", &["user_id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("login_failures")
                    .if_not_exists()
                    .col(id("id"))
                    .col(string("username", 64))
                    .col(string("ip", 64))
                    .col(timestamp(db, "failed_at").not_null())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_login_failures_user",
            "login_failures",
            &["username", "failed_at"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_login_failures_ip",
            "login_failures",
            &["ip", "failed_at"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_logs")
                    .if_not_exists()
                    .col(id("id"))
                    .col(timestamp(db, "at").not_null())
                    .col(ColumnDef::new("actor_id").big_integer().null())
                    .col(string("actor_name", 100))
                    .col(string("action", 64))
                    .col(string("entity_type", 64))
                    .col(ColumnDef::new("entity_id").string_len(64).null())
                    .col(text("changes").null())
                    .col(ColumnDef::new("ip").string_len(64).null())
                    .col(ColumnDef::new("request_id").string_len(64).null())
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_audit_logs_at", "audit_logs", &["at"], false).await?;
        index(manager, "ix_audit_logs_actor", "audit_logs", &["actor_id", "at"], false).await?;
        index(
            manager,
            "ix_audit_logs_entity",
            "audit_logs",
            &["entity_type", "entity_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("app_secrets")
                    .if_not_exists()
                    .col(ColumnDef::new("name").string_len(64).not_null().primary_key())
                    .col(text("value").not_null())
                    .col(timestamp(db, "created_at").not_null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["app_secrets", "audit_logs", "login_failures", "refresh_tokens", "users"] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
