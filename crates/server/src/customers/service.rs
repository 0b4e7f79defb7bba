use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::Utc;
use opcms_domain::customer::profile::{validate, validate_payment_terms, validate_tags};
use opcms_domain::customer::status::{
    TransitionError, Trigger, Unsettled, automatic_reason, automatic_target, check_close, check_transition,
    manual_targets,
};
use opcms_domain::customer::{AccountStatus, Profile, RawProfile};
use opcms_domain::{DataScope, FieldError, Permission, Role};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, NotSet,
    QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use serde_json::Value;

use super::entity::{customer, status_history, tag};
use super::model::*;
use crate::access::Principal;
use crate::audit::{self, Actor, Entry};
use crate::crypto::Keyring;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::users::entity as user;
use crate::users::{UserRef, display_names};

/// Maps a unique-key violation on customers to the field it concerns.
fn duplicate(err: &DbErr) -> Option<AppError> {
    let Some(SqlErr::UniqueConstraintViolation(message)) = err.sql_err() else {
        return None;
    };
    let (field, code, text) = if message.contains("code_key") {
        ("customer_code", "DUPLICATE_CUSTOMER_CODE", "客户编号已存在")
    } else if message.contains("name_key") {
        ("company_name", "DUPLICATE_COMPANY_NAME", "公司名称已存在")
    } else if message.contains("account_key") {
        ("account_id", "DUPLICATE_ACCOUNT_ID", "平台账号已被其他客户使用")
    } else {
        return None;
    };
    Some(AppError::FieldConflict(FieldError::new(field, code, text)))
}

pub(crate) fn db_error(err: DbErr) -> AppError {
    duplicate(&err).unwrap_or_else(|| err.into())
}

/// Loads a live customer the caller may see, locking it for the rest of the
/// transaction. Invisible and missing look the same: 404.
pub async fn lock_visible(txn: &DatabaseTransaction, scope: &DataScope, id: i64) -> AppResult<customer::Model> {
    customer::Entity::find_by_id(id)
        .filter(customer::Column::IsDeleted.eq(false))
        .lock_exclusive()
        .one(txn)
        .await?
        .filter(|row| scope.admits(row.sales_owner_id))
        .ok_or_else(|| AppError::not_found("客户"))
}

pub async fn find_visible(db: &impl ConnectionTrait, scope: &DataScope, id: i64) -> AppResult<customer::Model> {
    customer::Entity::find_by_id(id)
        .filter(customer::Column::IsDeleted.eq(false))
        .one(db)
        .await?
        .filter(|row| scope.admits(row.sales_owner_id))
        .ok_or_else(|| AppError::not_found("客户"))
}

/// Customer references by id, in one query.
pub async fn refs(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> AppResult<HashMap<i64, CustomerRef>> {
    let ids: HashSet<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::CustomerCode)
        .column(customer::Column::CompanyName)
        .filter(customer::Column::Id.is_in(ids))
        .into_tuple::<(i64, String, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, customer_code, company_name)| {
            (
                id,
                CustomerRef {
                    id,
                    customer_code,
                    company_name,
                },
            )
        })
        .collect())
}

pub async fn tags_of(db: &impl ConnectionTrait, ids: &[i64]) -> AppResult<HashMap<i64, Vec<String>>> {
    let rows = tag::Entity::find()
        .filter(tag::Column::CustomerId.is_in(ids.iter().copied()))
        .order_by_asc(tag::Column::Tag)
        .all(db)
        .await?;
    let mut map: HashMap<i64, Vec<String>> = HashMap::new();
    for row in rows {
        map.entry(row.customer_id).or_default().push(row.tag);
    }
    Ok(map)
}

async fn replace_tags(txn: &DatabaseTransaction, customer_id: i64, tags: &[String]) -> AppResult<()> {
    tag::Entity::delete_many()
        .filter(tag::Column::CustomerId.eq(customer_id))
        .exec(txn)
        .await?;
    if !tags.is_empty() {
        let rows = tags.iter().map(|t| tag::ActiveModel {
            customer_id: Set(customer_id),
            tag: Set(t.clone()),
        });
        // The list is de-duplicated by validation and replaces the old one.
        tag::Entity::insert_many(rows).exec_without_returning(txn).await?;
    }
    Ok(())
}

