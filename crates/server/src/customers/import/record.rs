//! The record of every import run (who, when, which file, counts) and its
//! stored report.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use serde_json::Value;

use super::plan::Plan;
use crate::audit::Actor;
use crate::crypto::{Binding, Keyring};
use crate::error::{AppError, AppResult};
use crate::http::pagination::PageRequest;

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "customer_imports")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub file_name: String,
        pub dry_run: bool,
        pub total: i32,
        pub imported: i32,
        pub imported_with_warnings: i32,
        pub rejected: i32,
        pub created: i32,
        pub updated: i32,
        pub unchanged: i32,
        /// JSON: the header and the rows with problems (see `report::stored`),
        /// encrypted (bound to the run's id): it holds the uploaded cells,
        /// contact phones and e-mails included.
        #[sea_orm(column_type = "Text")]
        pub report: String,
        pub created_at: DateTimeUtc,
        pub created_by: Option<i64>,
        /// The size of the uploaded file kept in storage (`original`);
        /// None: not kept.
        pub original_size: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// What a run's sealed report is bound to.
pub fn report_binding(import_id: i64) -> Binding {
    Binding::new("customer_imports", "report", import_id)
}

/// Records a run and its encrypted report. The row is inserted first so the
/// report can be sealed to its id.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    db: &impl ConnectionTrait,
    keyring: &Keyring,
    actor: &Actor,
    file_name: &str,
    dry_run: bool,
    plan: &Plan,
    (created, updated, unchanged): (usize, usize, usize),
    report: Value,
) -> AppResult<i64> {
    let row = entity::ActiveModel {
        id: NotSet,
        file_name: Set(file_name.chars().take(255).collect()),
        dry_run: Set(dry_run),
        total: Set(count(plan.total)),
        imported: Set(count(plan.total - plan.rejected - plan.with_warnings)),
        imported_with_warnings: Set(count(plan.with_warnings)),
        rejected: Set(count(plan.rejected)),
        created: Set(count(created)),
        updated: Set(count(updated)),
        unchanged: Set(count(unchanged)),
        report: Set(String::new()),
        created_at: Set(Utc::now()),
        created_by: Set(actor.user_id),
        original_size: Set(None),
    }
    .insert(db)
    .await?;
    let sealed = keyring.encrypt(&report_binding(row.id), &report.to_string())?;
    entity::Entity::update_many()
        .col_expr(entity::Column::Report, Expr::value(sealed))
        .filter(entity::Column::Id.eq(row.id))
        .exec(db)
        .await?;
    Ok(row.id)
}

/// The stored report of a run, decrypted. Reports written before they were
/// encrypted are plain JSON until `opcms rotate-key` seals them.
pub fn open_report(keyring: &Keyring, run: &entity::Model) -> AppResult<Value> {
    let json = if run.report.starts_with('{') {
        run.report.clone()
    } else {
        keyring
            .decrypt(&report_binding(run.id), &run.report)
            .with_context(|| format!("cannot decrypt the report of import {}", run.id))?
    };
    serde_json::from_str(&json).map_err(|e| AppError::Internal(anyhow::anyhow!("import report {}: {e}", run.id)))
}

/// How the rows of one import ended.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportCounts {
    pub total: usize,
    pub imported: usize,
    pub imported_with_warnings: usize,
    pub rejected: usize,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    pub id: i64,
    pub file_name: String,
    pub dry_run: bool,
    pub counts: ImportCounts,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub created_at: DateTime<Utc>,
    #[schema(required = true)]
    pub created_by: Option<i64>,
    #[schema(required = true)]
    pub created_by_name: Option<String>,
    /// The uploaded file is kept: `GET /customers/import/{id}/original`.
    pub original_kept: bool,
}

#[derive(sea_orm::FromQueryResult)]
struct SummaryRow {
    id: i64,
    file_name: String,
    dry_run: bool,
    total: i32,
    imported: i32,
    imported_with_warnings: i32,
    rejected: i32,
    created: i32,
    updated: i32,
    unchanged: i32,
    created_at: DateTime<Utc>,
    created_by: Option<i64>,
    original_size: Option<i64>,
}

/// Newest first, without the reports.
pub async fn page(db: &impl ConnectionTrait, page: PageRequest) -> AppResult<(Vec<ImportSummary>, u64)> {
    let total = entity::Entity::find().count(db).await?;
    let rows = entity::Entity::find()
        .select_only()
        .columns([
            entity::Column::Id,
            entity::Column::FileName,
            entity::Column::DryRun,
            entity::Column::Total,
            entity::Column::Imported,
            entity::Column::ImportedWithWarnings,
            entity::Column::Rejected,
            entity::Column::Created,
            entity::Column::Updated,
            entity::Column::Unchanged,
            entity::Column::CreatedAt,
            entity::Column::CreatedBy,
            entity::Column::OriginalSize,
        ])
        .order_by_desc(entity::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .into_model::<SummaryRow>()
        .all(db)
        .await?;
    let user_ids: Vec<i64> = rows.iter().filter_map(|r| r.created_by).collect();
    let names = crate::users::display_names(db, user_ids).await?;
    let as_count = |n: i32| usize::try_from(n).unwrap_or_default();
    let items = rows
        .into_iter()
        .map(|r| ImportSummary {
            id: r.id,
            file_name: r.file_name,
            dry_run: r.dry_run,
            counts: ImportCounts {
                total: as_count(r.total),
                imported: as_count(r.imported),
                imported_with_warnings: as_count(r.imported_with_warnings),
                rejected: as_count(r.rejected),
            },
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            created_at: r.created_at,
            created_by_name: r.created_by.and_then(|id| names.get(&id).cloned()),
            created_by: r.created_by,
            original_kept: r.original_size.is_some(),
        })
        .collect();
    Ok((items, total))
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> AppResult<entity::Model> {
    entity::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("导入记录"))
}
