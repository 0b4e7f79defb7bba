//! Price plans and their versions: validation through the domain rules,
//! encrypted storage, the version in force for a period, and every write
//! in one transaction with its audit entry.

use std::collections::HashMap;

use anyhow::Context;
use chrono::Utc;
use opcms_domain::customer::normalize::{clean_name, name_key};
use opcms_domain::money::round_to_cents;
use opcms_domain::pricing::{
    MinimumCharge, Mode, PlanPricing, RawPlanPricing, RawValue, Rule, SeriesMap, VersionKey, span, volume_cliffs,
};
use opcms_domain::{FieldError, Period};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, NotSet,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use serde_json::{Map, Value, json};

use super::diff;
use super::entity::{customer_pricing, plan, version};
use super::model::*;
use crate::audit::{self, Actor, Entry};
use crate::crypto::{Binding, Keyring};
use crate::customers::entity::customer;
use crate::db::{begin_write, like_contains};
use crate::error::{AppError, AppResult, is_unique_violation};
use crate::http::pagination::{PageParams, PageRequest};
use crate::state::AppState;
use crate::users::display_names;

const REASON_MAX: usize = 500;
const NAME_MAX: usize = 100;
/// Attempts at taking the next version number before giving up with a 409.
/// The plan row lock makes a second attempt rare; the unique key on
/// (plan_id, version) makes a lost race an error rather than a duplicate.
const VERSION_ATTEMPTS: usize = 3;

pub use crate::calendar::current_period;

// ---- sealing: rules and minimum charges are encrypted at rest ----------

/// What a version's sealed rules are bound to: the plan and version number.
pub fn rules_binding(plan_id: i64, version: i32) -> Binding {
    Binding::new("price_plan_versions", "rules_enc", format!("{plan_id}/{version}"))
}

pub fn minimum_binding(plan_id: i64, version: i32) -> Binding {
    Binding::new(
        "price_plan_versions",
        "minimum_charge_enc",
        format!("{plan_id}/{version}"),
    )
}

/// The rule JSON with every price exactly as written ("0.5000"), encrypted.
/// Never Fixed4 units: a re-quote of an old month must give the same
/// digits, and the breakdown's scales come from the written prices.
pub fn seal_rules(keyring: &Keyring, binding: &Binding, rules: &SeriesMap<Rule>) -> AppResult<String> {
    let json = serde_json::to_string(rules).context("serialize rules")?;
    Ok(keyring.encrypt(binding, &json)?)
}

/// Decrypts and re-validates stored rules. `what` names the row in the
/// error (never the ciphertext or the prices).
pub fn open_rules(keyring: &Keyring, binding: &Binding, stored: &str, what: &str) -> AppResult<SeriesMap<Rule>> {
    let json = keyring
        .decrypt(binding, stored)
        .with_context(|| format!("cannot decrypt the rules of {what}"))?;
    Ok(serde_json::from_str(&json).with_context(|| format!("stored rules of {what} are not valid rules"))?)
}

/// Both sealed columns of version `version` of plan `plan_id`.
fn seal_version(
    keyring: &Keyring,
    plan_id: i64,
    version: i32,
    pricing: &PlanPricing,
) -> AppResult<(String, Option<String>)> {
    let rules = seal_rules(keyring, &rules_binding(plan_id, version), &pricing.rules)?;
    let minimum = pricing
        .minimum_charge
        .map(|m| keyring.encrypt(&minimum_binding(plan_id, version), &m.to_string()))
        .transpose()?;
    Ok((rules, minimum))
}

fn open_minimum(
    keyring: &Keyring,
    binding: &Binding,
    stored: Option<&str>,
    what: &str,
) -> AppResult<Option<MinimumCharge>> {
    let Some(stored) = stored else { return Ok(None) };
    let text = keyring
        .decrypt(binding, stored)
        .with_context(|| format!("cannot decrypt the minimum charge of {what}"))?;
    let minimum = text
        .parse()
        .map_err(|e| anyhow::anyhow!("stored minimum charge of {what} is invalid: {e}"))?;
    Ok(Some(minimum))
}

