//! A customer's price plan and rule overrides (DESIGN.md §5: "a customer is
//! assigned one plan; a customer-specific override of any series rule is
//! allowed"): the view of them, and the writes that assign, change and
//! remove them, each audited.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use opcms_domain::pricing::{Coverage, Rule, SeriesMap, validate_series_rules};
use opcms_domain::{DataScope, FieldError, Period};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};
use serde_json::{Value, json};

use super::entity::{customer_pricing, plan};
use super::model::*;
use super::reads::{CHUNK, live_plan, period_of, plan_in_force};
use super::sealing::{open_overrides, overrides_binding, seal_rules};
use crate::access::Principal;
use crate::audit::{self, Actor, Entry};
use crate::crypto::Keyring;
use crate::customers::service::{find_visible, lock_visible};
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The per-customer effective price view for `period`.
pub async fn view(
    state: &AppState,
    scope: &DataScope,
    customer_id: i64,
    period: Period,
) -> AppResult<CustomerPricingView> {
    find_visible(&state.db, scope, customer_id).await?;
    let assignment = customer_pricing::Entity::find_by_id(customer_id).one(&state.db).await?;
    let Some(assignment) = assignment else {
        return Ok(CustomerPricingView {
            customer_id,
            period,
            plan: None,
            version: None,
            minimum_charge: None,
            overrides: SeriesMap::new(),
            effective_rules: SeriesMap::new(),
            updated_at: None,
            updated_by: None,
        });
    };
    let plan = plan::Entity::find_by_id(assignment.plan_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("customer {customer_id} is on a missing plan")))?;
    let overrides = open_overrides(&state.keyring, &assignment)?;
    let in_force = plan_in_force(&state.db, &state.keyring, plan.id, period).await?;
    let (version, minimum_charge, effective_rules) = match in_force {
        Some((row, pricing)) => {
            let mut effective = SeriesMap::new();
            for (series, rule) in pricing.rules.iter() {
                let (source, rule) = match overrides.get(series) {
                    Some(own) => ("override", own.clone()),
                    None => ("plan", rule.clone()),
                };
                effective.insert(series, EffectiveRule { source, rule });
            }
            let version = VersionRef {
                version: row.version,
                effective_from: period_of(&row)?,
            };
            (Some(version), pricing.minimum_charge, effective)
        }
        None => (None, None, SeriesMap::new()),
    };
    Ok(CustomerPricingView {
        customer_id,
        period,
        plan: Some(PlanRef {
            id: plan.id,
            name: plan.name,
        }),
        version,
        minimum_charge,
        overrides,
        effective_rules,
        updated_at: Some(assignment.updated_at),
        updated_by: assignment.updated_by,
    })
}

/// What the audit log shows of an assignment: the plan and the override
/// rules in clear (the audit log is management's; the ciphertext is never
/// logged). Logged as `customer_pricing`, not `customer`: the customer's
/// own audit trail is open to its sales owner, who may not see prices.
fn audit_view(plan_id: Option<i64>, overrides: &SeriesMap<Rule>) -> Value {
    json!({"plan_id": plan_id, "overrides": overrides})
}

