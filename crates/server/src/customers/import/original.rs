//! The uploaded file of each import run, kept in file storage under
//! `imports/<id>/original`, sealed to the run (it holds contacts, which the
//! database keeps encrypted too), so the history can offer 下载原文件.
//! Kept after the run is committed: a storage outage never fails or undoes
//! an import; the run then records that its original was not kept.

use std::time::Duration;

use axum::response::Response;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, IntoActiveModel};
use serde_json::json;

use super::record::{self, entity};
use crate::audit::{self, Actor, Entry};
use crate::crypto::Binding;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::http::download::{CSV, XLSX, attachment};
use crate::state::AppState;

/// A store that does not answer in this long leaves the original unkept
/// rather than keep the person who imported waiting.
const KEEP_TIMEOUT: Duration = Duration::from_secs(10);

fn key(import_id: i64) -> String {
    format!("imports/{import_id}/original")
}

fn binding(import_id: i64) -> Binding {
    Binding::new("customer_imports", "original", import_id)
}

/// Seals and stores the file, then records its size on the run. Whether
/// it was kept; a failure is logged, never returned.
pub async fn keep(state: &AppState, actor: &Actor, import_id: i64, bytes: &[u8]) -> bool {
    match try_keep(state, actor, import_id, bytes).await {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(import_id, %error, "the original of an import was not kept");
            false
        }
    }
}

async fn try_keep(state: &AppState, actor: &Actor, import_id: i64, bytes: &[u8]) -> AppResult<()> {
    let sealed = state.keyring.encrypt_bytes(&binding(import_id), bytes)?;
    tokio::time::timeout(KEEP_TIMEOUT, state.storage.put_bytes(&key(import_id), sealed.into()))
        .await
        .map_err(|_| AppError::Internal(anyhow::anyhow!("file storage did not answer in {KEEP_TIMEOUT:?}")))??;
    let txn = begin_write(&state.db).await?;
    let mut run = record::find(&txn, import_id).await?.into_active_model();
    run.original_size = Set(Some(bytes.len() as i64));
    run.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Entry {
            action: "customer_import.keep_original",
            entity_type: "customer_import",
            entity_id: Some(import_id.to_string()),
            changes: Some(json!({ "size_bytes": bytes.len(), "storage": state.storage.describe() })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The kept file as it was uploaded; 404 when the run kept none. Audited:
/// the file holds customers' contacts.
pub async fn download(state: &AppState, actor: &Actor, import_id: i64) -> AppResult<Response> {
    let run: entity::Model = record::find(&state.db, import_id).await?;
    if run.original_size.is_none() {
        return Err(AppError::not_found(
            "这次导入的原文件（导入时文件存储不可用，未能保存）",
        ));
    }
    let sealed = state.storage.get_bytes(&key(import_id)).await?;
    let bytes = state
        .keyring
        .decrypt_bytes(&binding(import_id), &sealed)
        .map_err(|e| AppError::Internal(e.context(format!("the original of import {import_id}"))))?;
    audit::record(
        &state.db,
        actor,
        Entry {
            action: "customer_import.download_original",
            entity_type: "customer_import",
            entity_id: Some(import_id.to_string()),
            changes: Some(json!({ "file_name": run.file_name, "size_bytes": bytes.len() })),
        },
    )
    .await?;
    let content_type = if run.file_name.to_ascii_lowercase().ends_with(".csv") {
        CSV
    } else {
        XLSX
    };
    Ok(attachment(bytes, content_type, &run.file_name))
}
