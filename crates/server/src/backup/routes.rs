//! `/backups`: the 数据备份 page (DESIGN.md §19; docs/api/backups.md).
//! Management only: an archive is the whole database.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use opcms_domain::Permission;
use serde::Serialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::{self, BackupList, BackupView};
use crate::access::Principal;
use crate::audit::{self, Actor, Entry};
use crate::error::{AppResult, ErrorBody};
use crate::http::extract::ApiPath;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_backups, start_backup))
        .routes(routes!(verify_backup))
        .routes(routes!(download_backup))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StartedBackup {
    /// The archive being written; it appears in the list when done.
    pub name: String,
}

/// The archives in file storage, newest first, with whether a
/// backup is running and the last failure.
#[utoipa::path(get, path = "/backups", tag = "backups",
    responses((status = 200, body = BackupList), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn list_backups(State(state): State<AppState>, principal: Principal) -> AppResult<Json<BackupList>> {
    principal.require(Permission::BackupsManage)?;
    Ok(Json(store::list(&state).await?))
}

/// Starts a backup in the background; 409 while one is being written.
#[utoipa::path(post, path = "/backups", tag = "backups",
    responses((status = 202, body = StartedBackup), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
async fn start_backup(
    State(state): State<AppState>,
    principal: Principal,
) -> AppResult<(StatusCode, Json<StartedBackup>)> {
    principal.require(Permission::BackupsManage)?;
    let name = store::start(&state, Actor::from(&principal)).await?;
    Ok((StatusCode::ACCEPTED, Json(StartedBackup { name })))
}

/// Reads an archive through again and checks every table's checksum.
#[utoipa::path(post, path = "/backups/{name}/verify", tag = "backups",
    responses((status = 200, body = BackupView), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn verify_backup(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(name): ApiPath<String>,
) -> AppResult<Json<BackupView>> {
    principal.require(Permission::BackupsManage)?;
    Ok(Json(store::verify(&state, &name).await?))
}

/// The archive file, streamed from storage. Audited: the whole database leaves the
/// system (sealed values stay sealed).
#[utoipa::path(get, path = "/backups/{name}/download", tag = "backups",
    responses((status = 200, content_type = "application/zstd"), (status = 404, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
async fn download_backup(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(name): ApiPath<String>,
) -> AppResult<Response> {
    principal.require(Permission::BackupsManage)?;
    let key = store::archive_key(&state, &name).await?;
    let download = state.storage.get(&key).await?;
    audit::record(
        &state.db,
        &Actor::from(&principal),
        Entry {
            action: "backup.download",
            entity_type: "backup",
            entity_id: Some(name.clone()),
            changes: Some(json!({ "size_bytes": download.size })),
        },
    )
    .await?;
    let mut response = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/zstd")),
            (header::CONTENT_DISPOSITION, crate::http::download::disposition(&name)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Body::from_stream(download.chunks),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(download.size));
    Ok(response)
}