/// The minimum charge and rules a stored version fixes.
pub fn pricing_of(keyring: &Keyring, row: &version::Model) -> AppResult<PlanPricing> {
    let what = format!("plan {} version {}", row.plan_id, row.version);
    Ok(PlanPricing {
        minimum_charge: open_minimum(
            keyring,
            &minimum_binding(row.plan_id, row.version),
            row.minimum_charge_enc.as_deref(),
            &what,
        )?,
        rules: open_rules(keyring, &rules_binding(row.plan_id, row.version), &row.rules_enc, &what)?,
    })
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

// ---- validation --------------------------------------------------------

fn validate_name(raw: Option<&str>) -> Result<String, FieldError> {
    let name = raw
        .and_then(clean_name)
        .ok_or_else(|| FieldError::new("name", "REQUIRED", "请填写方案名称"))?;
    if name.chars().count() > NAME_MAX {
        return Err(FieldError::new("name", "TOO_LONG", "方案名称不能超过 100 个字符"));
    }
    Ok(name)
}

fn validate_reason(raw: Option<&str>, required: bool) -> Result<Option<String>, FieldError> {
    let reason = raw.map(str::trim).filter(|r| !r.is_empty());
    match reason {
        None if required => Err(FieldError::new("reason", "REQUIRED", "请填写调整原因")),
        Some(r) if r.chars().count() > REASON_MAX => {
            Err(FieldError::new("reason", "TOO_LONG", "原因不能超过 500 个字符"))
        }
        other => Ok(other.map(str::to_string)),
    }
}

/// `minimum_charge` and `rules` of a request, every problem at its path.
fn validate_pricing(
    minimum_charge: Option<RawValue>,
    rules: Option<RawValue>,
    errors: &mut Vec<FieldError>,
) -> Option<PlanPricing> {
    RawPlanPricing { minimum_charge, rules }
        .validate()
        .map_err(|e| errors.extend(e))
        .ok()
}

// ---- reads -------------------------------------------------------------

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
async fn lock_plan(txn: &DatabaseTransaction, id: i64) -> AppResult<plan::Model> {
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
async fn version_keys(db: &impl ConnectionTrait, plan_ids: &[i64]) -> AppResult<HashMap<i64, Vec<VersionKey>>> {
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

// ---- views -------------------------------------------------------------

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
pub async fn list(db: &impl ConnectionTrait, query: &PlanQuery) -> AppResult<(Vec<PlanSummary>, u64, PageRequest)> {
    let page = PageParams {
        page: query.page,
        page_size: query.page_size,
    }
    .validate()?;
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
    Ok((items, total, page))
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

// ---- writes ------------------------------------------------------------

/// A unique-key violation on the plan name, as the field error it is.
fn duplicate_name(err: &DbErr) -> Option<AppError> {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(message)) if message.contains("name_key") => Some(
            AppError::FieldConflict(FieldError::new("name", "DUPLICATE_PLAN_NAME", "方案名称已存在")),
        ),
        _ => None,
    }
}

/// Creates a plan with its version 1.
pub async fn create_plan(state: &AppState, actor: &Actor, input: PlanInput) -> AppResult<(PlanView, Vec<Warning>)> {
    let mut errors = Vec::new();
    let name = validate_name(input.name.as_deref()).map_err(|e| errors.push(e)).ok();
    let effective_from = Period::field(input.effective_from.as_deref(), "effective_from", "生效月份")
        .map_err(|e| errors.push(e))
        .ok();
    let pricing = validate_pricing(input.minimum_charge, input.rules, &mut errors);
    let reason = validate_reason(input.reason.as_deref(), false)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(name), Some(effective_from), Some(pricing), Some(reason)) = (name, effective_from, pricing, reason)
    else {
        return Err(AppError::Validation(errors));
    };

    let now = Utc::now();
    let txn = begin_write(&state.db).await?;
    let created = plan::ActiveModel {
        id: NotSet,
        name: Set(name.clone()),
        name_key: Set(Some(name_key(&name))),
        current_version: Set(1),
        created_at: Set(now),
        created_by: Set(actor.user_id),
        updated_at: Set(now),
        updated_by: Set(actor.user_id),
        is_deleted: Set(false),
        deleted_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|e| duplicate_name(&e).unwrap_or_else(|| e.into()))?;
    // Sealed once the plan has its id: the ciphertexts are bound to it.
    let (rules_enc, minimum_enc) = seal_version(&state.keyring, created.id, 1, &pricing)?;
    version::ActiveModel {
        id: NotSet,
        plan_id: Set(created.id),
        version: Set(1),
        effective_from: Set(effective_from.key()),
        minimum_charge_enc: Set(minimum_enc),
        rules_enc: Set(rules_enc),
        reason: Set(reason.clone()),
        rolled_back_from: Set(None),
        created_at: Set(now),
        created_by: Set(actor.user_id),
    }
    .insert(&txn)
    .await?;
    let mut after = diff::snapshot(effective_from, &pricing);
    after["name"] = json!(name);
    after["version"] = json!(1);
    after["reason"] = json!(reason);
    audit::record(
        &txn,
        actor,
        Entry {
            action: "price_plan.create",
            entity_type: "price_plan",
            entity_id: Some(created.id.to_string()),
            changes: Some(audit::diff(&Value::Null, &after)),
        },
    )
    .await?;
    txn.commit().await?;
    let warnings = cliff_warnings(&pricing)?;
    Ok((plan_view(&state.db, &state.keyring, created).await?, warnings))
}

/// A version about to be written.
struct NewVersion {
    effective_from: Period,
    pricing: PlanPricing,
    reason: Option<String>,
    rolled_back_from: Option<i32>,
    base_version: Option<i32>,
}

/// `POST /price-plans/{id}/versions`: version n+1 with a required reason.
pub async fn create_version(
    state: &AppState,
    actor: &Actor,
    plan_id: i64,
    input: VersionInput,
) -> AppResult<VersionCreated> {
    // 404 before 400: there is nothing to validate against a missing plan.
    find_plan(&state.db, plan_id).await?;
    let mut errors = Vec::new();
    let effective_from = Period::field(input.effective_from.as_deref(), "effective_from", "生效月份")
        .map_err(|e| errors.push(e))
        .ok();
    let pricing = validate_pricing(input.minimum_charge, input.rules, &mut errors);
    let reason = validate_reason(input.reason.as_deref(), true)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(effective_from), Some(pricing), Some(reason)) = (effective_from, pricing, reason) else {
        return Err(AppError::Validation(errors));
    };
    let new = NewVersion {
        effective_from,
        pricing,
        reason,
        rolled_back_from: None,
        base_version: input.base_version,
    };
    add_version(state, actor, plan_id, new, "price_plan.version").await
}

