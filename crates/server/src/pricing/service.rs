//! Changing price plans: a new plan, a new version, a rollback, a delete;
//! each validated through the domain rules, written in one transaction with
//! its audit entry, and answered with the warnings worth a second look.

use chrono::Utc;
use opcms_domain::customer::normalize::{clean_name, name_key};
use opcms_domain::pricing::{PlanPricing, RawPlanPricing, RawValue, already_billed, narrower_span, price_cliffs};
use opcms_domain::{FieldError, Period};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DbErr, NotSet, SqlErr};
use serde_json::{Map, Value, json};

use super::diff;
use super::entity::{plan, version};
use super::model::*;
use super::reads::{billed_periods, customer_counts, find_plan, find_version, lock_plan, period_of, version_keys};
use super::sealing::{pricing_of, seal_version};
use super::views::{plan_view, version_view};
use crate::audit::{self, Actor, Entry};
use crate::db::begin_write;
use crate::error::{AppError, AppResult, is_unique_violation};
use crate::state::AppState;

const REASON_MAX: usize = 500;
const NAME_MAX: usize = 100;
/// Attempts at taking the next version number before giving up with a 409.
/// The plan row lock makes a second attempt rare; the unique key on
/// (plan_id, version) makes a lost race an error rather than a duplicate.
const VERSION_ATTEMPTS: usize = 3;

pub use crate::calendar::current_period;

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

        let mut warnings: Vec<Warning> = already_billed(&billed)
            .into_iter()
            .chain(narrower_span(&keys, number))
            .map(Warning::from)
            .collect();
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

/// The domain's volume price cliffs of `pricing`, as response warnings.
fn cliff_warnings(pricing: &PlanPricing) -> AppResult<Vec<Warning>> {
    let cliffs = price_cliffs(pricing).map_err(|e| anyhow::anyhow!("volume cliffs: {e}"))?;
    Ok(cliffs.into_iter().map(Warning::from).collect())
}
