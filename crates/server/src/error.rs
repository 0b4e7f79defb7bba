//! The one error type of the HTTP layer and its JSON envelope (DESIGN.md §11):
//! `{"error": {"code", "message", "details"}}`. Internal causes are logged
//! and never sent to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use opcms_domain::FieldError;
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400 with the fields at fault.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 400 for a request that is malformed as a whole (bad JSON, wrong type).
    #[error("bad request: {message}")]
    BadRequest { code: &'static str, message: String },
    #[error("unauthorized: {code}")]
    Unauthorized { code: &'static str, message: String },
    #[error("forbidden: {code}")]
    Forbidden { code: &'static str, message: String },
    /// Unknown id, or a record outside the caller's data scope.
    #[error("not found")]
    NotFound { message: String },
    #[error("conflict: {code}")]
    Conflict { code: &'static str, message: String },
    /// 409 about one field's value (a duplicate name, code, account).
    #[error("conflict on {}", .0.field)]
    FieldConflict(FieldError),
    /// 409 naming the record already there (a receipt entered twice).
    #[error("conflict: {code}")]
    ConflictWith {
        code: &'static str,
        message: String,
        detail: serde_json::Value,
    },
    /// 409 naming several records already there (usage entered twice).
    #[error("conflict: {code}")]
    ConflictDetails {
        code: &'static str,
        message: String,
        details: Vec<serde_json::Value>,
    },
    #[error("payload too large")]
    PayloadTooLarge { message: String },
    #[error("unprocessable: {code}")]
    Unprocessable { code: &'static str, message: String },
    #[error("too many requests")]
    TooManyRequests {
        code: &'static str,
        message: String,
        retry_after_secs: u64,
    },
    /// 503: a service the request needs is down (file storage).
    #[error("{message}")]
    Unavailable { code: &'static str, message: String },
    /// Anything unexpected: logged with its cause, answered as a bare 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn field(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound {
            message: format!("{what}不存在或无权访问"),
        }
    }

    /// A route that does not exist (or, like the test clock, is switched off).
    pub fn unknown_route() -> Self {
        AppError::NotFound {
            message: "接口不存在".into(),
        }
    }

    pub fn forbidden() -> Self {
        AppError::Forbidden {
            code: "FORBIDDEN",
            message: "无权执行此操作".into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            message: message.into(),
        }
    }

    /// The code and message a client would see, for per-item results.
    pub fn summary(&self) -> (String, String) {
        let (_, code, message) = self.parts();
        match self {
            AppError::Validation(fields) if !fields.is_empty() => (code.to_string(), fields[0].message.clone()),
            _ => (code.to_string(), message),
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            AppError::Validation(_) => (
                StatusCode::BAD_REQUEST,
                "VALIDATION_FAILED",
                "提交的数据有误，请检查标出的字段".into(),
            ),
            AppError::BadRequest { code, message } => (StatusCode::BAD_REQUEST, code, message.clone()),
            AppError::Unauthorized { code, message } => (StatusCode::UNAUTHORIZED, code, message.clone()),
            AppError::Forbidden { code, message } => (StatusCode::FORBIDDEN, code, message.clone()),
            AppError::NotFound { message } => (StatusCode::NOT_FOUND, "NOT_FOUND", message.clone()),
            AppError::Conflict { code, message } => (StatusCode::CONFLICT, code, message.clone()),
            AppError::FieldConflict(field) => (StatusCode::CONFLICT, field.code, field.message.clone()),
            AppError::ConflictWith { code, message, .. } => (StatusCode::CONFLICT, code, message.clone()),
            AppError::ConflictDetails { code, message, .. } => (StatusCode::CONFLICT, code, message.clone()),
            AppError::PayloadTooLarge { message } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", message.clone())
            }
            AppError::Unprocessable { code, message } => (StatusCode::UNPROCESSABLE_ENTITY, code, message.clone()),
            AppError::TooManyRequests { code, message, .. } => (StatusCode::TOO_MANY_REQUESTS, code, message.clone()),
            AppError::Unavailable { code, message } => (StatusCode::SERVICE_UNAVAILABLE, code, message.clone()),
            AppError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_ERROR",
                "服务器内部错误，请稍后重试或联系管理员".into(),
            ),
        }
    }
}

/// The body of every error response, as the OpenAPI document describes it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `VALIDATION_FAILED`.
    pub code: String,
    /// Human-readable message in Chinese.
    pub message: String,
    /// Field errors for 400 validation failures: `{field, code, message}`.
    #[schema(value_type = Vec<Object>)]
    pub details: Vec<serde_json::Value>,
}

