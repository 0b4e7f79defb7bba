//! Quarantine (异常数据): listing what could not be accepted, and a
//! person's resolution of it: map the account to a customer, correct the
//! values, accept an over-limit value as real, or discard with a reason.
//! A record mapped, corrected or accepted is checked again by the same
//! rules and, when it passes, written to usage like any delivery.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::Utc;
use opcms_domain::usage::{DayWindow, QuarantineReason, RawUsage, RawValue};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};

use super::entity::{account_link, quarantine};
use super::model::{
    Action, QuarantinePage, QuarantineQuery, QuarantineView, ResolveInput, ResolveItem, ResolveResult, Target,
};
use super::query::{CustomerLabel, customer_labels};
use super::source::{CustomerRef, Incoming};
use super::store::{self, Delivery, Outcome};
use crate::audit::{self, Actor};
use crate::db::like_contains;
use crate::error::{AppError, AppResult};
use crate::http::pagination::PageRequest;
use crate::state::AppState;
use crate::users::{UserRef, display_names};

/// Most entries one bulk resolution may name.
pub const MAX_BULK: usize = 500;

/// Most entries one resolution by filter may cover.
pub const MAX_FILTER_BULK: u64 = 10_000;

/// The list's filter as a condition (status, reason, source, text).
fn filtered(query: &QuarantineQuery) -> AppResult<sea_orm::Select<quarantine::Entity>> {
    let mut find = quarantine::Entity::find();
    match query.status.as_deref().unwrap_or("all") {
        "all" | "" => {}
        status @ ("pending" | "resolved" | "discarded") => {
            find = find.filter(quarantine::Column::Status.eq(status));
        }
        _ => {
            return Err(AppError::field(
                "status",
                "INVALID_CHOICE",
                "状态须为 pending、resolved、discarded 或 all",
            ));
        }
    }
    if let Some(reason) = query.reason.as_deref().filter(|r| !r.is_empty()) {
        let reason = QuarantineReason::parse(reason)
            .ok_or_else(|| AppError::field("reason", "INVALID_CHOICE", "未知的异常原因"))?;
        find = find.filter(quarantine::Column::Reason.eq(reason.code()));
    }
    if let Some(source) = query.source.as_deref().filter(|s| !s.is_empty()) {
        find = find.filter(quarantine::Column::Source.eq(source));
    }
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        find = find.filter(
            Condition::any()
                .add(quarantine::Column::AccountId.like(like_contains(q)))
                .add(quarantine::Column::Message.like(like_contains(q))),
        );
    }
    Ok(find)
}

pub async fn list(db: &DatabaseConnection, query: &QuarantineQuery, page: PageRequest) -> AppResult<QuarantinePage> {
    let find = filtered(query)?;
    let total = find.clone().count(db).await?;
    let rows = find
        .order_by_desc(quarantine::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    let pending: Vec<(String, i64)> = quarantine::Entity::find()
        .select_only()
        .column(quarantine::Column::Reason)
        .column_as(quarantine::Column::Id.count(), "n")
        .filter(quarantine::Column::Status.eq("pending"))
        .group_by(quarantine::Column::Reason)
        .into_tuple()
        .all(db)
        .await?;
    Ok(QuarantinePage {
        items: views(db, rows).await?,
        total,
        page: page.page,
        page_size: page.page_size,
        pending_by_reason: pending.into_iter().map(|(r, n)| (r, n as u64)).collect(),
    })
}

async fn views(db: &impl ConnectionTrait, rows: Vec<quarantine::Model>) -> AppResult<Vec<QuarantineView>> {
    let customers = customer_labels(db, rows.iter().filter_map(|r| r.customer_id)).await?;
    let names = display_names(db, rows.iter().filter_map(|r| r.resolved_by)).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let label = r.customer_id.and_then(|id| customers.get(&id));
            QuarantineView {
                id: r.id,
                source: r.source,
                source_id: r.source_id,
                reason: r.reason,
                message: r.message,
                account_id: r.account_id,
                customer_id: r.customer_id,
                customer_code: label.map(|l: &CustomerLabel| l.code.clone()),
                company_name: label.map(|l| l.name.clone()),
                series: r.series,
                day: r.day,
                quantity: r.quantity,
                raw: serde_json::from_str(&r.raw).unwrap_or(Value::Null),
                status: r.status,
                occurrences: r.occurrences,
                run_id: r.run_id,
                created_at: r.created_at,
                updated_at: r.updated_at,
                resolved_at: r.resolved_at,
                resolved_by: r.resolved_by.map(|id| UserRef::named(id, &names)),
                resolution: r.resolution,
                resolution_note: r.resolution_note,
                usage_record_id: r.usage_record_id,
            }
        })
        .collect())
}

