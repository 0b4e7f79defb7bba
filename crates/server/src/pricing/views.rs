//! Plans and versions as the API shows them: decrypted, with their
//! creators, the version in force today and the customers on each plan;
//! the list of plans, and what changed between two versions.

use opcms_domain::FieldError;
use opcms_domain::customer::normalize::clean_name;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use super::diff;
use super::entity::{plan, version};
use super::model::*;
use super::reads::{customer_counts, find_plan, find_version, period_of, version_keys};
use super::sealing::pricing_of;
use crate::calendar::current_period;
use crate::crypto::Keyring;
use crate::db::like_contains;
use crate::error::{AppError, AppResult};
use crate::http::pagination::PageRequest;
use crate::state::AppState;
use crate::users::display_names;

/// Decrypted views of version rows, creators' names in one query.
pub async fn version_views(
    db: &impl ConnectionTrait,
    keyring: &Keyring,
    rows: Vec<version::Model>,
) -> AppResult<Vec<VersionView>> {
    let names = display_names(db, rows.iter().filter_map(|r| r.created_by)).await?;
    rows.into_iter()
        .map(|row| {
            let pricing = pricing_of(keyring, &row)?;
            Ok(VersionView {
                plan_id: row.plan_id,
                version: row.version,
                effective_from: period_of(&row)?,
                minimum_charge: pricing.minimum_charge,
                rules: pricing.rules,
                reason: row.reason,
                rolled_back_from: row.rolled_back_from,
                created_at: row.created_at,
                created_by: row.created_by.map(|id| UserRef::named(id, &names)),
            })
        })
        .collect()
}

pub async fn version_view(db: &impl ConnectionTrait, keyring: &Keyring, row: version::Model) -> AppResult<VersionView> {
    version_views(db, keyring, vec![row])
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("view of one version was empty")))
}

pub async fn plan_view(db: &impl ConnectionTrait, keyring: &Keyring, plan: plan::Model) -> AppResult<PlanView> {
    let current = find_version(db, plan.id, plan.current_version)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("plan {} lacks its current version", plan.id)))?;
    let pricing = pricing_of(keyring, &current)?;
    let keys = version_keys(db, &[plan.id]).await?.remove(&plan.id).unwrap_or_default();
    let customers = customer_counts(db, &[plan.id]).await?.remove(&plan.id).unwrap_or(0);
    Ok(PlanView {
        id: plan.id,
        name: plan.name,
        current_version: plan.current_version,
        effective_from: period_of(&current)?,
        minimum_charge: pricing.minimum_charge,
        rules: pricing.rules,
        reason: current.reason,
        in_force_version: opcms_domain::pricing::in_force(&keys, current_period()).map(|v| v.version),
        customers,
        created_at: plan.created_at,
        created_by: plan.created_by,
        updated_at: plan.updated_at,
        updated_by: plan.updated_by,
    })
}

/// Live plans, by name, paged.
pub async fn list(
    db: &impl ConnectionTrait,
    query: &PlanQuery,
    page: PageRequest,
) -> AppResult<(Vec<PlanSummary>, u64)> {
    let mut select = plan::Entity::find().filter(plan::Column::IsDeleted.eq(false));
    if let Some(q) = query.q.as_deref().and_then(clean_name) {
        select = select.filter(plan::Column::NameKey.like(like_contains(&q.to_lowercase())));
    }
    let total = select.clone().count(db).await?;
    let plans = select
        .order_by_asc(plan::Column::Name)
        .order_by_asc(plan::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    let ids: Vec<i64> = plans.iter().map(|p| p.id).collect();
    let mut keys = version_keys(db, &ids).await?;
    let counts = customer_counts(db, &ids).await?;
    let now = current_period();
    let items = plans
        .into_iter()
        .map(|p| {
            let keys = keys.remove(&p.id).unwrap_or_default();
            let current = keys
                .iter()
                .find(|k| k.version == p.current_version)
                .map(|k| k.effective_from)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("plan {} lacks its current version", p.id)))?;
            Ok(PlanSummary {
                id: p.id,
                name: p.name,
                current_version: p.current_version,
                effective_from: current,
                in_force_version: opcms_domain::pricing::in_force(&keys, now).map(|v| v.version),
                customers: counts.get(&p.id).copied().unwrap_or(0),
                updated_at: p.updated_at,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok((items, total))
}

/// Field-level changes from version `from` to version `to` (defaults: the
/// current version, and the one before it).
pub async fn diff_versions(state: &AppState, plan_id: i64, query: &DiffQuery) -> AppResult<DiffView> {
    let plan = find_plan(&state.db, plan_id).await?;
    let to_number = query.to.unwrap_or(plan.current_version);
    let from_number = query.from.unwrap_or(to_number - 1);
    let unknown = |field: &str, number: i32| {
        FieldError::new(
            field,
            "UNKNOWN_VERSION",
            format!("版本 {number} 不存在（当前最新为版本 {}）", plan.current_version),
        )
    };
    let from = find_version(&state.db, plan_id, from_number).await?;
    let to = find_version(&state.db, plan_id, to_number).await?;
    let (from, to) = match (from, to) {
        (Some(from), Some(to)) => (from, to),
        (from, to) => {
            let mut errors = Vec::new();
            if from.is_none() {
                errors.push(unknown("from", from_number));
            }
            if to.is_none() {
                errors.push(unknown("to", to_number));
            }
            return Err(AppError::Validation(errors));
        }
    };
    let (from_period, to_period) = (period_of(&from)?, period_of(&to)?);
    let changes = diff::changes(
        (from_period, &pricing_of(&state.keyring, &from)?),
        (to_period, &pricing_of(&state.keyring, &to)?),
    );
    Ok(DiffView {
        plan_id,
        from: VersionRef {
            version: from.version,
            effective_from: from_period,
        },
        to: VersionRef {
            version: to.version,
            effective_from: to_period,
        },
        changes,
    })
}
