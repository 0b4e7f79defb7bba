//! `?page=1&page_size=20` (max 200) → `{items, total, page, page_size}`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};

use super::extract::ApiQuery;
use crate::error::AppError;

pub const MAX_PAGE: u64 = 1_000_000;
pub const MAX_PAGE_SIZE: u64 = 200;
pub const DEFAULT_PAGE_SIZE: u64 = 20;

#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1-based page number.
    pub page: Option<u64>,
    /// Rows per page, 1–200 (default 20).
    pub page_size: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub page: u64,
    pub page_size: u64,
}

impl PageRequest {
    pub fn offset(self) -> u64 {
        (self.page - 1) * self.page_size
    }
}

/// A list handler takes its paging as `page: PageRequest`, beside its own
/// filters' `ApiQuery<…Query>`: both read the same query string, so no filter
/// struct repeats `page`/`page_size`. Its operation lists `params(PageParams, …)`.
impl<S: Send + Sync> FromRequestParts<S> for PageRequest {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let ApiQuery(params) = ApiQuery::<PageParams>::from_request_parts(parts, state).await?;
        params.validate()
    }
}

impl PageParams {
    fn validate(self) -> Result<PageRequest, AppError> {
        let page = self.page.unwrap_or(1);
        let page_size = self.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        if page == 0 || page > MAX_PAGE {
            return Err(AppError::field(
                "page",
                "OUT_OF_RANGE",
                "页码须为 1 到 1000000 之间的整数",
            ));
        }
        if page_size == 0 || page_size > MAX_PAGE_SIZE {
            return Err(AppError::field(
                "page_size",
                "OUT_OF_RANGE",
                "每页条数须为 1 到 200 之间的整数",
            ));
        }
        Ok(PageRequest { page, page_size })
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total: u64, request: PageRequest) -> Self {
        Page {
            items,
            total,
            page: request.page,
            page_size: request.page_size,
        }
    }
}