/// `POST /price-plans/{id}/rollback`: a new version equal to version k.
pub async fn rollback(
    state: &AppState,
    actor: &Actor,
    plan_id: i64,
    input: RollbackInput,
) -> AppResult<VersionCreated> {
    let plan = find_plan(&state.db, plan_id).await?;
    let mut errors = Vec::new();
    let source = find_version(&state.db, plan_id, input.version).await?;
    if source.is_none() {
        errors.push(FieldError::new(
            "version",
            "UNKNOWN_VERSION",
            format!(
                "版本 {} 不存在（当前最新为版本 {}）",
                input.version, plan.current_version
            ),
        ));
    }
    let effective_from = match input.effective_from.as_deref() {
        None => Some(current_period()),
        Some(text) => Period::field(Some(text), "effective_from", "生效月份")
            .map_err(|e| errors.push(e))
            .ok(),
    };
    let reason = validate_reason(input.reason.as_deref(), false)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(source), Some(effective_from), Some(reason)) = (source, effective_from, reason) else {
        return Err(AppError::Validation(errors));
    };
    let new = NewVersion {
        effective_from,
        pricing: pricing_of(&state.keyring, &source)?,
        reason: Some(reason.unwrap_or_else(|| format!("回滚到版本 {}", source.version))),
        rolled_back_from: Some(source.version),
        base_version: None,
    };
    add_version(state, actor, plan_id, new, "price_plan.rollback").await
}

