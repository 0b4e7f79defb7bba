//! Security hardening (issue 20):
//! - the token signing key was stored in plaintext in `app_secrets`; it is
//!   dropped here and made anew, encrypted with the master key
//!   (crate::secrets), so every session signs in again once;
//! - login throttling reserves attempts in counters (`login_throttle`)
//!   instead of counting failure rows after the fact (`login_failures`);
//! - access tokens name their session, looked up through the existing
//!   `family_id` index on every request.

use sea_orm_migration::prelude::*;

use crate::db::columns::{string, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .exec_stmt(
                Query::delete()
                    .from_table("app_secrets")
                    .and_where(Expr::col("name").eq("jwt_signing_key"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("login_throttle")
                    .if_not_exists()
                    .col(string("key", 200).primary_key())
                    .col(ColumnDef::new("attempts").integer().not_null())
                    .col(timestamp(db, "window_started_at").not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("login_failures").if_exists().to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("login_throttle").if_exists().to_owned())
            .await
    }
}
