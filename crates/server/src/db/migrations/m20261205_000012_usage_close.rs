//! Month close, usage side (issue 21): a collection run counts the records
//! it discarded by rule (usage of closed customers, when
//! `usage_discard_closed` is on), apart from those it quarantined.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("usage_collection_runs"))
                    .add_column(ColumnDef::new("discarded").integer().not_null().default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("usage_collection_runs"))
                    .drop_column(Alias::new("discarded"))
                    .to_owned(),
            )
            .await
    }
}
