//! File responses: the content type and a `Content-Disposition` that keeps
//! Chinese file names intact in every browser (RFC 6266 / RFC 5987).

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV: &str = "text/csv; charset=utf-8";

/// `attachment; filename="<ascii fallback>"; filename*=UTF-8''<percent-encoded>`
pub fn disposition(file_name: &str) -> HeaderValue {
    let fallback: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

pub fn attachment(body: impl Into<Body>, content_type: &'static str, file_name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition(file_name)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body.into(),
    )
        .into_response()
}

/// A PDF document: shown in the browser (`inline`) unless the client asked to
/// save it (`?download=1`), never cached.
pub fn pdf(bytes: impl Into<Body>, file_name: &str, download: Option<&str>) -> Response {
    let mut content_disposition = disposition(file_name);
    if !matches!(download, Some("1" | "true")) {
        let inline = content_disposition
            .to_str()
            .unwrap_or("attachment")
            .replacen("attachment", "inline", 1);
        content_disposition = HeaderValue::from_str(&inline).unwrap_or_else(|_| HeaderValue::from_static("inline"));
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
            (header::CONTENT_DISPOSITION, content_disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes.into(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chinese_file_name_is_percent_encoded_with_an_ascii_fallback() {
        let value = disposition("客户导入模板.xlsx");
        let text = value.to_str().unwrap();
        assert!(text.starts_with("attachment; filename=\"______.xlsx\""), "{text}");
        assert!(text.contains("filename*=UTF-8''%E5%AE%A2"), "{text}");
    }
}
