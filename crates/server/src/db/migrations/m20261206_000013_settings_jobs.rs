//! Automation (issue 23): business settings in the database (DESIGN.md §18)
//! and our own durable job table (§16).
//! - `settings`: one row per key, its value as JSON text;
//! - `job_runs`: one row per (job, period key), UNIQUE, so that claiming a
//!   period is a plain INSERT whose unique violation means "someone else";
//! - `job_state`: per job, whether it is paused and up to when the
//!   scheduler has looked (`checked_until`), which makes catch-up exact.

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
                    .table("settings")
                    .if_not_exists()
                    .col(string("key", 64).primary_key())
                    .col(text("value").not_null())
                    .col(timestamp(db, "created_at").not_null())
                    .col(timestamp(db, "updated_at").not_null())
                    .col(ColumnDef::new("updated_by").big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("job_runs")
                    .if_not_exists()
                    .col(id("id"))
                    .col(string("job", 64))
                    .col(string("period_key", 16))
                    .col(string("status", 16))
                    .col(ColumnDef::new("attempt").integer().not_null())
                    .col(string("trigger", 16))
                    .col(string("holder", 128))
                    .col(timestamp(db, "lease_until").not_null())
                    .col(timestamp(db, "started_at").not_null())
                    .col(timestamp(db, "finished_at").null())
                    .col(timestamp(db, "next_attempt_at").null())
                    .col(text("counts").not_null())
                    .col(text("error").null())
                    .col(ColumnDef::new("started_by").big_integer().null())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_job_runs_job_period",
            "job_runs",
            &["job", "period_key"],
            true,
        )
        .await?;
        index(manager, "ix_job_runs_status", "job_runs", &["status"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table("job_state")
                    .if_not_exists()
                    .col(string("job", 64).primary_key())
                    .col(ColumnDef::new("paused").boolean().not_null().default(false))
                    .col(timestamp(db, "checked_until").null())
                    .col(timestamp(db, "updated_at").not_null())
                    .col(ColumnDef::new("updated_by").big_integer().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["job_state", "job_runs", "settings"] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
