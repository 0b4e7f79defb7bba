//! Customer imports (DESIGN.md §4): who imported which file when, the counts,
//! and the rows with problems, so the report stays downloadable.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

use super::schema::index;
use crate::db::columns::{id, string, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let count = |name: &str| ColumnDef::new(Alias::new(name)).integer().not_null().to_owned();
        // The report of a large file with many bad rows outgrows MySQL's TEXT (64 KB).
        let mut report = ColumnDef::new(Alias::new("report"));
        match backend {
            DbBackend::MySql => report.custom(Alias::new("LONGTEXT")),
            _ => report.text(),
        };
        manager
            .create_table(
                Table::create()
                    .table("customer_imports")
                    .if_not_exists()
                    .col(id("id"))
                    .col(string("file_name", 255))
                    .col(ColumnDef::new("dry_run").boolean().not_null())
                    .col(count("total"))
                    .col(count("imported"))
                    .col(count("imported_with_warnings"))
                    .col(count("rejected"))
                    .col(count("created"))
                    .col(count("updated"))
                    .col(count("unchanged"))
                    .col(report.not_null())
                    .col(timestamp(backend, Alias::new("created_at")).not_null())
                    .col(ColumnDef::new("created_by").big_integer().null())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_customer_imports_created_at",
            "customer_imports",
            &["created_at"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("customer_imports").if_exists().to_owned())
            .await
    }
}
