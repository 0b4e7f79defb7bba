//! Uploaded files (multipart field `file`), for every import.

use axum::extract::Multipart;

use crate::error::{AppError, AppResult};

/// The uploaded file's name and bytes, refused past the size limit while it
/// streams in, so a huge upload never sits in memory.
pub async fn read_file(mut multipart: Multipart, limit: usize) -> AppResult<(String, Vec<u8>)> {
    let malformed = |_| AppError::BadRequest {
        code: "INVALID_UPLOAD",
        message: "上传内容无法解析，请重新选择文件上传".into(),
    };
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("upload").to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(malformed)? {
            if bytes.len() + chunk.len() > limit {
                return Err(AppError::PayloadTooLarge {
                    message: format!("文件超过 {} MiB 的上限", limit / (1024 * 1024)),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok((name, bytes));
    }
    Err(AppError::field("file", "REQUIRED", "请选择要导入的文件"))
}
