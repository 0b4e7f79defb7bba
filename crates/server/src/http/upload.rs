//! Uploaded files: the one way every import (customers, bank statements,
//! usage) takes its file — a multipart form with the field `file`, and
//! `?dry_run=true` to check without writing.

use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use serde::Deserialize;

use super::extract::ApiQuery;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The form every import takes, as the OpenAPI document describes it.
#[derive(utoipa::ToSchema)]
pub struct UploadForm {
    /// The file: `.xlsx` or `.csv`.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// The query parameter every import takes.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DryRun {
    /// `true`: check and report what would happen, write nothing.
    pub dry_run: Option<bool>,
}

/// An import's upload, not read yet: extracting it only checks that the
/// request is a multipart form (answering the error envelope otherwise), so
/// the handler can check the caller's permission before the file streams in.
pub struct Upload {
    multipart: Multipart,
    limit: usize,
    dry_run: bool,
}

/// The uploaded file's name and bytes, and whether to write nothing.
pub struct UploadedFile {
    pub name: String,
    pub bytes: Vec<u8>,
    pub dry_run: bool,
}

impl FromRequest<AppState> for Upload {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let (mut parts, body) = req.into_parts();
        let ApiQuery(query) = ApiQuery::<DryRun>::from_request_parts(&mut parts, state).await?;
        let multipart = Multipart::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| AppError::BadRequest {
                code: "INVALID_UPLOAD",
                message: "请以 multipart/form-data 表单上传文件（字段 file）".into(),
            })?;
        Ok(Upload {
            multipart,
            limit: state.config.upload_limit,
            dry_run: query.dry_run.unwrap_or(false),
        })
    }
}

impl Upload {
    /// Reads the field `file`, refused past the upload limit while it
    /// streams in, so a huge upload never sits in memory.
    pub async fn read(mut self) -> AppResult<UploadedFile> {
        let malformed = |_| AppError::BadRequest {
            code: "INVALID_UPLOAD",
            message: "上传内容无法解析，请重新选择文件上传".into(),
        };
        while let Some(mut field) = self.multipart.next_field().await.map_err(malformed)? {
            if field.name() != Some("file") {
                continue;
            }
            let name = field.file_name().unwrap_or("upload").to_string();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                if bytes.len() + chunk.len() > self.limit {
                    return Err(AppError::PayloadTooLarge {
                        message: format!("文件超过 {} MiB 的上限", self.limit / (1024 * 1024)),
                    });
                }
                bytes.extend_from_slice(&chunk);
            }
            return Ok(UploadedFile {
                name,
                bytes,
                dry_run: self.dry_run,
            });
        }
        Err(AppError::field("file", "REQUIRED", "请选择要导入的文件"))
    }
}
