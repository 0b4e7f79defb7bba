//! What a storage failure means to the person who sees it. An outage, wrong
//! keys, a missing bucket are 503 `STORAGE_UNAVAILABLE` with the reason in
//! Chinese; the full cause goes to the log only.

use crate::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no object {key}")]
    NotFound { key: String },
    /// The store cannot be used now; `message` is for people (zh-CN).
    #[error("{message}")]
    Unavailable { message: String },
}

impl From<StorageError> for AppError {
    fn from(error: StorageError) -> AppError {
        match error {
            StorageError::NotFound { .. } => AppError::not_found("文件"),
            StorageError::Unavailable { message } => AppError::Unavailable {
                code: "STORAGE_UNAVAILABLE",
                message,
            },
        }
    }
}

/// The reason in words, from what the S3 server or the connection said.
pub fn reason(cause: &str) -> &'static str {
    const RULES: [(&[&str], &str); 4] = [
        (
            &["NoSuchBucket"],
            "存储桶不存在（请检查 [storage] bucket，或先在存储服务中创建它）",
        ),
        (
            &[
                "InvalidAccessKeyId",
                "SignatureDoesNotMatch",
                "AccessDenied",
                "403 Forbidden",
                "InvalidToken",
            ],
            "存储服务拒绝了访问密钥（请检查 [storage] access_key_id / secret_access_key 及其权限）",
        ),
        (
            &[
                "error sending request",
                "onnection refused",
                "dns error",
                "timed out",
                "operation timed out",
                "onnection reset",
            ],
            "连不上存储服务（请检查 [storage] endpoint 与网络）",
        ),
        (
            &["No space left", "Permission denied", "Read-only file system"],
            "本地文件目录不可写",
        ),
    ];
    RULES
        .iter()
        .find(|(needles, _)| needles.iter().any(|needle| cause.contains(needle)))
        .map_or("存储服务出错", |(_, reason)| reason)
}

/// The message a person sees for a failed `action` (上传/读取…).
pub fn unavailable(action: &str, cause: &str) -> StorageError {
    StorageError::Unavailable {
        message: format!(
            "文件存储暂不可用，{action}失败：{}。请稍后重试或联系管理员",
            reason(cause)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_become_reasons() {
        assert!(reason("Client error with status 404 Not Found: <Code>NoSuchBucket</Code>").contains("存储桶不存在"));
        assert!(reason("status 403 Forbidden: <Code>InvalidAccessKeyId</Code>").contains("访问密钥"));
        assert!(reason("error sending request for url (http://127.0.0.1:1/b)").contains("连不上"));
        assert_eq!(reason("something else"), "存储服务出错");
        let error: AppError = unavailable("上传", "Connection refused").into();
        assert!(matches!(
            error,
            AppError::Unavailable {
                code: "STORAGE_UNAVAILABLE",
                ..
            }
        ));
    }
}