/// Builds the views of rows: tags and owner names loaded in two queries.
pub async fn views(
    db: &impl ConnectionTrait,
    keyring: &Keyring,
    role: Role,
    rows: Vec<customer::Model>,
) -> AppResult<Vec<CustomerView>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut tags = tags_of(db, &ids).await?;
    let owner_ids: BTreeSet<i64> = rows
        .iter()
        .flat_map(|r| [r.sales_owner_id, r.ops_owner_id])
        .flatten()
        .collect();
    let owners = display_names(db, owner_ids).await?;
    let mut plans = if role.can(Permission::PricingView) {
        crate::pricing::reads::plans_of(db, &ids).await?
    } else {
        HashMap::new()
    };
    let owner = |id: Option<i64>| {
        id.and_then(|id| {
            owners.get(&id).map(|name| UserRef {
                id,
                display_name: name.clone(),
            })
        })
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let transitions = if row.is_deleted {
                Vec::new()
            } else {
                manual_targets(status_of(&row), role)
                    .into_iter()
                    .map(|s| s.code().to_string())
                    .collect()
            };
            CustomerView {
                id: row.id,
                contact_phone: reveal_phone(keyring, &row),
                contact_email: reveal_email(keyring, &row),
                device_series: series_of(&row),
                sales_owner: owner(row.sales_owner_id),
                ops_owner: owner(row.ops_owner_id),
                tags: tags.remove(&row.id).unwrap_or_default(),
                price_plan: plans.remove(&row.id).map(|(id, name)| PricePlanRef { id, name }),
                allowed_transitions: transitions,
                customer_code: row.customer_code,
                company_name: row.company_name,
                credit_code: row.credit_code,
                industry: row.industry,
                level: row.level,
                region: row.region,
                address: row.address,
                contact_name: row.contact_name,
                account_id: row.account_id,
                account_status: row.account_status,
                sales_owner_id: row.sales_owner_id,
                ops_owner_id: row.ops_owner_id,
                signed_at: row.signed_at,
                contract_end_at: row.contract_end_at,
                remarks: row.remarks,
                payment_terms_days: row.payment_terms_days,
                version: row.version,
                created_at: row.created_at,
                created_by: row.created_by,
                updated_at: row.updated_at,
                updated_by: row.updated_by,
                is_deleted: row.is_deleted,
                deleted_at: row.deleted_at,
            }
        })
        .collect())
}

pub async fn view(state: &AppState, principal: &Principal, row: customer::Model) -> AppResult<CustomerView> {
    let mut list = views(&state.db, &state.keyring, principal.role, vec![row]).await?;
    list.pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("view of one row was empty")))
}

/// Checks that an owner id names a live, active user.
async fn check_owner(
    db: &impl ConnectionTrait,
    field: &str,
    label: &str,
    id: Option<i64>,
) -> AppResult<Option<FieldError>> {
    let Some(id) = id else { return Ok(None) };
    let found = user::Entity::find_by_id(id)
        .filter(user::Column::IsDeleted.eq(false))
        .filter(user::Column::Status.eq("active"))
        .one(db)
        .await?;
    Ok(found
        .is_none()
        .then(|| FieldError::new(field, "UNKNOWN_USER", format!("{label}不存在或已停用"))))
}

/// Everything a write needs checked beyond the profile itself.
struct Extras {
    tags: Option<Vec<String>>,
    payment_terms_days: Option<u32>,
}

async fn validate_all(
    db: &impl ConnectionTrait,
    raw: &RawProfile,
    owners: (Option<i64>, Option<i64>),
    tags: Option<&Vec<String>>,
    payment_terms: Option<i64>,
) -> AppResult<(Profile, Extras)> {
    let mut errors = Vec::new();
    let profile = validate(raw).map_err(|e| errors.extend(e)).ok();
    errors.extend(check_owner(db, "sales_owner_id", "销售负责人", owners.0).await?);
    errors.extend(check_owner(db, "ops_owner_id", "运营负责人", owners.1).await?);
    let tags = match tags.map(|t| validate_tags(t)) {
        Some(Err(e)) => {
            errors.push(e);
            None
        }
        Some(Ok(t)) => Some(t),
        None => None,
    };
    let payment_terms_days = match payment_terms.map(validate_payment_terms) {
        Some(Err(e)) => {
            errors.push(e);
            None
        }
        Some(Ok(d)) => Some(d),
        None => None,
    };
    match profile {
        Some(profile) if errors.is_empty() => Ok((
            profile,
            Extras {
                tags,
                payment_terms_days,
            },
        )),
        _ => Err(AppError::Validation(errors)),
    }
}

