//! `customer_imports.original_size`: the uploaded file of the run is kept in
//! file storage (`imports/<id>/original`, sealed); its size when it was
//! kept, NULL when it was not (storage down at the time, or a run from
//! before this release). The import itself never depends on it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("customer_imports")
                    .add_column(ColumnDef::new("original_size").big_integer().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("customer_imports")
                    .drop_column("original_size")
                    .to_owned(),
            )
            .await
    }
}
