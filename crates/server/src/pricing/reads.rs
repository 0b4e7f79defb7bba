//! Reading plans and versions: the live plan, a plan's versions and the one
//! in force for a period (decrypted), the months already billed with a plan,
//! how many customers are on each plan and which plan each customer is on.

use std::collections::{BTreeSet, HashMap};

use opcms_domain::pricing::{PlanPricing, VersionKey};
use opcms_domain::{FieldError, Period};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::entity::{customer_pricing, plan, version};
use super::sealing::pricing_of;
use crate::crypto::Keyring;
use crate::customers::entity::customer;
use crate::error::{AppError, AppResult};

/// Rows per `IN (…)` query: far below every backend's parameter limit.
pub const CHUNK: usize = 500;

/// A live plan, or 404.
pub async fn find_plan(db: &impl ConnectionTrait, id: i64) -> AppResult<plan::Model> {
    plan::Entity::find_by_id(id)
        .filter(plan::Column::IsDeleted.eq(false))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("定价方案"))
}

/// A live plan, locked for the rest of the transaction (`FOR UPDATE`; on
/// SQLite the `BEGIN IMMEDIATE` of `begin_write` already serializes writers).
pub async fn lock_plan(txn: &DatabaseTransaction, id: i64) -> AppResult<plan::Model> {
    plan::Entity::find_by_id(id)
        .filter(plan::Column::IsDeleted.eq(false))
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("定价方案"))
}

/// Every version of a plan, newest first.
pub async fn versions_of(db: &impl ConnectionTrait, plan_id: i64) -> AppResult<Vec<version::Model>> {
    Ok(version::Entity::find()
        .filter(version::Column::PlanId.eq(plan_id))
        .order_by_desc(version::Column::Version)
        .all(db)
        .await?)
}

pub async fn find_version(db: &impl ConnectionTrait, plan_id: i64, number: i32) -> AppResult<Option<version::Model>> {
    Ok(version::Entity::find()
        .filter(version::Column::PlanId.eq(plan_id))
        .filter(version::Column::Version.eq(number))
        .one(db)
        .await?)
}