/// The highest number among generated-style codes (`C` + 6 digits) in use.
/// Reads a few candidates because a non-numeric code like `CABCDEF` sorts
/// above `C999999`.
pub(crate) async fn highest_generated_code(db: &impl ConnectionTrait) -> AppResult<u64> {
    Ok(customer::Entity::find()
        .select_only()
        .column(customer::Column::CustomerCode)
        .filter(customer::Column::CustomerCode.like("C______"))
        .order_by_desc(customer::Column::CustomerCode)
        .limit(50)
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|code| code[1..].parse::<u64>().ok())
        .max()
        .unwrap_or(0))
}

/// The next free generated code: one above the highest in use.
async fn next_code(db: &impl ConnectionTrait) -> AppResult<String> {
    Ok(format!("C{:06}", highest_generated_code(db).await? + 1))
}

pub async fn create(state: &AppState, actor: &Actor, input: CustomerInput) -> AppResult<customer::Model> {
    let raw = raw_from_input(&input);
    let owners = (input.sales_owner_id, input.ops_owner_id);
    let (profile, extras) =
        validate_all(&state.db, &raw, owners, input.tags.as_ref(), input.payment_terms_days).await?;
    let tags = extras.tags.unwrap_or_default();
    // A generated code may race with another creation; try the next one.
    for _attempt in 0..5 {
        let code = match &profile.customer_code {
            Some(code) => code.clone(),
            None => next_code(&state.db).await?,
        };
        match insert(state, actor, &profile, &code, owners, &tags, extras.payment_terms_days).await {
            Err(AppError::FieldConflict(e))
                if e.code == "DUPLICATE_CUSTOMER_CODE" && profile.customer_code.is_none() =>
            {
                continue;
            }
            other => return other,
        }
    }
    Err(AppError::conflict("CODE_GENERATION_BUSY", "客户编号生成冲突，请重试"))
}

