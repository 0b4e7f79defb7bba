//! Rows of a list snapshot left to recompute (issue 28). A refresh used to
//! recompute the changed customers in every list snapshot there is — two
//! months of segments, churn, credit and the aging of each day read — for
//! any analytics read, so a dashboard or aging read under a stream of writes
//! paid for all of them. Now it recomputes the lists the read needs and
//! marks the changed customers here for the others: their own next reader
//! (or the nightly job) recomputes just those rows.

use sea_orm_migration::prelude::*;

use crate::db::columns::string;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("analytics_list_changes")
                    .if_not_exists()
                    // The snapshot, as `analytics_snapshots` names it.
                    .col(string("view", 16))
                    .col(string("snap_key", 16))
                    .col(ColumnDef::new("customer_id").big_integer().not_null())
                    .primary_key(Index::create().col("view").col("snap_key").col("customer_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("analytics_list_changes").if_exists().to_owned())
            .await
    }
}