pub fn envelope(status: StatusCode, code: &str, message: &str, details: Vec<serde_json::Value>) -> Response {
    let body = json!({"error": {"code": code, "message": message, "details": details}});
    (status, axum::Json(body)).into_response()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(cause) = &self {
            tracing::error!(error = ?cause, "internal error");
        }
        let (status, code, message) = self.parts();
        let field_json = |f: &FieldError| json!({"field": f.field, "code": f.code, "message": f.message});
        let details = match &self {
            AppError::Validation(fields) => fields.iter().map(field_json).collect(),
            AppError::FieldConflict(field) => vec![field_json(field)],
            AppError::ConflictWith { detail, .. } => vec![detail.clone()],
            AppError::ConflictDetails { details, .. } => details.clone(),
            _ => Vec::new(),
        };
        let mut response = envelope(status, code, &message, details);
        if let AppError::TooManyRequests { retry_after_secs, .. } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if is_storage_full(&err) {
            // The transaction was rolled back: nothing of it is written.
            tracing::error!(error = %err, "the database's disk is full");
            return AppError::Unavailable {
                code: "STORAGE_FULL",
                message: "服务器磁盘空间已满，本次操作未写入任何数据；请联系管理员清理磁盘后重试".into(),
            };
        }
        if is_unreachable(&err) {
            // Not a bug to page anyone about: the database is restarting or
            // gone, and the pool reconnects on its own once it is back.
            tracing::warn!(error = %err, "database unreachable");
            return AppError::Unavailable {
                code: "DATABASE_UNAVAILABLE",
                message: "数据库暂时不可用或繁忙，请稍后重试".into(),
            };
        }
        AppError::Internal(anyhow::Error::new(err).context("database"))
    }
}

/// True when the database could not be reached — refused or dropped
/// connections, a pool that found no live connection in time (the server
/// down, or every connection busy) — rather than a statement it refused:
/// the request may succeed if sent again.
pub fn is_unreachable(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(
                e.as_ref(),
                Sqlx::Io(_) | Sqlx::Tls(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed
            )
        }
        DbErr::Conn(_) => true,
        _ => false,
    }
}

/// True when the database could not write for want of disk space: SQLite's
/// `SQLITE_FULL` (13), PostgreSQL's `disk_full` (53100), MySQL's "disk
/// full" (1021) and "table is full" (1114), or a write that failed with
/// `ENOSPC`.
pub fn is_storage_full(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    let (DbErr::Conn(RuntimeErr::SqlxError(e))
    | DbErr::Exec(RuntimeErr::SqlxError(e))
    | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return false;
    };
    match e.as_ref() {
        Sqlx::Database(db) => {
            let mysql_full = db
                .try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>()
                .is_some_and(|m| matches!(m.number(), 1021 | 1114));
            let sqlite_full = db.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>().is_some()
                && db.code().as_deref() == Some("13");
            let postgres_full = db
                .try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>()
                .is_some()
                && db.code().as_deref() == Some("53100");
            mysql_full || sqlite_full || postgres_full
        }
        Sqlx::Io(io) => io.raw_os_error() == Some(28),
        _ => false,
    }
}

/// True when the error is a unique-key violation: the database's verdict that
/// someone else already holds the value (or claimed the job, or the period).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
