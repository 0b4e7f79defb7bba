//! `GET /customers`: filters, search, sort and the data scope as one query.

use chrono::NaiveDate;
use opcms_domain::DataScope;
use opcms_domain::customer::fields::{parse_email, parse_phone};
use opcms_domain::customer::normalize::clean;
use opcms_domain::customer::{AccountStatus, Industry, Level, Series};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde::Deserialize;

use super::entity::{customer, tag};
use super::model::{email_index, phone_index};
use crate::crypto::Keyring;
use crate::db::like_contains;
use crate::error::{AppError, AppResult};
use crate::http::pagination::{PageParams, PageRequest};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    pub page: Option<u64>,
    pub page_size: Option<u64>,
    /// Code, company name, account id or contact name (substring); an exact
    /// phone or e-mail matches the contact.
    pub q: Option<String>,
    /// Comma-separated status codes.
    pub status: Option<String>,
    /// Comma-separated: A,B,C
    pub level: Option<String>,
    /// Comma-separated dictionary values.
    pub industry: Option<String>,
    /// Comma-separated series; a customer with any of them matches.
    pub series: Option<String>,
    /// Sales or operations owner.
    pub owner_id: Option<i64>,
    pub sales_owner_id: Option<i64>,
    pub ops_owner_id: Option<i64>,
    pub region: Option<String>,
    /// Comma-separated; a customer with any of them matches.
    pub tags: Option<String>,
    pub signed_from: Option<String>,
    pub signed_to: Option<String>,
    /// Management only: list deleted customers instead.
    pub deleted: Option<bool>,
    /// `customer_code`, `company_name`, `level`, `account_status`, `signed_at`,
    /// `contract_end_at`, `created_at`, `updated_at`; `-` prefix for descending.
    pub sort: Option<String>,
}

fn list_of(text: &Option<String>) -> Vec<String> {
    text.as_deref()
        .unwrap_or_default()
        .split([',', '，'])
        .filter_map(clean)
        .collect()
}

fn parse_each<T>(
    field: &str,
    text: &Option<String>,
    parse: impl Fn(&str) -> Option<T>,
    message: &str,
) -> AppResult<Vec<T>> {
    list_of(text)
        .iter()
        .map(|v| parse(v).ok_or_else(|| AppError::field(field, "INVALID_FILTER", message)))
        .collect()
}

fn day(field: &str, text: &Option<String>) -> AppResult<Option<NaiveDate>> {
    match text.as_deref().and_then(clean) {
        None => Ok(None),
        Some(t) => NaiveDate::parse_from_str(&t, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| AppError::field(field, "INVALID_DATE", "日期格式应为 YYYY-MM-DD")),
    }
}