/// Writes version n+1 under the plan row's lock, retrying when the unique
/// key (plan_id, version) says another writer took the number first.
async fn add_version(
    state: &AppState,
    actor: &Actor,
    plan_id: i64,
    new: NewVersion,
    action: &str,
) -> AppResult<VersionCreated> {
    for _attempt in 0..VERSION_ATTEMPTS {
        let txn = begin_write(&state.db).await?;
        let plan = lock_plan(&txn, plan_id).await?;
        if let Some(base) = new.base_version
            && base != plan.current_version
        {
            return Err(AppError::conflict(
                "VERSION_CONFLICT",
                format!(
                    "方案已被他人调整（当前最新为版本 {}，编辑基于版本 {base}），请刷新后再提交",
                    plan.current_version
                ),
            ));
        }
        let previous = find_version(&txn, plan_id, plan.current_version)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("plan {plan_id} lacks its current version")))?;
        let number = plan.current_version + 1;
        let now = Utc::now();
        let (rules_enc, minimum_enc) = seal_version(&state.keyring, plan_id, number, &new.pricing)?;
        let inserted = version::ActiveModel {
            id: NotSet,
            plan_id: Set(plan_id),
            version: Set(number),
            effective_from: Set(new.effective_from.key()),
            minimum_charge_enc: Set(minimum_enc),
            rules_enc: Set(rules_enc),
            reason: Set(new.reason.clone()),
            rolled_back_from: Set(new.rolled_back_from),
            created_at: Set(now),
            created_by: Set(actor.user_id),
        }
        .insert(&txn)
        .await;
        let row = match inserted {
            Ok(row) => row,
            // Dropping the transaction rolls it back; take the next number.
            Err(err) if is_unique_violation(&err) => continue,
            Err(err) => return Err(err.into()),
        };
        let mut bumped: plan::ActiveModel = plan.clone().into();
        bumped.current_version = Set(number);
        bumped.updated_at = Set(now);
        bumped.updated_by = Set(actor.user_id);
        bumped.update(&txn).await?;

        let before = diff::snapshot(period_of(&previous)?, &pricing_of(&state.keyring, &previous)?);
        let after = diff::snapshot(new.effective_from, &new.pricing);
        let mut changes = Map::new();
        changes.insert(
            "version".into(),
            json!({"before": plan.current_version, "after": number}),
        );
        for change in diff::between(&before, &after) {
            changes.insert(change.field, json!({"before": change.before, "after": change.after}));
        }
        changes.insert("reason".into(), json!({"before": null, "after": new.reason}));
        if let Some(source) = new.rolled_back_from {
            changes.insert("rolled_back_from".into(), json!({"before": null, "after": source}));
        }
        audit::record(
            &txn,
            actor,
            Entry {
                action,
                entity_type: "price_plan",
                entity_id: Some(plan_id.to_string()),
                changes: Some(Value::Object(changes)),
            },
        )
        .await?;
        let keys = version_keys(&txn, &[plan_id])
            .await?
            .remove(&plan_id)
            .unwrap_or_default();
        let billed = billed_periods(&txn, plan_id, new.effective_from).await?;
        txn.commit().await?;

        let mut warnings = billed_warnings(&billed);
        warnings.extend(span_warnings(&keys, number));
        warnings.extend(cliff_warnings(&new.pricing)?);
        return Ok(VersionCreated {
            version: version_view(&state.db, &state.keyring, row).await?,
            current_version: number,
            already_billed_periods: billed,
            warnings,
        });
    }
    Err(AppError::conflict(
        "VERSION_BUSY",
        "该方案正在被他人同时调整，请稍后重试",
    ))
}