/// `PUT /customers/{id}/pricing`: assigns a live plan and replaces the overrides.
pub async fn assign(
    state: &AppState,
    principal: &Principal,
    customer_id: i64,
    input: CustomerPricingInput,
) -> AppResult<()> {
    let overrides = validate_series_rules(input.overrides.as_ref(), Coverage::AnySeries)
        .map_err(|e| AppError::Validation(e.prefixed("overrides").into_vec()))?;
    let overrides_enc = if overrides.is_empty() {
        None
    } else {
        Some(seal_rules(&state.keyring, &overrides_binding(customer_id), &overrides)?)
    };
    let actor = Actor::from(principal);
    let txn = begin_write(&state.db).await?;
    // The customer row's lock also serializes two first assignments.
    lock_visible(&txn, &principal.scope(), customer_id).await?;
    let plan_exists = plan::Entity::find_by_id(input.plan_id)
        .filter(plan::Column::IsDeleted.eq(false))
        .one(&txn)
        .await?
        .is_some();
    if !plan_exists {
        return Err(AppError::Validation(vec![FieldError::new(
            "plan_id",
            "UNKNOWN_PLAN",
            "定价方案不存在或已删除",
        )]));
    }
    let now = Utc::now();
    let existing = customer_pricing::Entity::find_by_id(customer_id).one(&txn).await?;
    let before = match &existing {
        Some(row) => audit_view(Some(row.plan_id), &open_overrides(&state.keyring, row)?),
        None => Value::Null,
    };
    match existing {
        Some(row) => {
            let mut row: customer_pricing::ActiveModel = row.into();
            row.plan_id = Set(input.plan_id);
            row.overrides_enc = Set(overrides_enc);
            row.updated_at = Set(now);
            row.updated_by = Set(actor.user_id);
            row.update(&txn).await?;
        }
        None => {
            customer_pricing::ActiveModel {
                customer_id: Set(customer_id),
                plan_id: Set(input.plan_id),
                overrides_enc: Set(overrides_enc),
                created_at: Set(now),
                created_by: Set(actor.user_id),
                updated_at: Set(now),
                updated_by: Set(actor.user_id),
            }
            .insert(&txn)
            .await?;
        }
    }
    audit::record(
        &txn,
        &actor,
        Entry {
            action: "customer.pricing",
            entity_type: "customer_pricing",
            entity_id: Some(customer_id.to_string()),
            changes: Some(audit::diff(&before, &audit_view(Some(input.plan_id), &overrides))),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// `DELETE /customers/{id}/pricing`: the customer has no plan any more.
pub async fn unassign(state: &AppState, principal: &Principal, customer_id: i64) -> AppResult<()> {
    let actor = Actor::from(principal);
    let txn = begin_write(&state.db).await?;
    lock_visible(&txn, &principal.scope(), customer_id).await?;
    let Some(existing) = customer_pricing::Entity::find_by_id(customer_id).one(&txn).await? else {
        return Err(AppError::not_found("客户的定价方案"));
    };
    let before = audit_view(Some(existing.plan_id), &open_overrides(&state.keyring, &existing)?);
    customer_pricing::Entity::delete_by_id(customer_id).exec(&txn).await?;
    audit::record(
        &txn,
        &actor,
        Entry {
            action: "customer.pricing_remove",
            entity_type: "customer_pricing",
            entity_id: Some(customer_id.to_string()),
            changes: Some(audit::diff(&before, &Value::Null)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Puts a customer on a live plan, keeping its own rule overrides (they lay
/// over whichever plan it is on): the batch action `set_price_plan` and the
/// customer import's 价格方案 column. One transaction, audited like
/// `PUT /customers/{id}/pricing`; nothing is written when the customer is
/// already on the plan. Answers whether anything changed.
pub async fn set_plan(state: &AppState, principal: &Principal, customer_id: i64, plan_id: i64) -> AppResult<bool> {
    let actor = Actor::from(principal);
    let txn = begin_write(&state.db).await?;
    lock_visible(&txn, &principal.scope(), customer_id).await?;
    live_plan(&txn, plan_id).await?;
    let changed = put_plan(&txn, &state.keyring, &actor, customer_id, plan_id).await?;
    txn.commit().await?;
    Ok(changed)
}

/// [`set_plan`]'s write inside the caller's transaction (the customer row
/// locked or just written by it, the plan checked live).
pub async fn put_plan(
    txn: &DatabaseTransaction,
    keyring: &Keyring,
    actor: &Actor,
    customer_id: i64,
    plan_id: i64,
) -> AppResult<bool> {
    let now = Utc::now();
    let existing = customer_pricing::Entity::find_by_id(customer_id).one(txn).await?;
    let (before, after) = match existing {
        Some(row) if row.plan_id == plan_id => return Ok(false),
        Some(row) => {
            let overrides = open_overrides(keyring, &row)?;
            let before = audit_view(Some(row.plan_id), &overrides);
            let mut row: customer_pricing::ActiveModel = row.into();
            row.plan_id = Set(plan_id);
            row.updated_at = Set(now);
            row.updated_by = Set(actor.user_id);
            row.update(txn).await?;
            (before, audit_view(Some(plan_id), &overrides))
        }
        None => {
            customer_pricing::ActiveModel {
                customer_id: Set(customer_id),
                plan_id: Set(plan_id),
                overrides_enc: Set(None),
                created_at: Set(now),
                created_by: Set(actor.user_id),
                updated_at: Set(now),
                updated_by: Set(actor.user_id),
            }
            .insert(txn)
            .await?;
            (Value::Null, audit_view(Some(plan_id), &SeriesMap::new()))
        }
    };
    audit::record(
        txn,
        actor,
        Entry {
            action: "customer.pricing",
            entity_type: "customer_pricing",
            entity_id: Some(customer_id.to_string()),
            changes: Some(audit::diff(&before, &after)),
        },
    )
    .await?;
    Ok(true)
}

/// [`set_plan`] for many customers in one transaction (the batch action
/// `set_price_plan`): the customers locked and the assignments read and
/// written a chunk at a time, one audit entry per customer that changed.
/// Each id's outcome is answered in order: a customer missing, deleted or
/// outside the caller's scope is `Err` (404's message) and left alone.
pub async fn set_plan_many(
    state: &AppState,
    principal: &Principal,
    ids: &[i64],
    plan_id: i64,
) -> AppResult<Vec<(i64, Result<(), AppError>)>> {
    use crate::customers::entity::customer;
    let actor = Actor::from(principal);
    let scope = principal.scope();
    let txn = begin_write(&state.db).await?;
    live_plan(&txn, plan_id).await?;
    let now = Utc::now();
    let mut outcomes = Vec::with_capacity(ids.len());
    let mut entries = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let visible: HashSet<i64> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .column(customer::Column::SalesOwnerId)
            .filter(customer::Column::Id.is_in(chunk.iter().copied()))
            .filter(customer::Column::IsDeleted.eq(false))
            .lock_exclusive()
            .into_tuple::<(i64, Option<i64>)>()
            .all(&txn)
            .await?
            .into_iter()
            .filter(|(_, owner)| scope.admits(*owner))
            .map(|(id, _)| id)
            .collect();
        let mut existing: HashMap<i64, customer_pricing::Model> = customer_pricing::Entity::find()
            .filter(customer_pricing::Column::CustomerId.is_in(visible.iter().copied()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|row| (row.customer_id, row))
            .collect();
        let mut moved = Vec::new();
        let mut inserts = Vec::new();
        for &id in chunk {
            if !visible.contains(&id) {
                outcomes.push((id, Err(AppError::not_found("客户"))));
                continue;
            }
            let (before, after) = match existing.remove(&id) {
                Some(row) if row.plan_id == plan_id => {
                    outcomes.push((id, Ok(())));
                    continue;
                }
                Some(row) => {
                    let overrides = open_overrides(&state.keyring, &row)?;
                    moved.push(id);
                    (
                        audit_view(Some(row.plan_id), &overrides),
                        audit_view(Some(plan_id), &overrides),
                    )
                }
                None => {
                    inserts.push(customer_pricing::ActiveModel {
                        customer_id: Set(id),
                        plan_id: Set(plan_id),
                        overrides_enc: Set(None),
                        created_at: Set(now),
                        created_by: Set(actor.user_id),
                        updated_at: Set(now),
                        updated_by: Set(actor.user_id),
                    });
                    (Value::Null, audit_view(Some(plan_id), &SeriesMap::new()))
                }
            };
            entries.push(Entry {
                action: "customer.pricing",
                entity_type: "customer_pricing",
                entity_id: Some(id.to_string()),
                changes: Some(audit::diff(&before, &after)),
            });
            outcomes.push((id, Ok(())));
        }
        if !moved.is_empty() {
            customer_pricing::Entity::update_many()
                .col_expr(customer_pricing::Column::PlanId, plan_id.into())
                .col_expr(customer_pricing::Column::UpdatedAt, now.into())
                .col_expr(customer_pricing::Column::UpdatedBy, actor.user_id.into())
                .filter(customer_pricing::Column::CustomerId.is_in(moved))
                .exec(&txn)
                .await?;
        }
        crate::db::bulk::insert(&txn, inserts).await?;
    }
    audit::record_many(&txn, &actor, entries).await?;
    txn.commit().await?;
    Ok(outcomes)
}