pub async fn resolve(state: &AppState, actor: &Actor, target: Target, input: ResolveInput) -> AppResult<ResolveResult> {
    let by_filter = match &target {
        Target::Ids(ids) => {
            let distinct: BTreeSet<i64> = ids.iter().copied().collect();
            if distinct.is_empty() || distinct.len() > MAX_BULK {
                return Err(AppError::field(
                    "ids",
                    "OUT_OF_RANGE",
                    format!("一次须处理 1 到 {MAX_BULK} 条异常数据"),
                ));
            }
            None
        }
        Target::Filter(filter) => {
            if filter
                .status
                .as_deref()
                .is_some_and(|s| !s.is_empty() && s != "pending")
            {
                return Err(AppError::field(
                    "filter.status",
                    "INVALID_CHOICE",
                    "只能批量处理待处理（pending）的异常数据",
                ));
            }
            Some(QuarantineQuery {
                status: Some("pending".into()),
                reason: filter.reason.clone(),
                source: filter.source.clone(),
                q: filter.q.clone(),
            })
        }
    };
    // A bad filter is a 400 before anything is locked.
    if let Some(query) = &by_filter {
        filtered(query)?;
    }
    let note = input.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 200) {
        return Err(AppError::field("note", "TOO_LONG", "说明不能超过 200 个字符"));
    }
    if input.action == Action::Discard && note.is_none() {
        return Err(AppError::field("note", "REQUIRED", "丢弃异常数据须填写原因"));
    }
    // The sources to lock come from the entries (and, for a mapping, from
    // other entries of the same accounts): read them, lock, read again.
    let sources: Vec<String> = quarantine::Entity::find()
        .select_only()
        .column(quarantine::Column::Source)
        .distinct()
        .into_tuple()
        .all(&state.db)
        .await?;
    let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
    let txn = store::begin(&state.db, &sources).await?;
    let mut rows = match (&target, &by_filter) {
        (_, Some(query)) => {
            let find = filtered(query)?;
            let matched = find.clone().count(&txn).await?;
            if matched > MAX_FILTER_BULK {
                return Err(AppError::field(
                    "filter",
                    "TOO_MANY",
                    format!("筛选条件匹配 {matched} 条，一次最多处理 {MAX_FILTER_BULK} 条，请缩小筛选范围"),
                ));
            }
            if matched == 0 {
                txn.rollback().await?;
                return Ok(ResolveResult {
                    matched: 0,
                    resolved: 0,
                    still_pending: 0,
                    items: Vec::new(),
                    results: Vec::new(),
                });
            }
            find.order_by_asc(quarantine::Column::Id).all(&txn).await?
        }
        (Target::Ids(ids), None) => {
            let ids: BTreeSet<i64> = ids.iter().copied().collect();
            let rows = quarantine::Entity::find()
                .filter(quarantine::Column::Id.is_in(ids.iter().copied()))
                .all(&txn)
                .await?;
            if rows.len() != ids.len() {
                return Err(AppError::not_found("异常数据"));
            }
            if let Some(done) = rows.iter().find(|r| r.status != "pending") {
                return Err(AppError::conflict(
                    "ALREADY_RESOLVED",
                    format!("异常数据 #{} 已处理，不能重复处理", done.id),
                ));
            }
            rows
        }
        (Target::Filter(_), None) => return Err(anyhow::anyhow!("a filter target without its query").into()),
    };
    let matched = rows.len() as u32;
    let now = Utc::now();
    let mut audit_entries = Vec::new();
    let outcomes: HashMap<i64, Outcome> = match input.action {
        Action::Discard => HashMap::new(),
        Action::MapAccount => {
            let customer_id = input
                .customer_id
                .ok_or_else(|| AppError::field("customer_id", "REQUIRED", "请选择要关联的客户"))?;
            require_live_customer(&txn, customer_id).await?;
            let accounts: BTreeSet<String> = rows.iter().filter_map(|r| r.account_id.clone()).collect();
            if accounts.len() != rows.len() && rows.iter().any(|r| r.account_id.is_none()) {
                return Err(AppError::field(
                    "action",
                    "NO_ACCOUNT",
                    "所选记录中有没有平台账号的记录，请改用「更正」指定客户",
                ));
            }
            for account in &accounts {
                link_account(&txn, actor, account, customer_id, now).await?;
                audit_entries.push(audit::Entry {
                    action: "usage.account.link",
                    entity_type: "usage_account_link",
                    entity_id: Some(account.clone()),
                    changes: Some(json!({"customer_id": {"before": null, "after": customer_id}})),
                });
            }
            // Every other pending record of those accounts resolves too.
            let listed: BTreeSet<i64> = rows.iter().map(|r| r.id).collect();
            let siblings = quarantine::Entity::find()
                .filter(quarantine::Column::Status.eq("pending"))
                .filter(quarantine::Column::AccountId.is_in(accounts.iter().cloned()))
                .all(&txn)
                .await?;
            rows.extend(siblings.into_iter().filter(|r| !listed.contains(&r.id)));
            recheck(state, &txn, actor, &rows, &input, note).await?
        }
        Action::Correct => {
            if input.customer_id.is_none() && input.series.is_none() && input.day.is_none() && input.quantity.is_none()
            {
                return Err(AppError::field(
                    "quantity",
                    "REQUIRED",
                    "请填写要更正的客户、系列、日期或用量",
                ));
            }
            if let Some(id) = input.customer_id {
                require_live_customer(&txn, id).await?;
            }
            recheck(state, &txn, actor, &rows, &input, note).await?
        }
        Action::Accept => {
            if let Some(other) = rows
                .iter()
                .find(|r| !QuarantineReason::parse(&r.reason).is_some_and(QuarantineReason::acceptable))
            {
                return Err(AppError::field(
                    "action",
                    "NOT_OVER_LIMIT",
                    format!(
                        "异常数据 #{} 不是「超出合理上限」或「已有其他来源的记录」，只能更正或丢弃",
                        other.id
                    ),
                ));
            }
            recheck(state, &txn, actor, &rows, &input, note).await?
        }
    };

    let mut resolved = 0;
    let mut still_pending = 0;
    let mut results = Vec::with_capacity(rows.len());
    if input.action == Action::Discard {
        // One statement per chunk: every entry gets the same values.
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        for chunk in ids.chunks(500) {
            quarantine::Entity::update_many()
                .col_expr(quarantine::Column::Status, Expr::value("discarded"))
                .col_expr(
                    quarantine::Column::Resolution,
                    Expr::value(Action::Discard.resolution()),
                )
                .col_expr(
                    quarantine::Column::ResolutionNote,
                    Expr::value(note.map(str::to_string)),
                )
                .col_expr(quarantine::Column::ResolvedAt, Expr::value(now))
                .col_expr(quarantine::Column::ResolvedBy, Expr::value(actor.user_id))
                .col_expr(quarantine::Column::UpdatedAt, Expr::value(now))
                .filter(quarantine::Column::Id.is_in(chunk.to_vec()))
                .filter(quarantine::Column::Status.eq("pending"))
                .exec(&txn)
                .await?;
        }
    }
    for row in &rows {
        let outcome = outcomes.get(&row.id);
        let record_id = outcome.and_then(Outcome::record_id);
        let status = match (input.action, record_id) {
            (Action::Discard, _) => "discarded",
            (_, Some(_)) => "resolved",
            (_, None) => {
                still_pending += 1;
                results.push(ResolveItem {
                    id: row.id,
                    status: "pending",
                    usage_record_id: None,
                    reason: match outcome {
                        Some(Outcome::Quarantined { reason, .. }) => Some(reason.code().to_string()),
                        _ => Some(row.reason.clone()),
                    },
                });
                continue;
            }
        };
        resolved += 1;
        results.push(ResolveItem {
            id: row.id,
            status,
            usage_record_id: record_id,
            reason: None,
        });
        audit_entries.push(audit::Entry {
            action: "usage.quarantine.resolve",
            entity_type: "usage_quarantine",
            entity_id: Some(row.id.to_string()),
            changes: Some(json!({
                "status": {"before": "pending", "after": status},
                "resolution": {"before": null, "after": input.action.resolution()},
                "note": {"before": null, "after": note},
                "usage_record_id": {"before": null, "after": record_id},
            })),
        });
        if input.action == Action::Discard {
            continue;
        }
        quarantine::Entity::update_many()
            .col_expr(quarantine::Column::Status, Expr::value(status))
            .col_expr(quarantine::Column::Resolution, Expr::value(input.action.resolution()))
            .col_expr(
                quarantine::Column::ResolutionNote,
                Expr::value(note.map(str::to_string)),
            )
            .col_expr(quarantine::Column::ResolvedAt, Expr::value(now))
            .col_expr(quarantine::Column::ResolvedBy, Expr::value(actor.user_id))
            .col_expr(quarantine::Column::UsageRecordId, Expr::value(record_id))
            .col_expr(quarantine::Column::UpdatedAt, Expr::value(now))
            .filter(quarantine::Column::Id.eq(row.id))
            .exec(&txn)
            .await?;
    }
    audit::record_many(&txn, actor, audit_entries).await?;
    let items = if by_filter.is_some() {
        Vec::new()
    } else {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let fresh = quarantine::Entity::find()
            .filter(quarantine::Column::Id.is_in(ids))
            .order_by_asc(quarantine::Column::Id)
            .all(&txn)
            .await?;
        views(&txn, fresh).await?
    };
    txn.commit().await?;
    results.sort_by_key(|r| r.id);
    Ok(ResolveResult {
        matched,
        resolved,
        still_pending,
        items,
        results,
    })
}