/// Soft delete; refused while live customers are on the plan. Its versions
/// stay, so months already billed with it can still be re-quoted.
pub async fn delete_plan(state: &AppState, actor: &Actor, plan_id: i64) -> AppResult<()> {
    let txn = begin_write(&state.db).await?;
    let plan = lock_plan(&txn, plan_id).await?;
    let customers = customer_counts(&txn, &[plan_id]).await?.remove(&plan_id).unwrap_or(0);
    if customers > 0 {
        return Err(AppError::conflict(
            "PLAN_IN_USE",
            format!("仍有 {customers} 个客户使用该方案，请先为他们更换方案"),
        ));
    }
    let now = Utc::now();
    let mut row: plan::ActiveModel = plan.into();
    row.name_key = Set(None);
    row.is_deleted = Set(true);
    row.deleted_at = Set(Some(now));
    row.updated_at = Set(now);
    row.updated_by = Set(actor.user_id);
    row.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Entry {
            action: "price_plan.delete",
            entity_type: "price_plan",
            entity_id: Some(plan_id.to_string()),
            changes: Some(json!({"is_deleted": {"before": false, "after": true}})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

// ---- warnings ----------------------------------------------------------

fn billed_warnings(billed: &[Period]) -> Vec<Warning> {
    if billed.is_empty() {
        return Vec::new();
    }
    let months: Vec<String> = billed.iter().map(Period::to_string).collect();
    vec![Warning {
        code: "PERIOD_ALREADY_BILLED",
        field: Some("effective_from".into()),
        message: format!(
            "{} 已出账单；新版本不改变已出的账单，重新生成这些月份的草稿账单将按新价格计算",
            months.join("、")
        ),
    }]
}

/// When the new version governs fewer months than "from effective_from on".
fn span_warnings(keys: &[VersionKey], number: i32) -> Vec<Warning> {
    let field = Some("effective_from".to_string());
    match span(keys, number) {
        None => vec![Warning {
            code: "NOT_IN_FORCE",
            field,
            message: "同一生效月份已有更新的版本，该版本不会用于任何月份的计费".into(),
        }],
        Some(span) => match (span.until, span.then) {
            (Some(until), Some(then)) => {
                let last = until.previous().unwrap_or(until);
                vec![Warning {
                    code: "SUPERSEDED",
                    field,
                    message: format!(
                        "该版本仅适用于 {} 至 {last}；自 {until} 起适用生效月份更晚的版本 {then}",
                        span.from
                    ),
                }]
            }
            _ => Vec::new(),
        },
    }
}

/// Volume rules whose price drops at a boundary: more usage costs less.
fn cliff_warnings(pricing: &PlanPricing) -> AppResult<Vec<Warning>> {
    let mut warnings = Vec::new();
    for (series, rule) in pricing.rules.iter().filter(|(_, r)| r.mode() == Mode::Volume) {
        let cliffs = volume_cliffs(rule).map_err(|e| anyhow::anyhow!("volume cliffs: {e}"))?;
        for cliff in cliffs {
            let boundary = cliff.boundary;
            let range = match cliff.cheaper_through {
                Some(through) => format!("用量在 {boundary} 至 {through} 之间都比 {boundary} 便宜"),
                None => format!("超过 {boundary} 的用量都比 {boundary} 便宜"),
            };
            warnings.push(Warning {
                code: "VOLUME_PRICE_CLIFF",
                field: Some(format!("rules.{}", series.code())),
                message: format!(
                    "{} 系列阶梯定价在用量 {boundary} 处有价格断崖：用量 {boundary} 计 {:.2} 元，略超即降为 {:.2} 元；{range}",
                    series.code(),
                    round_to_cents(cliff.amount_at_boundary),
                    round_to_cents(cliff.amount_just_above),
                ),
            });
        }
    }
    Ok(warnings)
}
