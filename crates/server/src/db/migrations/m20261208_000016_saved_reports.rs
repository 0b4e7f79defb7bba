//! Custom reports (自定义报表, issue 25): `saved_reports`, each user's named
//! report definitions (JSON), the name UNIQUE per user.

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
                    .table("saved_reports")
                    .if_not_exists()
                    .col(id("id"))
                    .col(ColumnDef::new("user_id").big_integer().not_null())
                    .col(string("name", 64))
                    .col(string("dataset", 16))
                    .col(text("definition").not_null())
                    .col(timestamp(db, "created_at").not_null())
                    .col(timestamp(db, "updated_at").not_null())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_saved_reports_user_name",
            "saved_reports",
            &["user_id", "name"],
            true,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("saved_reports").if_exists().to_owned())
            .await?;
        Ok(())
    }
}
