//! The sender every instance runs: it claims due rows of the outbox, sends
//! them, and writes down what happened. Never inside a request: a slow SMTP
//! server delays only the sender.
//!
//! Exactly once:
//! - a row is claimed by a conditional UPDATE (`status = 'queued'` →
//!   `sending`, with this batch's holder token), so two instances never
//!   send the same row;
//! - a row left in `sending` by a holder that died (its lease ran out) may
//!   or may not have gone out: it is marked `failed` with
//!   [`UNKNOWN_OUTCOME`] and never sent again by itself. A person decides
//!   (resend). Missing one reminder is better than sending it twice.
//! - transient failures go back to `queued` with the jobs' backoff, three
//!   retries; permanent ones (a refused address) fail at once.

use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use opcms_domain::billing::BillStatus;
use opcms_domain::notify::{Channel, Event, MAX_ATTEMPTS, Status, UNKNOWN_OUTCOME, retry_delay};
use opcms_domain::settings::CompanyInfo;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::watch;

use super::entity::notification;
use super::outbox::recipient_binding;
use super::transport::{Email, Failure, Mailer, SmsSender};
use crate::bills::entity::bill;
use crate::error::AppResult;
use crate::state::AppState;

/// Rows claimed per round.
const BATCH: u64 = 100;

/// The transports this instance has.
pub struct Transports {
    mailer: Option<Mailer>,
    sms: Option<SmsSender>,
    /// How long a claim lasts: long enough for the slowest send.
    lease: Duration,
}

impl Transports {
    pub fn new(config: &crate::config::NotifySettings) -> anyhow::Result<Transports> {
        let slowest = config
            .smtp
            .as_ref()
            .map(|c| c.timeout_ms)
            .into_iter()
            .chain(config.sms.as_ref().map(|c| c.timeout_ms))
            .max()
            .unwrap_or(10_000);
        Ok(Transports {
            mailer: config.smtp.as_ref().map(Mailer::new).transpose()?,
            sms: config.sms.as_ref().map(SmsSender::new).transpose()?,
            // An SMTP send is a few exchanges, each with the timeout.
            lease: Duration::from_millis(slowest * 3) + Duration::from_secs(5),
        })
    }
}

/// Starts the sender unless this instance does not send or nothing is
/// configured to send with.
pub fn spawn(state: &AppState, stopped: watch::Receiver<bool>) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let config = &state.config.notify;
    if !config.sender_enabled || (config.smtp.is_none() && config.sms.is_none()) {
        return Ok(None);
    }
    let transports = Transports::new(config)?;
    let state = state.clone();
    Ok(Some(tokio::spawn(run(state, transports, stopped))))
}

async fn run(state: AppState, transports: Transports, mut stopped: watch::Receiver<bool>) {
    tracing::info!(instance = %state.config.jobs.instance_id, "notification sender started");
    loop {
        if *stopped.borrow() {
            break;
        }
        if let Err(err) = state.clock.clone().scope(drain(&state, &transports)).await {
            tracing::warn!(error = ?err, "notification sender round failed");
        }
        tokio::select! {
            () = tokio::time::sleep(state.config.notify.tick) => {}
            () = state.notify_wake.notified() => {}
            _ = stopped.changed() => {}
        }
    }
}

/// Sends everything due now; the number of rows handled.
pub async fn drain(state: &AppState, transports: &Transports) -> AppResult<u64> {
    give_up_stalled(state).await?;
    // Printed on every bill PDF of the round: read once, before any row is
    // claimed (a failure here leaves every row queued).
    let company = crate::settings::load(&state.db).await?.company;
    // Once a copy could not be kept, the rest of this drain keeps none: a
    // store that hangs must not add its timeout to every mail of a batch.
    let storage = super::attachment::Keeper::default();
    let mut handled = 0;
    loop {
        let claimed = claim(state, transports.lease).await?;
        if claimed.is_empty() {
            return Ok(handled);
        }
        handled += claimed.len() as u64;
        futures_util::stream::iter(claimed)
            .map(|row| deliver(state, transports, &company, &storage, row))
            .buffer_unordered(state.config.notify.concurrency)
            .collect::<Vec<()>>()
            .await;
    }
}

