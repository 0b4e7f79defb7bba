//! The notification log: the list with its filters, and a person's resend
//! of a failed notification.

use chrono::{DateTime, NaiveDate, Utc};
use opcms_domain::DataScope;
use opcms_domain::notify::{Channel, Event, Status};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::entity::notification;
use crate::audit::{self, Actor, Entry};
use crate::customers::model::CustomerRef;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::http::pagination::PageRequest;
use crate::state::AppState;
use crate::users::UserRef;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    pub id: i64,
    pub event: Event,
    pub channel: Channel,
    pub status: Status,
    #[schema(required = true)]
    pub recipient: Option<String>,
    #[schema(required = true)]
    pub customer: Option<CustomerRef>,
    /// The staff recipient of a digest.
    #[schema(required = true)]
    pub user: Option<UserRef>,
    #[schema(required = true)]
    pub bill_id: Option<i64>,
    #[schema(required = true)]
    pub bill_no: Option<String>,
    /// The overdue day of a reminder (7 for the day-7 reminder).
    #[schema(required = true)]
    pub stage: Option<u32>,
    #[schema(required = true)]
    pub subject: Option<String>,
    pub body: String,
    pub attempts: i32,
    #[schema(required = true)]
    pub last_error: Option<String>,
    /// When a queued row is tried (again).
    #[schema(required = true)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    #[schema(required = true)]
    pub sent_at: Option<DateTime<Utc>>,
    /// Whether the attachment that went out (the bill PDF) is kept in file
    /// storage: `GET /notifications/{id}/attachment`.
    pub attachment_kept: bool,
    /// Its file name (`B202610-000001.pdf`) when kept.
    #[schema(required = true)]
    pub attachment_name: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// `bill.issued`, `bill.overdue`, …
    pub event: Option<String>,
    /// `email` | `sms`
    pub channel: Option<String>,
    /// `queued` | `sending` | `sent` | `failed` | `skipped`
    pub status: Option<String>,
    pub customer_id: Option<i64>,
    /// Written on or after this day.
    pub from: Option<NaiveDate>,
    /// Written on or before this day.
    pub to: Option<NaiveDate>,
}

/// Which channels a customer receives (true: receives).
fn bad_filter(field: &'static str, message: &str) -> AppError {
    AppError::field(field, "INVALID_FILTER", message.to_string())
}

fn filter_condition(query: &NotificationQuery) -> AppResult<Condition> {
    let mut condition = Condition::all();
    if let Some(event) = query.event.as_deref().filter(|s| !s.is_empty()) {
        let event = Event::parse(event).ok_or_else(|| bad_filter("event", "未知的通知事件"))?;
        condition = condition.add(notification::Column::Event.eq(event.code()));
    }
    if let Some(channel) = query.channel.as_deref().filter(|s| !s.is_empty()) {
        let channel = Channel::parse(channel).ok_or_else(|| bad_filter("channel", "渠道须为 email 或 sms"))?;
        condition = condition.add(notification::Column::Channel.eq(channel.code()));
    }
    if let Some(status) = query.status.as_deref().filter(|s| !s.is_empty()) {
        let status = Status::parse(status)
            .ok_or_else(|| bad_filter("status", "状态须为 queued、sending、sent、failed 或 skipped"))?;
        condition = condition.add(notification::Column::Status.eq(status.code()));
    }
    if let Some(id) = query.customer_id {
        condition = condition.add(notification::Column::CustomerId.eq(id));
    }
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(bad_filter("from", "开始日期不能晚于结束日期"));
    }
    let china = crate::calendar::china();
    let start_of = |day: NaiveDate| {
        day.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(china).single())
            .map(|t| t.to_utc())
    };
    if let Some(from) = query.from.and_then(start_of) {
        condition = condition.add(notification::Column::CreatedAt.gte(from));
    }
    if let Some(to) = query.to.and_then(|d| d.succ_opt()).and_then(start_of) {
        condition = condition.add(notification::Column::CreatedAt.lt(to));
    }
    Ok(condition)
}

