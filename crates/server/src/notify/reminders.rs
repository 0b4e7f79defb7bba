//! What `receivables.daily` queues: the overdue reminders at the days of
//! `reminder_days`, and the staff digests (each sales owner's overdue list
//! on Mondays; quarantine and failed jobs to operations every day).
//! Re-running a day writes nothing new: every row's key is already there.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate, Weekday};
use opcms_domain::Role;
use opcms_domain::notify::{Channel, Event, overdue_stage};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use super::outbox::{Context, Outgoing, bill_notifications, existing_keys, queue};
use super::values::amount;
use crate::bills::entity::bill;
use crate::customers::entity::customer;
use crate::db::begin_write;
use crate::error::AppResult;
use crate::jobs::entity::job_run;
use crate::state::AppState;
use crate::usage::entity::quarantine;
use crate::users::entity as user;
use crate::users::service::contact_binding;

/// Bills per transaction.
const BATCH: usize = 500;
/// Lines of a digest's list; the rest is counted.
const DIGEST_LINES: usize = 50;

/// A failed job run: job, period, error, and when it is retried (if it is).
type FailedRun = (String, String, Option<String>, Option<chrono::DateTime<chrono::Utc>>);

/// What one day's reminders wrote.
#[derive(Debug, Default)]
pub struct Queued {
    pub overdue: u64,
    pub digests: u64,
}

pub async fn daily(state: &AppState, today: NaiveDate) -> AppResult<Queued> {
    let Some(context) = Context::load(state).await? else {
        return Ok(Queued::default());
    };
    let overdue = overdue_reminders(state, &context, today).await?;
    let digests = staff_digests(state, &context, today).await?;
    if overdue + digests > 0 {
        state.notify_wake.notify_one();
    }
    Ok(Queued { overdue, digests })
}

/// One reminder per channel for each open bill that reached a reminder
/// stage today (or earlier and was not reminded at that stage yet).
async fn overdue_reminders(state: &AppState, context: &Context, today: NaiveDate) -> AppResult<u64> {
    let channels = context.channels_for(Event::BillOverdue);
    let days = &context.settings.reminder_days;
    let Some(first) = days.iter().min() else {
        return Ok(0);
    };
    if channels.is_empty() {
        return Ok(0);
    }
    let latest_due = today - chrono::Duration::days(i64::from(*first));
    let open: Vec<(i64, NaiveDate)> = bill::Entity::find()
        .select_only()
        .column(bill::Column::Id)
        .column(bill::Column::DueDate)
        .filter(bill::is_open())
        .filter(bill::Column::DueDate.lte(latest_due))
        .order_by_asc(bill::Column::Id)
        .into_tuple::<(i64, Option<NaiveDate>)>()
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(|(id, due)| due.map(|due| (id, due)))
        .collect();
    let mut written = 0;
    for chunk in open.chunks(BATCH) {
        // The stage each bill is at, and only those whose reminder is not written yet.
        let staged: HashMap<i64, u32> = chunk
            .iter()
            .filter_map(|(id, due)| overdue_stage((today - *due).num_days(), days).map(|stage| (*id, stage)))
            .collect();
        let keyed: Vec<(i64, Vec<String>)> = staged
            .iter()
            .map(|(id, stage)| {
                let keys = channels
                    .iter()
                    .map(|channel| {
                        opcms_domain::notify::dedupe_key(
                            Event::BillOverdue,
                            &format!("bill:{id}"),
                            &stage.to_string(),
                            *channel,
                        )
                    })
                    .collect();
                (*id, keys)
            })
            .collect();
        let all_keys: Vec<String> = keyed.iter().flat_map(|(_, keys)| keys.iter().cloned()).collect();
        let existing = existing_keys(&state.db, &all_keys).await?;
        let pending: Vec<i64> = keyed
            .into_iter()
            .filter(|(_, keys)| keys.iter().any(|key| !existing.contains(key)))
            .map(|(id, _)| id)
            .collect();
        if pending.is_empty() {
            continue;
        }
        let txn = begin_write(&state.db).await?;
        // Read in the transaction: a receipt booked a moment ago counts.
        let bills = bill::Entity::find()
            .filter(bill::Column::Id.is_in(pending))
            .filter(bill::is_open())
            .all(&txn)
            .await?;
        let mut items = Vec::new();
        for (stage, group) in group_by_stage(bills, &staged) {
            items.extend(
                bill_notifications(
                    &txn,
                    state,
                    context,
                    Event::BillOverdue,
                    &stage.to_string(),
                    group,
                    today,
                )
                .await?,
            );
        }
        written += queue(&txn, &state.keyring, &state.clock, &context.templates, items).await?;
        txn.commit().await?;
    }
    Ok(written)
}