/// Rows whose holder stopped mid-send: their outcome is unknown.
async fn give_up_stalled(state: &AppState) -> AppResult<()> {
    let stalled = notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value(Status::Failed.code()))
        .col_expr(notification::Column::LastError, Expr::value(UNKNOWN_OUTCOME))
        .col_expr(notification::Column::UpdatedAt, Expr::value(state.clock.now()))
        .filter(notification::Column::Status.eq(Status::Sending.code()))
        .filter(notification::Column::LeaseUntil.lt(Utc::now()))
        .exec(&state.db)
        .await?
        .rows_affected;
    if stalled > 0 {
        tracing::warn!(
            stalled,
            "notifications left mid-send by a stopped sender are marked failed, not resent"
        );
    }
    Ok(())
}

/// Claims up to [`BATCH`] due rows for this round.
async fn claim(state: &AppState, lease: Duration) -> AppResult<Vec<notification::Model>> {
    let now = state.clock.now();
    let ids: Vec<i64> = notification::Entity::find()
        .select_only()
        .column(notification::Column::Id)
        .filter(notification::Column::Status.eq(Status::Queued.code()))
        .filter(notification::Column::NextAttemptAt.lte(now))
        .order_by_asc(notification::Column::Id)
        .limit(BATCH)
        .into_tuple()
        .all(&state.db)
        .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let token = format!("{}#{}", state.config.jobs.instance_id, uuid::Uuid::new_v4().simple());
    let lease_until = Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(1));
    notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value(Status::Sending.code()))
        .col_expr(notification::Column::Holder, Expr::value(token.clone()))
        .col_expr(notification::Column::LeaseUntil, Expr::value(lease_until))
        .col_expr(
            notification::Column::Attempts,
            Expr::col(notification::Column::Attempts).add(1),
        )
        .col_expr(notification::Column::UpdatedAt, Expr::value(now))
        .filter(notification::Column::Id.is_in(ids))
        .filter(notification::Column::Status.eq(Status::Queued.code()))
        .exec(&state.db)
        .await?;
    Ok(notification::Entity::find()
        .filter(notification::Column::Holder.eq(token))
        .filter(notification::Column::Status.eq(Status::Sending.code()))
        .order_by_asc(notification::Column::Id)
        .all(&state.db)
        .await?)
}

/// What became of one attempt.
enum Outcome {
    /// With the attachment that went out, to be kept.
    Sent {
        attachment: Option<(String, Vec<u8>)>,
    },
    Skipped(String),
    Failed(Failure),
}

async fn deliver(
    state: &AppState,
    transports: &Transports,
    company: &CompanyInfo,
    storage: &super::attachment::Keeper,
    row: notification::Model,
) {
    let mut outcome = match attempt(state, transports, company, &row).await {
        Ok(outcome) => outcome,
        Err(err) => Outcome::Failed(Failure::Transient(format!("内部错误：{err:?}"))),
    };
    let sent_attachment = match &mut outcome {
        Outcome::Sent { attachment } => attachment.take(),
        _ => None,
    };
    if let Err(err) = record(state, &row, outcome).await {
        tracing::error!(id = row.id, error = ?err, "cannot record a notification's outcome");
    }
    // Only once the mail is out and recorded as sent: a store that is down
    // costs the copy, never the mail or a second one.
    if let Some((file_name, bytes)) = sent_attachment {
        storage.keep(state, row.id, &file_name, bytes).await;
    }
}