async fn insert(
    state: &AppState,
    actor: &Actor,
    profile: &Profile,
    code: &str,
    owners: (Option<i64>, Option<i64>),
    tags: &[String],
    payment_terms_days: Option<u32>,
) -> AppResult<customer::Model> {
    // The terms the settings give a new customer, when none are given.
    let terms = match payment_terms_days {
        Some(days) => days,
        None => crate::settings::load(&state.db).await?.payment_terms_days,
    };
    let row = new_row(profile, code, owners, terms, actor.user_id, Utc::now(), &state.keyring)?;
    let txn = begin_write(&state.db).await?;
    let created = row.insert(&txn).await.map_err(db_error)?;
    replace_tags(&txn, created.id, tags).await?;
    record_status(&txn, actor, created.id, None, profile.account_status, "创建客户").await?;
    audit::record(
        &txn,
        actor,
        Entry {
            action: "customer.create",
            entity_type: "customer",
            entity_id: Some(created.id.to_string()),
            changes: Some(audit::diff(&Value::Null, &audit_view(&created, tags))),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// How much of a customer the caller may change.
fn edit_rights(principal: &Principal) -> AppResult<bool> {
    if principal.role.can(Permission::CustomersEdit) {
        Ok(true)
    } else if principal.role.can(Permission::CustomersEditContact) {
        Ok(false)
    } else {
        Err(AppError::forbidden())
    }
}

/// Applies a partial update. `expected_version` None skips the optimistic
/// check (batch actions, which read and write under one lock).
pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: i64,
    patch: CustomerPatch,
    expected_version: Option<i32>,
) -> AppResult<customer::Model> {
    let full_rights = edit_rights(principal)?;
    if !full_rights {
        let outside: Vec<&str> = patch
            .touched()
            .into_iter()
            .filter(|f| !SALES_EDITABLE.contains(f))
            .collect();
        if !outside.is_empty() {
            return Err(AppError::Forbidden {
                code: "FORBIDDEN",
                message: format!(
                    "销售只能修改联系人、联系电话、联系邮箱和标签（不能修改：{}）",
                    outside.join("、")
                ),
            });
        }
    }
    let actor = Actor::from(principal);
    let txn = begin_write(&state.db).await?;
    let before = lock_visible(&txn, &principal.scope(), id).await?;
    if let Some(expected) = expected_version
        && expected != before.version
    {
        return Err(AppError::conflict(
            "VERSION_CONFLICT",
            "该客户已被他人修改，请刷新后再编辑",
        ));
    }
    if let Some(Some(status)) = &patch.account_status
        && AccountStatus::parse(status) != Some(status_of(&before))
    {
        return Err(AppError::field(
            "account_status",
            "USE_STATUS_TRANSITION",
            "账号状态须通过「变更状态」操作修改",
        ));
    }
    let raw = merge_patch(raw_from_row(&before, &state.keyring), &patch);
    let owners = (
        patch.sales_owner_id.unwrap_or(before.sales_owner_id),
        patch.ops_owner_id.unwrap_or(before.ops_owner_id),
    );
    let tags_patch: Option<Vec<String>> = patch.tags.clone().map(Option::unwrap_or_default);
    let terms_patch = match patch.payment_terms_days {
        Some(None) => Some(i64::from(crate::settings::load(&txn).await?.payment_terms_days)),
        Some(Some(days)) => Some(days),
        None => None,
    };
    let (mut profile, extras) = validate_all(&txn, &raw, owners, tags_patch.as_ref(), terms_patch).await?;
    // The code is required once assigned: clearing it keeps the old one.
    let code = profile
        .customer_code
        .take()
        .unwrap_or_else(|| before.customer_code.clone());
    let old_tags = tags_of(&txn, &[id]).await?.remove(&id).unwrap_or_default();

    let mut row: customer::ActiveModel = before.clone().into();
    apply_profile(&mut row, &profile, &code, &state.keyring)?;
    row.sales_owner_id = Set(owners.0);
    row.ops_owner_id = Set(owners.1);
    if let Some(days) = extras.payment_terms_days {
        row.payment_terms_days = Set(days as i32);
    }
    row.version = Set(before.version + 1);
    row.updated_at = Set(Utc::now());
    row.updated_by = Set(actor.user_id);
    let after = row.update(&txn).await.map_err(db_error)?;
    let new_tags = match &extras.tags {
        Some(tags) => {
            replace_tags(&txn, id, tags).await?;
            tags.clone()
        }
        None => old_tags.clone(),
    };
    let changes = audit::diff(&audit_view(&before, &old_tags), &audit_view(&after, &new_tags));
    audit::record(
        &txn,
        &actor,
        Entry {
            action: "customer.update",
            entity_type: "customer",
            entity_id: Some(id.to_string()),
            changes: Some(changes),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn delete(state: &AppState, principal: &Principal, id: i64) -> AppResult<()> {
    principal.require(Permission::CustomersEdit)?;
    let actor = Actor::from(principal);
    let txn = begin_write(&state.db).await?;
    let before = lock_visible(&txn, &principal.scope(), id).await?;
    let mut row: customer::ActiveModel = before.clone().into();
    // Free the unique values for live customers.
    row.code_key = Set(None);
    row.name_key = Set(None);
    row.account_key = Set(None);
    row.is_deleted = Set(true);
    row.deleted_at = Set(Some(Utc::now()));
    row.version = Set(before.version + 1);
    row.updated_at = Set(Utc::now());
    row.updated_by = Set(actor.user_id);
    row.update(&txn).await?;
    audit::record(
        &txn,
        &actor,
        Entry {
            action: "customer.delete",
            entity_type: "customer",
            entity_id: Some(id.to_string()),
            changes: Some(serde_json::json!({"is_deleted": {"before": false, "after": true}})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn restore(state: &AppState, principal: &Principal, id: i64) -> AppResult<customer::Model> {
    principal.require(Permission::CustomersRestore)?;
    let actor = Actor::from(principal);
    let txn = begin_write(&state.db).await?;
    let before = customer::Entity::find_by_id(id)
        .filter(customer::Column::IsDeleted.eq(true))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("已删除的客户"))?;
    let mut row: customer::ActiveModel = before.clone().into();
    row.code_key = Set(Some(before.customer_code.clone()));
    row.name_key = Set(Some(opcms_domain::customer::normalize::name_key(&before.company_name)));
    row.account_key = Set(before.account_id.clone());
    row.is_deleted = Set(false);
    row.deleted_at = Set(None);
    row.version = Set(before.version + 1);
    row.updated_at = Set(Utc::now());
    row.updated_by = Set(actor.user_id);
    let after = row.update(&txn).await.map_err(db_error)?;
    audit::record(
        &txn,
        &actor,
        Entry {
            action: "customer.restore",
            entity_type: "customer",
            entity_id: Some(id.to_string()),
            changes: Some(serde_json::json!({"is_deleted": {"before": true, "after": false}})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

async fn record_status(
    txn: &DatabaseTransaction,
    actor: &Actor,
    customer_id: i64,
    from: Option<AccountStatus>,
    to: AccountStatus,
    reason: &str,
) -> AppResult<()> {
    history_row(
        actor,
        customer_id,
        from,
        to,
        reason,
        crate::calendar::business_instant(),
    )
    .insert(txn)
    .await?;
    Ok(())
}

/// One entry of a customer's status history.
fn history_row(
    actor: &Actor,
    customer_id: i64,
    from: Option<AccountStatus>,
    to: AccountStatus,
    reason: &str,
    at: chrono::DateTime<Utc>,
) -> status_history::ActiveModel {
    status_history::ActiveModel {
        id: NotSet,
        customer_id: Set(customer_id),
        from_status: Set(from.map(|s| s.code().to_string())),
        to_status: Set(to.code().into()),
        reason: Set(reason.into()),
        actor_id: Set(actor.user_id),
        actor_name: Set(actor.name.clone()),
        at: Set(at),
    }
}

/// The audit entry of a status move.
fn status_entry(customer_id: i64, from: AccountStatus, to: AccountStatus, reason: &str) -> Entry<'static> {
    Entry {
        action: "customer.status",
        entity_type: "customer",
        entity_id: Some(customer_id.to_string()),
        changes: Some(serde_json::json!({
            "account_status": {"before": from.code(), "after": to.code()},
            "reason": {"before": null, "after": reason},
        })),
    }
}

fn transition_error(err: TransitionError) -> AppError {
    match err {
        TransitionError::Illegal { .. } => AppError::conflict("INVALID_STATUS_TRANSITION", err.to_string()),
        TransitionError::ManagementOnly => AppError::Forbidden {
            code: "FORBIDDEN",
            message: err.to_string(),
        },
    }
}

/// Moves a customer's status and records it (history and audit) in the
/// same transaction as the change.
async fn move_status(
    txn: &DatabaseTransaction,
    actor: &Actor,
    before: &customer::Model,
    to: AccountStatus,
    reason: &str,
) -> AppResult<customer::Model> {
    let from = status_of(before);
    let mut row: customer::ActiveModel = before.clone().into();
    row.account_status = Set(to.code().into());
    row.version = Set(before.version + 1);
    row.updated_at = Set(Utc::now());
    row.updated_by = Set(actor.user_id);
    let after = row.update(txn).await?;
    record_status(txn, actor, before.id, Some(from), to, reason).await?;
    audit::record(txn, actor, status_entry(before.id, from, to, reason)).await?;
    Ok(after)
}

/// A manual status change (DESIGN.md §3 table), with a required reason.
/// Closing an account that still owes is refused unless `force`.
pub async fn change_status(
    state: &AppState,
    principal: &Principal,
    id: i64,
    to: &str,
    reason: &str,
    force: bool,
) -> AppResult<customer::Model> {
    principal.require(Permission::CustomersEdit)?;
    let mut errors = Vec::new();
    let target = AccountStatus::parse(to);
    if target.is_none() {
        errors.push(FieldError::new(
            "to",
            "UNKNOWN_STATUS",
            "账号状态须为 trial、active、arrears、suspended 或 closed",
        ));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        errors.push(FieldError::new("reason", "REQUIRED", "请填写状态变更原因"));
    } else if reason.chars().count() > 500 {
        errors.push(FieldError::new("reason", "TOO_LONG", "原因不能超过 500 个字符"));
    }
    let Some(target) = target.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let actor = Actor::from(principal);
    let notifications = match target {
        AccountStatus::Suspended => crate::notify::outbox::Context::load(state).await?,
        _ => None,
    };
    let txn = begin_write(&state.db).await?;
    let before = lock_visible(&txn, &principal.scope(), id).await?;
    check_transition(status_of(&before), target, Trigger::Manual(principal.role)).map_err(transition_error)?;
    // Read under the customer's row lock: what is owed at the moment of closing.
    let unsettled = match target {
        AccountStatus::Closed => crate::bills::unsettled::of_customer(&txn, id).await?,
        _ => Unsettled::default(),
    };
    check_close(unsettled, force).map_err(|e| AppError::conflict("UNSETTLED_BILLS", e.to_string()))?;
    let after = move_status(&txn, &actor, &before, target, reason).await?;
    let mut queued = 0;
    if let Some(context) = &notifications {
        queued = crate::notify::outbox::customers_suspended(
            &txn,
            state,
            context,
            &[(after.clone(), None)],
            crate::calendar::business_today(),
        )
        .await?;
    }
    if unsettled.bills > 0 {
        audit::record(
            &txn,
            &actor,
            Entry {
                action: "customer.close_forced",
                entity_type: "customer",
                entity_id: Some(id.to_string()),
                changes: Some(serde_json::json!({
                    "unsettled_bills": unsettled.bills,
                    "outstanding": unsettled.outstanding,
                    "reason": reason,
                })),
            },
        )
        .await?;
    }
    txn.commit().await?;
    if queued > 0 {
        state.notify_wake.notify_one();
    }
    Ok(after)
}

/// The automatic lifecycle (arrears, suspension, reactivation) for one
/// customer; the last status it moved to, if any. See
/// [`apply_automatic_statuses`].
pub async fn apply_automatic_status(
    state: &AppState,
    customer_id: i64,
    today: chrono::NaiveDate,
    suspend_after_days: i64,
) -> AppResult<Option<AccountStatus>> {
    let moves = apply_automatic_statuses(state, &[customer_id], today, suspend_after_days).await?;
    Ok(moves.last().map(|(_, to)| *to))
}

/// The automatic lifecycle for a batch of customers (`receivables.daily`
/// works in batches): one transaction, the customers' rows locked first and
/// their oldest overdue bills read under the locks, so a receipt booked a
/// moment ago counts. An account may move twice at once (正式 → 欠费 → 暂停
/// when a bill is long overdue). Every move is recorded with actor `system`
/// and its reason; returns the moves in order.
pub async fn apply_automatic_statuses(
    state: &AppState,
    customer_ids: &[i64],
    today: chrono::NaiveDate,
    suspend_after_days: i64,
) -> AppResult<Vec<(i64, AccountStatus)>> {
    let actor = Actor::system();
    let notifications = crate::notify::outbox::Context::load(state).await?;
    let txn = begin_write(&state.db).await?;
    let rows = customer::Entity::find()
        .filter(customer::Column::Id.is_in(customer_ids.iter().copied()))
        .filter(customer::Column::IsDeleted.eq(false))
        .order_by_asc(customer::Column::Id)
        .lock_exclusive()
        .all(&txn)
        .await?;
    let overdue = crate::bills::unsettled::oldest_overdue_of(&txn, customer_ids, today).await?;
    let now = Utc::now();
    // History is stamped on the business clock: lost customers count by it.
    let at = crate::calendar::business_instant();
    let mut moves = Vec::new();
    let mut history = Vec::new();
    let mut entries = Vec::new();
    // The final status of each customer that moves, for one UPDATE per status.
    let mut finals: HashMap<AccountStatus, Vec<i64>> = HashMap::new();
    let mut suspended = Vec::new();
    for row in rows {
        let days = overdue
            .get(&row.id)
            .map(|due| today.signed_duration_since(*due).num_days());
        let mut status = status_of(&row);
        while let Some(target) = automatic_target(status, days, suspend_after_days) {
            let reason = automatic_reason(target, days);
            history.push(history_row(&actor, row.id, Some(status), target, &reason, at));
            entries.push(status_entry(row.id, status, target, &reason));
            moves.push((row.id, target));
            status = target;
        }
        if status != status_of(&row) {
            finals.entry(status).or_default().push(row.id);
            if status == AccountStatus::Suspended {
                suspended.push((row.clone(), days));
            }
        }
    }
    for (status, ids) in finals {
        customer::Entity::update_many()
            .col_expr(customer::Column::AccountStatus, Expr::value(status.code()))
            .col_expr(customer::Column::Version, Expr::col(customer::Column::Version).add(1))
            .col_expr(customer::Column::UpdatedAt, Expr::value(now))
            .col_expr(customer::Column::UpdatedBy, Expr::value(Option::<i64>::None))
            .filter(customer::Column::Id.is_in(ids))
            .exec(&txn)
            .await?;
    }
    crate::db::bulk::insert(&txn, history).await?;
    audit::record_many(&txn, &actor, entries).await?;
    let queued = match &notifications {
        Some(context) => crate::notify::outbox::customers_suspended(&txn, state, context, &suspended, today).await?,
        None => 0,
    };
    txn.commit().await?;
    if queued > 0 {
        state.notify_wake.notify_one();
    }
    Ok(moves)
}

/// A customer's status moves, newest first: in the order they were made
/// (their stamps are business time, which a test clock may set back).
pub async fn status_history(db: &impl ConnectionTrait, customer_id: i64) -> AppResult<Vec<status_history::Model>> {
    Ok(status_history::Entity::find()
        .filter(status_history::Column::CustomerId.eq(customer_id))
        .order_by_desc(status_history::Column::Id)
        .all(db)
        .await?)
}
