//! Configurable data scope (数据权限范围配置, DESIGN.md §10, issue 25):
//! - `sales_teams`: the teams management keeps on the users page; the name
//!   is UNIQUE.
//! - `users.team_id`: the user's team (none by default). Deleting a team
//!   clears it for the members in the same transaction.
//! - `users.data_scope`: `own` | `team` | `all`; NULL means the role's
//!   default (sales own, everyone else all).

use sea_orm_migration::prelude::*;

use super::schema::index;
use crate::db::columns::{id, string, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("sales_teams")
                    .if_not_exists()
                    .col(id("id"))
                    .col(string("name", 64))
                    .col(timestamp(db, "created_at").not_null())
                    .col(timestamp(db, "updated_at").not_null())
                    .to_owned(),
            )
            .await?;
        index(manager, "ux_sales_teams_name", "sales_teams", &["name"], true).await?;
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(ColumnDef::new("team_id").big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(ColumnDef::new("data_scope").string_len(8).null())
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_users_team", "users", &["team_id"], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ix_users_team").table("users").to_owned())
            .await?;
        for column in ["data_scope", "team_id"] {
            manager
                .alter_table(Table::alter().table("users").drop_column(column).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table("sales_teams").if_exists().to_owned())
            .await?;
        Ok(())
    }
}