async fn attempt(
    state: &AppState,
    transports: &Transports,
    company: &CompanyInfo,
    row: &notification::Model,
) -> AppResult<Outcome> {
    let (Some(event), Some(channel)) = (Event::parse(&row.event), Channel::parse(&row.channel)) else {
        return Ok(Outcome::Skipped(format!(
            "未知的事件或渠道：{} {}",
            row.event, row.channel
        )));
    };
    // A reminder whose bill was paid (or voided) since it was queued.
    if event == Event::BillOverdue
        && let Some(bill_id) = row.bill_id
    {
        let status: Option<String> = bill::Entity::find_by_id(bill_id)
            .select_only()
            .column(bill::Column::Status)
            .into_tuple()
            .one(&state.db)
            .await?;
        let open = status
            .as_deref()
            .and_then(BillStatus::parse)
            .is_some_and(|s| BillStatus::OPEN.contains(&s));
        if !open {
            return Ok(Outcome::Skipped("账单已结清或作废，未发送提醒".into()));
        }
    }
    if let Some(customer_id) = row.customer_id {
        let prefs = super::outbox::preferences(&state.db, &[customer_id]).await?;
        let (email, sms) = prefs.get(&customer_id).copied().unwrap_or((true, true));
        let on = match channel {
            Channel::Email => email,
            Channel::Sms => sms,
        };
        if !on {
            return Ok(Outcome::Skipped(format!("客户已退订{}通知", channel.label())));
        }
    }
    let Some(sealed) = &row.recipient_enc else {
        return Ok(Outcome::Skipped("没有收件地址".into()));
    };
    let recipient = match state.keyring.decrypt(&recipient_binding(&row.dedupe_key), sealed) {
        Ok(r) => r,
        Err(_) => {
            return Ok(Outcome::Failed(Failure::Permanent(
                "收件地址无法解密（密钥不符）".into(),
            )));
        }
    };
    let mut sent_attachment = None;
    let result = match channel {
        Channel::Email => {
            let Some(mailer) = &transports.mailer else {
                return Ok(Outcome::Failed(Failure::Transient("本实例未配置 SMTP".into())));
            };
            let attachment = match (event, row.bill_id) {
                (Event::BillIssued, Some(bill_id)) => Some(bill_pdf(state, company, bill_id).await?),
                _ => None,
            };
            sent_attachment = attachment.clone();
            mailer
                .send(Email {
                    to: &recipient,
                    subject: row.subject.as_deref().unwrap_or(event.label()),
                    body: &row.body,
                    message_id: message_id(&row.dedupe_key),
                    attachment,
                })
                .await
        }
        Channel::Sms => {
            let Some(sms) = &transports.sms else {
                return Ok(Outcome::Failed(Failure::Transient("本实例未配置短信服务".into())));
            };
            sms.send(&recipient, &row.body).await
        }
    };
    Ok(match result {
        Ok(()) => Outcome::Sent {
            attachment: sent_attachment,
        },
        Err(failure) => Outcome::Failed(failure),
    })
}

/// `<sha256(key)@opcms>`: stable per notification.
fn message_id(dedupe_key: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(dedupe_key.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("<{hex}@opcms.notify>")
}

async fn bill_pdf(state: &AppState, company: &CompanyInfo, bill_id: i64) -> AppResult<(String, Vec<u8>)> {
    let row = bill::Entity::find_by_id(bill_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| crate::error::AppError::Internal(anyhow::anyhow!("bill {bill_id} is gone")))?;
    let view = crate::bills::service::view(&state.db, row).await?;
    let bytes = crate::bills::document::render(&view, company).await?;
    Ok((format!("{}.pdf", view.bill_no), bytes))
}

async fn record(state: &AppState, row: &notification::Model, outcome: Outcome) -> AppResult<()> {
    let now = state.clock.now();
    let mut update = notification::Entity::update_many()
        .col_expr(notification::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            notification::Column::LeaseUntil,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        );
    let (status, error) = match &outcome {
        Outcome::Sent { .. } => {
            update = update.col_expr(notification::Column::SentAt, Expr::value(now));
            (Status::Sent, None)
        }
        Outcome::Skipped(reason) => (Status::Skipped, Some(reason.clone())),
        Outcome::Failed(Failure::Transient(message)) if row.attempts < MAX_ATTEMPTS => {
            let delay = retry_delay(row.attempts).unwrap_or(chrono::TimeDelta::minutes(25));
            update = update.col_expr(notification::Column::NextAttemptAt, Expr::value(now + delay));
            (Status::Queued, Some(message.clone()))
        }
        Outcome::Failed(failure) => (Status::Failed, Some(failure.message().to_string())),
    };
    match &outcome {
        Outcome::Sent { .. } => {
            tracing::info!(id = row.id, event = %row.event, channel = %row.channel, attempt = row.attempts, "notification sent")
        }
        _ => {
            tracing::warn!(id = row.id, event = %row.event, channel = %row.channel, attempt = row.attempts, status = status.code(), error = ?error, "notification not sent")
        }
    }
    // Only this holder's claim. A late success still counts as sent even if
    // the row was meanwhile marked failed for an unknown outcome; a late
    // failure leaves that mark alone (it must not queue the row again).
    let from: &[&str] = match outcome {
        Outcome::Sent { .. } => &[Status::Sending.code(), Status::Failed.code()],
        _ => &[Status::Sending.code()],
    };
    update
        .col_expr(notification::Column::Status, Expr::value(status.code()))
        .col_expr(notification::Column::LastError, Expr::value(error))
        .filter(notification::Column::Id.eq(row.id))
        .filter(notification::Column::Holder.eq(row.holder.clone()))
        .filter(notification::Column::Status.is_in(from.iter().copied()))
        .exec(&state.db)
        .await?;
    Ok(())
}