fn group_by_stage(bills: Vec<bill::Model>, staged: &HashMap<i64, u32>) -> BTreeMap<u32, Vec<bill::Model>> {
    let mut groups: BTreeMap<u32, Vec<bill::Model>> = BTreeMap::new();
    for row in bills {
        if let Some(stage) = staged.get(&row.id) {
            groups.entry(*stage).or_default().push(row);
        }
    }
    groups
}

/// Active staff of a role, with their addresses.
async fn staff(state: &AppState, role: Role) -> AppResult<Vec<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(role.code()))
        .filter(user::Column::Status.eq("active"))
        .filter(user::Column::IsDeleted.eq(false))
        .order_by_asc(user::Column::Id)
        .all(&state.db)
        .await?)
}

/// A staff member's address for `channel`, or why there is none.
fn staff_recipient(state: &AppState, row: &user::Model, channel: Channel) -> Result<String, String> {
    let (sealed, binding, missing) = match channel {
        Channel::Email => (
            &row.email_enc,
            contact_binding("email_enc", &row.username),
            "员工未填写邮箱",
        ),
        Channel::Sms => (
            &row.phone_enc,
            contact_binding("phone_enc", &row.username),
            "员工未填写手机号",
        ),
    };
    let sealed = sealed.as_ref().ok_or_else(|| missing.to_string())?;
    state
        .keyring
        .decrypt(&binding, sealed)
        .map_err(|_| "员工联系方式无法解密".to_string())
}

fn digest_items(
    event: Event,
    channels: &[Channel],
    state: &AppState,
    user: &user::Model,
    stage: &str,
    values: BTreeMap<&'static str, String>,
) -> Vec<Outgoing> {
    channels
        .iter()
        .map(|channel| Outgoing {
            event,
            channel: *channel,
            customer_id: None,
            bill_id: None,
            user_id: Some(user.id),
            about: format!("user:{}", user.id),
            stage: stage.to_string(),
            recipient: staff_recipient(state, user, *channel),
            values: values.clone(),
        })
        .collect()
}