/// The filtered selection (no paging, no order) and the page wanted.
pub fn build(
    query: &CustomerQuery,
    scope: DataScope,
    keyring: &Keyring,
    backend: DbBackend,
) -> AppResult<(Select<customer::Entity>, PageRequest)> {
    let page = PageParams {
        page: query.page,
        page_size: query.page_size,
    }
    .validate()?;
    let deleted = query.deleted.unwrap_or(false);
    let mut select = customer::Entity::find().filter(customer::Column::IsDeleted.eq(deleted));
    if let DataScope::OwnedBy(user_id) = scope {
        select = select.filter(customer::Column::SalesOwnerId.eq(user_id));
    }
    if let Some(q) = query.q.as_deref().and_then(clean) {
        // A whole phone number or e-mail address is looked up exactly through
        // its blind index; anything else is a substring of code, name,
        // account or contact name.
        if let Some(phone) = parse_phone(&q).filter(|_| q.chars().all(|c| c.is_ascii_digit() || c == '-')) {
            select = select.filter(customer::Column::ContactPhoneIndex.eq(phone_index(keyring, &phone)));
        } else if let Some(email) = parse_email(&q) {
            select = select.filter(customer::Column::ContactEmailIndex.eq(email_index(keyring, &email)));
        } else {
            select = select.filter(contains(backend, &q.to_lowercase()));
        }
    }
    let statuses = parse_each("status", &query.status, AccountStatus::parse, "状态筛选值无效")?;
    if !statuses.is_empty() {
        select = select.filter(customer::Column::AccountStatus.is_in(statuses.iter().map(|s| s.code())));
    }
    let levels = parse_each("level", &query.level, Level::parse, "等级筛选值无效")?;
    if !levels.is_empty() {
        select = select.filter(customer::Column::Level.is_in(levels.iter().map(|l| l.code())));
    }
    let industries = parse_each("industry", &query.industry, Industry::parse, "行业筛选值无效")?;
    if !industries.is_empty() {
        select = select.filter(customer::Column::Industry.is_in(industries.iter().map(|i| i.label())));
    }
    let series = parse_each("series", &query.series, Series::parse, "设备系列筛选值无效")?;
    if !series.is_empty() {
        let mut any = Condition::any();
        for s in series {
            let column = match s {
                Series::X => customer::Column::SeriesX,
                Series::N => customer::Column::SeriesN,
                Series::L => customer::Column::SeriesL,
            };
            any = any.add(column.eq(true));
        }
        select = select.filter(any);
    }
    if let Some(owner) = query.owner_id {
        select = select.filter(
            Condition::any()
                .add(customer::Column::SalesOwnerId.eq(owner))
                .add(customer::Column::OpsOwnerId.eq(owner)),
        );
    }
    if let Some(owner) = query.sales_owner_id {
        select = select.filter(customer::Column::SalesOwnerId.eq(owner));
    }
    if let Some(owner) = query.ops_owner_id {
        select = select.filter(customer::Column::OpsOwnerId.eq(owner));
    }
    if let Some(region) = query.region.as_deref().and_then(clean) {
        select = select.filter(customer::Column::Region.like(like_contains(&region)));
    }
    let tags = list_of(&query.tags);
    if !tags.is_empty() {
        let tagged = Query::select()
            .column(tag::Column::CustomerId)
            .from(tag::Entity)
            .and_where(tag::Column::Tag.is_in(tags))
            .to_owned();
        select = select.filter(customer::Column::Id.in_subquery(tagged));
    }
    if let Some(from) = day("signed_from", &query.signed_from)? {
        select = select.filter(customer::Column::SignedAt.gte(from));
    }
    if let Some(to) = day("signed_to", &query.signed_to)? {
        select = select.filter(customer::Column::SignedAt.lte(to));
    }
    Ok((select, page))
}

/// `search_text` contains the text. SQLite's `instr` is a plain byte search,
/// several times faster than its case-folding `LIKE` over a full scan (the
/// column is already lower-case); the servers' `LIKE` is fine.
fn contains(backend: DbBackend, text: &str) -> Expr {
    match backend {
        DbBackend::Sqlite => Expr::cust_with_values("instr(search_text, ?) > 0", [text.to_string()]),
        _ => customer::Column::SearchText.like(like_contains(text)),
    }
}

pub fn order(select: Select<customer::Entity>, sort: Option<&str>) -> AppResult<Select<customer::Entity>> {
    let sort = sort.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("-id");
    let (name, direction) = match sort.strip_prefix('-') {
        Some(name) => (name, Order::Desc),
        None => (sort, Order::Asc),
    };
    let column = match name {
        "id" => customer::Column::Id,
        "customer_code" => customer::Column::CustomerCode,
        "company_name" => customer::Column::CompanyName,
        "level" => customer::Column::Level,
        "account_status" => customer::Column::AccountStatus,
        "signed_at" => customer::Column::SignedAt,
        "contract_end_at" => customer::Column::ContractEndAt,
        "created_at" => customer::Column::CreatedAt,
        "updated_at" => customer::Column::UpdatedAt,
        _ => return Err(AppError::field("sort", "INVALID_SORT", "不支持按该字段排序")),
    };
    let select = select.order_by(column, direction.clone());
    Ok(if name == "id" {
        select
    } else {
        select.order_by(customer::Column::Id, direction)
    })
}

/// One page of rows and the total.
pub async fn page(
    db: &impl sea_orm::ConnectionTrait,
    query: &CustomerQuery,
    scope: DataScope,
    keyring: &Keyring,
) -> AppResult<(Vec<customer::Model>, u64, PageRequest)> {
    let (select, page) = build(query, scope, keyring, db.get_database_backend())?;
    let total = select.clone().count(db).await?;
    let rows = order(select, query.sort.as_deref())?
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    Ok((rows, total, page))
}