async fn require_live_customer(db: &impl ConnectionTrait, id: i64) -> AppResult<()> {
    if customer_labels(db, [id]).await?.contains_key(&id) {
        Ok(())
    } else {
        Err(AppError::field("customer_id", "NOT_FOUND", "客户不存在或已删除"))
    }
}

async fn link_account(
    db: &impl ConnectionTrait,
    actor: &Actor,
    account: &str,
    customer_id: i64,
    now: chrono::DateTime<Utc>,
) -> AppResult<()> {
    account_link::Entity::insert(account_link::ActiveModel {
        account_id: Set(account.to_string()),
        customer_id: Set(customer_id),
        created_at: Set(now),
        created_by: Set(actor.user_id),
    })
    .on_conflict(
        OnConflict::column(account_link::Column::AccountId)
            .update_columns([
                account_link::Column::CustomerId,
                account_link::Column::CreatedAt,
                account_link::Column::CreatedBy,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Checks the entries again with the person's corrections, source by source,
/// through the one write path. Answers each entry's outcome.
async fn recheck(
    state: &AppState,
    db: &impl ConnectionTrait,
    actor: &Actor,
    rows: &[quarantine::Model],
    input: &ResolveInput,
    note: Option<&str>,
) -> AppResult<HashMap<i64, Outcome>> {
    let today = crate::calendar::business_today();
    let mut by_source: BTreeMap<&str, Vec<&quarantine::Model>> = BTreeMap::new();
    for row in rows {
        by_source.entry(row.source.as_str()).or_default().push(row);
    }
    let limits = crate::settings::load(&state.db).await?.sanity_limits();
    let mut outcomes = HashMap::new();
    for (source, rows) in by_source {
        let incoming: Vec<Incoming> = rows.iter().map(|row| corrected(row, input)).collect();
        let delivery = Delivery {
            source,
            window: DayWindow::NotAfter(today),
            limits,
            cause: "quarantine",
            reason: note,
            run_id: None,
            actor,
            context: json!({"quarantine_action": input.action.resolution()}),
            on_existing: store::OnExisting::Add,
            discard_closed: false,
        };
        let results = store::write(db, &delivery, &incoming).await?;
        outcomes.extend(rows.iter().map(|r| r.id).zip(results));
    }
    Ok(outcomes)
}

/// The entry as a delivery again, with what the person changed.
fn corrected(row: &quarantine::Model, input: &ResolveInput) -> Incoming {
    let is_correct = input.action == Action::Correct;
    let pick = |given: &Option<String>, stored: &Option<String>| -> RawValue {
        match given {
            Some(value) if is_correct => RawValue::text(value.clone()),
            _ => stored.clone().map_or(RawValue::Missing, RawValue::text),
        }
    };
    let customer = match (input.customer_id, row.customer_id, &row.account_id) {
        (Some(id), _, _) if is_correct => CustomerRef::Id(id),
        (_, Some(id), _) => CustomerRef::Id(id),
        (_, None, Some(account)) => CustomerRef::Account(account.clone()),
        (_, None, None) => CustomerRef::None,
    };
    Incoming {
        customer,
        raw: RawUsage {
            series: pick(&input.series, &row.series),
            day: pick(&input.day, &row.day),
            quantity: pick(&input.quantity, &row.quantity),
        },
        source_id: row.source_id.clone(),
        original: serde_json::from_str(&row.raw).unwrap_or(Value::Null),
        limit_confirmed: input.action == Action::Accept,
        quarantine_key: Some(row.source_key.clone()),
    }
}