async fn staff_digests(state: &AppState, context: &Context, today: NaiveDate) -> AppResult<u64> {
    let channels = context.channels_for(Event::SalesDigest).to_vec();
    if channels.is_empty() {
        return Ok(0);
    }
    let mut items = Vec::new();
    let company = context.settings.company.name.clone();
    let date = today.to_string();
    // Sales: weekly, on Mondays, the overdue bills of their customers.
    if today.weekday() == Weekday::Mon {
        let week = today.iso_week();
        let stage = format!("{}-W{:02}", week.year(), week.week());
        for user in staff(state, Role::Sales).await? {
            let overdue = overdue_of_owner(&state.db, user.id, today).await?;
            if overdue.is_empty() {
                continue;
            }
            let total: i64 = overdue.iter().map(|(_, _, _, outstanding, _)| outstanding).sum();
            let mut lines: Vec<String> = overdue
                .iter()
                .take(DIGEST_LINES)
                .map(|(code, name, bill_no, outstanding, days)| {
                    format!(
                        "{code} {name} {bill_no} 未付 {} 元，逾期 {days} 天",
                        amount(*outstanding)
                    )
                })
                .collect();
            if overdue.len() > DIGEST_LINES {
                lines.push(format!("……另有 {} 张，请登录系统查看", overdue.len() - DIGEST_LINES));
            }
            let values = BTreeMap::from([
                ("user_name", user.display_name.clone()),
                ("date", date.clone()),
                ("count", overdue.len().to_string()),
                ("outstanding", amount(total)),
                ("items", lines.join("\n")),
                ("company_name", company.clone()),
            ]);
            items.extend(digest_items(
                Event::SalesDigest,
                &channels,
                state,
                &user,
                &stage,
                values,
            ));
        }
    }
    // Operations: daily, when something waits for them.
    let pending = quarantine::Entity::find()
        .filter(quarantine::Column::Status.eq("pending"))
        .count(&state.db)
        .await?;
    // Every failed run, whether it will be retried or has given up.
    let failed: Vec<FailedRun> = job_run::Entity::find()
        .select_only()
        .column(job_run::Column::Job)
        .column(job_run::Column::PeriodKey)
        .column(job_run::Column::Error)
        .column(job_run::Column::NextAttemptAt)
        .filter(job_run::Column::Status.eq("failed"))
        .order_by_desc(job_run::Column::StartedAt)
        .limit(DIGEST_LINES as u64)
        .into_tuple()
        .all(&state.db)
        .await?;
    if pending > 0 || !failed.is_empty() {
        let mut lines = Vec::new();
        if pending > 0 {
            lines.push(format!("用量隔离区有 {pending} 条记录待处理"));
        }
        for (job, period, error, retry) in &failed {
            lines.push(format!(
                "定时任务 {job}（{period}）失败{}：{}",
                if retry.is_some() {
                    "，将自动重试"
                } else {
                    "，已停止重试"
                },
                error.as_deref().unwrap_or("").chars().take(200).collect::<String>()
            ));
        }
        let count = (pending as usize + failed.len()).to_string();
        for user in staff(state, Role::Operations).await? {
            let values = BTreeMap::from([
                ("user_name", user.display_name.clone()),
                ("date", date.clone()),
                ("count", count.clone()),
                ("items", lines.join("\n")),
                ("company_name", company.clone()),
            ]);
            items.extend(digest_items(
                Event::OperationsDigest,
                &channels,
                state,
                &user,
                &date,
                values,
            ));
        }
    }
    if items.is_empty() {
        return Ok(0);
    }
    let txn = begin_write(&state.db).await?;
    let written = queue(&txn, &state.keyring, &state.clock, &context.templates, items).await?;
    txn.commit().await?;
    Ok(written)
}

/// (customer code, name, bill no, outstanding units, days overdue) of a
/// sales owner's overdue bills, longest overdue first.
async fn overdue_of_owner(
    db: &impl ConnectionTrait,
    owner: i64,
    today: NaiveDate,
) -> AppResult<Vec<(String, String, String, i64, i64)>> {
    let customers: HashMap<i64, (String, String)> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::CustomerCode)
        .column(customer::Column::CompanyName)
        .filter(customer::Column::SalesOwnerId.eq(owner))
        .filter(customer::Column::IsDeleted.eq(false))
        .into_tuple::<(i64, String, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, code, name)| (id, (code, name)))
        .collect();
    if customers.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows = Vec::new();
    let ids: Vec<i64> = customers.keys().copied().collect();
    for chunk in ids.chunks(500) {
        let bills: Vec<(i64, String, i64, i64, Option<NaiveDate>)> = bill::Entity::find()
            .select_only()
            .column(bill::Column::CustomerId)
            .column(bill::Column::BillNo)
            .column(bill::Column::Total)
            .column(bill::Column::Allocated)
            .column(bill::Column::DueDate)
            .filter(bill::Column::CustomerId.is_in(chunk.iter().copied()))
            .filter(bill::is_open())
            .filter(bill::Column::DueDate.lt(today))
            .into_tuple()
            .all(db)
            .await?;
        for (customer_id, bill_no, total, allocated, due) in bills {
            let (Some((code, name)), Some(due)) = (customers.get(&customer_id), due) else {
                continue;
            };
            rows.push((
                code.clone(),
                name.clone(),
                bill_no,
                total - allocated,
                (today - due).num_days(),
            ));
        }
    }
    rows.sort_by(|a, b| b.4.cmp(&a.4).then_with(|| a.2.cmp(&b.2)));
    Ok(rows)
}