/// The (version, effective_from) of every version of these plans, without
/// decrypting anything.
pub async fn version_keys(db: &impl ConnectionTrait, plan_ids: &[i64]) -> AppResult<HashMap<i64, Vec<VersionKey>>> {
    let rows: Vec<(i64, i32, i32)> = version::Entity::find()
        .select_only()
        .column(version::Column::PlanId)
        .column(version::Column::Version)
        .column(version::Column::EffectiveFrom)
        .filter(version::Column::PlanId.is_in(plan_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let mut keys: HashMap<i64, Vec<VersionKey>> = HashMap::new();
    for (plan_id, number, from) in rows {
        if let Some(effective_from) = Period::from_key(from) {
            keys.entry(plan_id).or_default().push(VersionKey {
                version: number,
                effective_from,
            });
        }
    }
    Ok(keys)
}

/// The version of a plan that billing uses for `period`: the greatest
/// `effective_from` ≤ `period`, and of several for that month the highest
/// version number (a later correction wins); with its pricing decrypted.
/// `None` when the plan's first version starts after `period` (or the plan
/// does not exist).
///
/// A soft-deleted plan still answers: its history is what old months were
/// billed with.
pub async fn plan_in_force(
    db: &impl ConnectionTrait,
    keyring: &Keyring,
    plan_id: i64,
    period: Period,
) -> AppResult<Option<(version::Model, PlanPricing)>> {
    let row = version::Entity::find()
        .filter(version::Column::PlanId.eq(plan_id))
        .filter(version::Column::EffectiveFrom.lte(period.key()))
        .order_by_desc(version::Column::EffectiveFrom)
        .order_by_desc(version::Column::Version)
        .limit(1)
        .one(db)
        .await?;
    match row {
        Some(row) => {
            let pricing = pricing_of(keyring, &row)?;
            Ok(Some((row, pricing)))
        }
        None => Ok(None),
    }
}

/// Periods from `from` on that already have (non-void) bills priced with
/// this plan, so that a new version for an already billed month is flagged
/// (DESIGN.md §5): `already_billed_periods` and a `PERIOD_ALREADY_BILLED`
/// warning in the version response.
pub async fn billed_periods(db: &impl ConnectionTrait, plan_id: i64, from: Period) -> AppResult<Vec<Period>> {
    use crate::bills::entity::bill;
    let keys: Vec<i32> = bill::Entity::find()
        .select_only()
        .column(bill::Column::Period)
        .distinct()
        .filter(bill::Column::PlanId.eq(plan_id))
        .filter(bill::Column::Period.gte(from.key()))
        .filter(bill::Column::Status.ne("void"))
        .order_by_asc(bill::Column::Period)
        .into_tuple()
        .all(db)
        .await?;
    Ok(keys.into_iter().filter_map(Period::from_key).collect())
}

/// Live customers per plan.
pub async fn customer_counts(db: &impl ConnectionTrait, plan_ids: &[i64]) -> AppResult<HashMap<i64, u64>> {
    if plan_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let live_customers = sea_orm::sea_query::Query::select()
        .column(customer::Column::Id)
        .from(customer::Entity)
        .and_where(customer::Column::IsDeleted.eq(false))
        .to_owned();
    let rows: Vec<(i64, i64)> = customer_pricing::Entity::find()
        .select_only()
        .column(customer_pricing::Column::PlanId)
        .column_as(customer_pricing::Column::CustomerId.count(), "customers")
        .filter(customer_pricing::Column::PlanId.is_in(plan_ids.iter().copied()))
        .filter(customer_pricing::Column::CustomerId.in_subquery(live_customers))
        .group_by(customer_pricing::Column::PlanId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(plan_id, count)| (plan_id, u64::try_from(count).unwrap_or(0)))
        .collect())
}

pub fn period_of(row: &version::Model) -> AppResult<Period> {
    Period::from_key(row.effective_from).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "plan {} version {} has an invalid effective_from {}",
            row.plan_id,
            row.version,
            row.effective_from
        ))
    })
}

/// The live plan `plan_id`, or the 400 that names it.
pub async fn live_plan(db: &impl ConnectionTrait, plan_id: i64) -> AppResult<plan::Model> {
    plan::Entity::find_by_id(plan_id)
        .filter(plan::Column::IsDeleted.eq(false))
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                "plan_id",
                "UNKNOWN_PLAN",
                format!("定价方案 {plan_id} 不存在或已删除"),
            )])
        })
}

/// Each customer's plan (id and name), for the customer list's 价格方案 column.
pub async fn plans_of(db: &impl ConnectionTrait, customer_ids: &[i64]) -> AppResult<HashMap<i64, (i64, String)>> {
    let mut assigned: Vec<(i64, i64)> = Vec::with_capacity(customer_ids.len());
    for chunk in customer_ids.chunks(CHUNK) {
        assigned.extend(
            customer_pricing::Entity::find()
                .select_only()
                .column(customer_pricing::Column::CustomerId)
                .column(customer_pricing::Column::PlanId)
                .filter(customer_pricing::Column::CustomerId.is_in(chunk.iter().copied()))
                .into_tuple::<(i64, i64)>()
                .all(db)
                .await?,
        );
    }
    let names = plan_names(db, assigned.iter().map(|(_, p)| *p)).await?;
    Ok(assigned
        .into_iter()
        .map(|(customer, plan)| (customer, (plan, names.get(&plan).cloned().unwrap_or_default())))
        .collect())
}

/// The names of these plans (deleted ones too).
pub async fn plan_names(
    db: &impl ConnectionTrait,
    plan_ids: impl IntoIterator<Item = i64>,
) -> AppResult<HashMap<i64, String>> {
    let plan_ids: BTreeSet<i64> = plan_ids.into_iter().collect();
    Ok(plan::Entity::find()
        .select_only()
        .column(plan::Column::Id)
        .column(plan::Column::Name)
        .filter(plan::Column::Id.is_in(plan_ids))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}
