//! Each user's saved reports: a name (unique per user) and a definition.
//! A user sees and changes only their own; another user's is a 404.

use chrono::{DateTime, Utc};
use opcms_domain::reports::{ReportDefinition, check_name};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, NotSet,
    QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::entity as saved;
use crate::audit::{self, Actor, Entry};
use crate::db::begin_write;
use crate::error::{AppError, AppResult, is_unique_violation};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SavedReport {
    pub id: i64,
    pub name: String,
    pub definition: ReportDefinition,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SavedReportSummary {
    pub id: i64,
    pub name: String,
    pub dataset: opcms_domain::reports::Dataset,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveReport {
    pub name: String,
    pub definition: ReportDefinition,
}

fn view(row: saved::Model) -> AppResult<SavedReport> {
    let definition = serde_json::from_str(&row.definition)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("saved report {} unreadable: {e}", row.id)))?;
    Ok(SavedReport {
        id: row.id,
        name: row.name,
        definition,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn name_taken(err: sea_orm::DbErr) -> AppError {
    if is_unique_violation(&err) {
        AppError::conflict("REPORT_NAME_TAKEN", "已有同名报表")
    } else {
        err.into()
    }
}

/// Checks name and definition together, every error at once.
fn checked(input: &SaveReport) -> AppResult<String> {
    let mut errors = Vec::new();
    let name = check_name(&input.name).map_err(|e| errors.push(e)).ok();
    if let Err(found) = input.definition.check() {
        errors.extend(found.into_iter().map(|mut e| {
            e.field = format!("definition.{}", e.field);
            e
        }));
    }
    match name {
        Some(name) if errors.is_empty() => Ok(name),
        _ => Err(AppError::Validation(errors)),
    }
}

pub async fn list(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Vec<SavedReportSummary>> {
    let rows = saved::Entity::find()
        .filter(saved::Column::UserId.eq(user_id))
        .order_by_asc(saved::Column::Name)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let dataset = serde_json::from_value(serde_json::Value::String(row.dataset.clone())).ok()?;
            Some(SavedReportSummary {
                id: row.id,
                name: row.name,
                dataset,
                updated_at: row.updated_at,
            })
        })
        .collect())
}

/// The user's own report; anyone else's is not found.
pub async fn find(db: &impl ConnectionTrait, user_id: i64, id: i64) -> AppResult<SavedReport> {
    view(own(db, user_id, id).await?)
}

async fn own(db: &impl ConnectionTrait, user_id: i64, id: i64) -> AppResult<saved::Model> {
    saved::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|row| row.user_id == user_id)
        .ok_or_else(|| AppError::not_found("报表"))
}

fn dataset_code(definition: &ReportDefinition) -> String {
    serde_json::to_value(definition.dataset)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub async fn create(db: &DatabaseConnection, actor: &Actor, user_id: i64, input: SaveReport) -> AppResult<SavedReport> {
    let name = checked(&input)?;
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let row = saved::ActiveModel {
        id: NotSet,
        user_id: Set(user_id),
        name: Set(name),
        dataset: Set(dataset_code(&input.definition)),
        definition: Set(serde_json::to_string(&input.definition).map_err(|e| AppError::Internal(e.into()))?),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(name_taken)?;
    record(
        &txn,
        actor,
        "report.create",
        &row,
        json!({"name": {"before": null, "after": row.name}}),
    )
    .await?;
    txn.commit().await?;
    view(row)
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    user_id: i64,
    id: i64,
    input: SaveReport,
) -> AppResult<SavedReport> {
    let name = checked(&input)?;
    let txn = begin_write(db).await?;
    let before = own(&txn, user_id, id).await?;
    let mut row: saved::ActiveModel = before.clone().into();
    row.name = Set(name);
    row.dataset = Set(dataset_code(&input.definition));
    row.definition = Set(serde_json::to_string(&input.definition).map_err(|e| AppError::Internal(e.into()))?);
    row.updated_at = Set(Utc::now());
    let after = row.update(&txn).await.map_err(name_taken)?;
    let changes = json!({"name": {"before": before.name, "after": after.name},
                         "definition": {"before": before.definition, "after": after.definition}});
    record(&txn, actor, "report.update", &after, changes).await?;
    txn.commit().await?;
    view(after)
}

pub async fn delete(db: &DatabaseConnection, actor: &Actor, user_id: i64, id: i64) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let before = own(&txn, user_id, id).await?;
    saved::Entity::delete_by_id(id).exec(&txn).await?;
    record(
        &txn,
        actor,
        "report.delete",
        &before,
        json!({"name": {"before": before.name, "after": null}}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn record(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    action: &'static str,
    row: &saved::Model,
    changes: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        txn,
        actor,
        Entry {
            action,
            entity_type: "saved_report",
            entity_id: Some(row.id.to_string()),
            changes: Some(changes),
        },
    )
    .await
}
