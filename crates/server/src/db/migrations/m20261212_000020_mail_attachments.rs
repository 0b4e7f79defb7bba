//! `notifications.attachment_name` / `attachment_size`: the attachment an
//! e-mail carried (the bill PDF of `bill.issued`) is kept in file storage
//! (`mail/<id>/<name>`) after the mail went out; its file name and size
//! when it was kept, both NULL when it was not (no attachment, storage down
//! at the time, or a row from before this release). Sending never depends
//! on it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table("notifications")
                    .add_column(ColumnDef::new("attachment_name").string_len(200).null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("notifications")
                    .add_column(ColumnDef::new("attachment_size").big_integer().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["attachment_size", "attachment_name"] {
            manager
                .alter_table(Table::alter().table("notifications").drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