/// A page of the log, newest first, within `scope`.
pub async fn list(
    state: &AppState,
    scope: &DataScope,
    query: &NotificationQuery,
    page: PageRequest,
) -> AppResult<(Vec<NotificationView>, u64)> {
    let mut condition = filter_condition(query)?;
    if let Some(owners) = scope.owners() {
        // Sales sees its own customers' notifications only.
        let owned: Vec<i64> = crate::customers::entity::customer::Entity::find()
            .select_only()
            .column(crate::customers::entity::customer::Column::Id)
            .filter(crate::customers::entity::customer::Column::SalesOwnerId.is_in(owners.iter().copied()))
            .into_tuple()
            .all(&state.db)
            .await?;
        condition = condition.add(notification::Column::CustomerId.is_in(owned));
    }
    let select = notification::Entity::find().filter(condition);
    let total = select.clone().count(&state.db).await?;
    let rows = select
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&state.db)
        .await?;
    Ok((views(state, rows).await?, total))
}

async fn views(state: &AppState, rows: Vec<notification::Model>) -> AppResult<Vec<NotificationView>> {
    let customers = crate::customers::service::refs(&state.db, rows.iter().filter_map(|r| r.customer_id)).await?;
    let bill_ids: Vec<i64> = rows.iter().filter_map(|r| r.bill_id).collect();
    let bill_nos: std::collections::HashMap<i64, String> = if bill_ids.is_empty() {
        Default::default()
    } else {
        crate::bills::entity::bill::Entity::find()
            .select_only()
            .column(crate::bills::entity::bill::Column::Id)
            .column(crate::bills::entity::bill::Column::BillNo)
            .filter(crate::bills::entity::bill::Column::Id.is_in(bill_ids))
            .into_tuple::<(i64, String)>()
            .all(&state.db)
            .await?
            .into_iter()
            .collect()
    };
    let user_ids: Vec<i64> = rows.iter().filter_map(|r| r.user_id).collect();
    let names = crate::users::service::display_names(&state.db, user_ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| NotificationView {
            id: row.id,
            event: Event::parse(&row.event).unwrap_or(Event::BillIssued),
            channel: Channel::parse(&row.channel).unwrap_or(Channel::Email),
            status: Status::parse(&row.status).unwrap_or(Status::Failed),
            recipient: row.recipient_masked,
            customer: row.customer_id.and_then(|id| customers.get(&id).cloned()),
            user: row.user_id.map(|id| UserRef::named(id, &names)),
            bill_id: row.bill_id,
            bill_no: row.bill_id.and_then(|id| bill_nos.get(&id).cloned()),
            stage: match Event::parse(&row.event) {
                Some(Event::BillOverdue) => row.stage.as_deref().and_then(|s| s.parse().ok()),
                _ => None,
            },
            subject: row.subject,
            body: row.body,
            attempts: row.attempts,
            last_error: row.last_error,
            next_attempt_at: (row.status == Status::Queued.code()).then_some(row.next_attempt_at),
            created_at: row.created_at,
            sent_at: row.sent_at,
            attachment_kept: row.attachment_name.is_some() && row.attachment_size.is_some(),
            attachment_name: row.attachment_name.filter(|_| row.attachment_size.is_some()),
        })
        .collect())
}

/// Queues a failed notification again (a person's decision, audited). Its
/// attempts start over.
pub async fn resend(state: &AppState, actor: &Actor, id: i64) -> AppResult<NotificationView> {
    let txn = begin_write(&state.db).await?;
    let row = notification::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound {
            message: "通知不存在".into(),
        })?;
    if row.status != Status::Failed.code() {
        return Err(AppError::conflict("NOT_RESENDABLE", "只有发送失败的通知可以重新发送"));
    }
    if row.recipient_enc.is_none() {
        return Err(AppError::conflict(
            "NOT_RESENDABLE",
            "这条通知没有收件地址，无法重新发送",
        ));
    }
    let now = state.clock.now();
    let mut active: notification::ActiveModel = row.clone().into();
    active.status = Set(Status::Queued.code().into());
    active.attempts = Set(0);
    active.next_attempt_at = Set(now);
    active.holder = Set(None);
    active.lease_until = Set(None);
    active.updated_at = Set(now);
    let queued = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Entry {
            action: "notification.resend",
            entity_type: "notification",
            entity_id: Some(id.to_string()),
            changes: Some(json!({"status": {"before": row.status, "after": "queued"}, "last_error": row.last_error})),
        },
    )
    .await?;
    txn.commit().await?;
    // The answer is the row as queued here: the sender, woken, may already
    // be sending it by the time a read would see it.
    let mut views = views(state, vec![queued]).await?;
    state.notify_wake.notify_one();
    views
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("notification {id} vanished")))
}
