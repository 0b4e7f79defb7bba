//! The attachment of a sent e-mail (the bill PDF of `bill.issued`), kept in
//! file storage under `mail/<notification id>/<file name>`, exactly the bytes
//! that went out, so a clerk can later show what the customer received.
//!
//! Kept after the send, with a cap of [`KEEP_TIMEOUT`]: a store that is down
//! never fails, repeats or holds up a mail, and after one failure the rest
//! of the sender's round does not try ([`Keeper`]). The row then records no copy
//! (`attachment_name` / `attachment_size` NULL); they are set only once the
//! object was written, so the log never claims a copy that is not there.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use opcms_domain::DataScope;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;

use super::entity::notification;
use crate::audit::{self, Actor, Entry};
use crate::error::{AppError, AppResult};
use crate::http::download::attachment;
use crate::state::AppState;

/// A store that does not answer in this long leaves the copy unkept rather
/// than hold up the rest of the sender's round.
const KEEP_TIMEOUT: Duration = Duration::from_secs(10);

/// The only kind of attachment mailed (and so kept): a bill PDF.
pub const PDF: &str = "application/pdf";

fn key(notification_id: i64, file_name: &str) -> String {
    format!("mail/{notification_id}/{file_name}")
}

/// Keeps the attachments of one sender round. After the first copy that
/// could not be kept it tries no more (the next round tries again): a store
/// that hangs costs the round one [`KEEP_TIMEOUT`] per mail in flight, not
/// one per mail.
#[derive(Default)]
pub struct Keeper {
    failed: AtomicBool,
}

impl Keeper {
    /// Stores the attachment of a mail that went out and records the copy
    /// on its row. Whether it was kept; a failure is logged (never the bytes
    /// or the recipient), never returned. The row is written either way: a
    /// resend whose copy failed must not leave an earlier one claimed as
    /// what was sent.
    pub async fn keep(&self, state: &AppState, notification_id: i64, file_name: &str, bytes: Vec<u8>) -> bool {
        let size = bytes.len() as i64;
        let kept = if self.failed.load(Ordering::Relaxed) {
            tracing::warn!(
                id = notification_id,
                "the attachment of a sent e-mail was not kept: file storage failed earlier in this round; the mail itself went out"
            );
            false
        } else {
            let kept = put(state, notification_id, file_name, bytes).await;
            if !kept {
                self.failed.store(true, Ordering::Relaxed);
            }
            kept
        };
        record(state, notification_id, kept.then_some((file_name, size))).await && kept
    }
}

async fn put(state: &AppState, notification_id: i64, file_name: &str, bytes: Vec<u8>) -> bool {
    let key = key(notification_id, file_name);
    let put = state.storage.put_bytes(&key, Bytes::from(bytes));
    match tokio::time::timeout(KEEP_TIMEOUT, put).await {
        Ok(Ok(())) => true,
        Ok(Err(error)) => {
            tracing::warn!(id = notification_id, %error, storage = %state.storage.describe(),
                "the attachment of a sent e-mail was not kept in file storage; the mail itself went out");
            false
        }
        Err(_) => {
            tracing::warn!(id = notification_id, storage = %state.storage.describe(),
                "the attachment of a sent e-mail was not kept: file storage did not answer in {KEEP_TIMEOUT:?}; the mail itself went out");
            false
        }
    }
}
/// Writes what was kept on the row: the name and size, or NULLs. Whether
/// the row says so.
async fn record(state: &AppState, notification_id: i64, kept: Option<(&str, i64)>) -> bool {
    let (name, size) = kept.map(|(name, size)| (name.to_string(), size)).unzip();
    let recorded = notification::Entity::update_many()
        .col_expr(notification::Column::AttachmentName, Expr::value(name))
        .col_expr(notification::Column::AttachmentSize, Expr::value(size))
        .filter(notification::Column::Id.eq(notification_id))
        .exec(&state.db)
        .await;
    match recorded {
        Ok(_) => true,
        Err(error) => {
            tracing::warn!(id = notification_id, error = ?error, "cannot record the kept attachment of a sent e-mail");
            false
        }
    }
}

/// The row, if `scope` sees it: the log shows sales only its own
/// customers' notifications, so the download does too.
async fn find_visible(state: &AppState, scope: &DataScope, id: i64) -> AppResult<notification::Model> {
    let missing = || AppError::not_found("通知");
    let row = notification::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(missing)?;
    if scope.owners().is_some() {
        let Some(customer_id) = row.customer_id else {
            return Err(missing());
        };
        let owner: Option<Option<i64>> = crate::customers::entity::customer::Entity::find_by_id(customer_id)
            .select_only()
            .column(crate::customers::entity::customer::Column::SalesOwnerId)
            .into_tuple()
            .one(&state.db)
            .await?;
        if !owner.is_some_and(|owner| scope.admits(owner)) {
            return Err(missing());
        }
    }
    Ok(row)
}

/// The kept attachment as it was sent, streamed from storage; 404 when the
/// row kept none. Audited: it is a customer's bill.
pub async fn download(state: &AppState, actor: &Actor, scope: &DataScope, id: i64) -> AppResult<Response> {
    let row = find_visible(state, scope, id).await?;
    let (Some(file_name), Some(_)) = (row.attachment_name, row.attachment_size) else {
        return Err(AppError::not_found(
            "这条通知的附件副本（没有附件，或发送时文件存储不可用，未能保存）",
        ));
    };
    let download = state.storage.get(&key(id, &file_name)).await?;
    audit::record(
        &state.db,
        actor,
        Entry {
            action: "notification.download_attachment",
            entity_type: "notification",
            entity_id: Some(id.to_string()),
            changes: Some(json!({ "file_name": file_name, "size_bytes": download.size })),
        },
    )
    .await?;
    let mut response = attachment(Body::from_stream(download.chunks), PDF, &file_name);
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(download.size));
    Ok(response)
}
