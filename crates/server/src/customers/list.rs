//! `GET /customers`: filters, search, sort and the data scope as one query.

use chrono::NaiveDate;
use opcms_domain::DataScope;
use opcms_domain::customer::fields::{parse_email, parse_phone};
use opcms_domain::customer::normalize::clean;
use opcms_domain::customer::{AccountStatus, Industry, Level, Series};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoCondition, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde::Deserialize;

use super::entity::{customer, tag};
use super::model::{email_index, phone_index};
use crate::crypto::Keyring;
use crate::db::like_contains;
use crate::db::migrations::CUSTOMER_TOTALS;
use crate::db::totals::sum;
use crate::error::{AppError, AppResult};
use crate::http::pagination::PageRequest;
use crate::pricing::entity::customer_pricing;

#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
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
    /// A price plan's id, or `none` for customers on no plan (needs the
    /// pricing view permission).
    pub plan_id: Option<String>,
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

/// The filtered selection (no paging, no order).
pub fn build(
    query: &CustomerQuery,
    scope: &DataScope,
    keyring: &Keyring,
    backend: DbBackend,
) -> AppResult<Select<customer::Entity>> {
    let deleted = query.deleted.unwrap_or(false);
    let mut select = customer::Entity::find().filter(customer::Column::IsDeleted.eq(deleted));
    if let Some(owners) = scope.owners() {
        select = select.filter(customer::Column::SalesOwnerId.is_in(owners.iter().copied()));
    }
    if let Some(q) = query.q.as_deref().and_then(clean) {
        // A whole phone number or e-mail address is looked up exactly through
        // its blind index; anything else is a substring of code, name,
        // account or contact name.
        // The lookups are subqueries so the planner always runs them first
        // instead of walking the sort index and testing every row.
        if let Some(phone) = parse_phone(&q).filter(|_| q.chars().all(|c| c.is_ascii_digit() || c == '-')) {
            let index = customer::Column::ContactPhoneIndex.eq(phone_index(keyring, &phone));
            select = select.filter(customer::Column::Id.in_subquery(ids_where(index)));
        } else if let Some(email) = parse_email(&q) {
            let index = customer::Column::ContactEmailIndex.eq(email_index(keyring, &email));
            select = select.filter(customer::Column::Id.in_subquery(ids_where(index)));
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
    match query.plan_id.as_deref().and_then(clean) {
        None => {}
        Some(text) if text.eq_ignore_ascii_case("none") => {
            select = select.filter(
                customer::Column::Id.not_in_subquery(
                    Query::select()
                        .column(customer_pricing::Column::CustomerId)
                        .from(customer_pricing::Entity)
                        .to_owned(),
                ),
            );
        }
        Some(text) => {
            let plan_id: i64 = text
                .parse()
                .map_err(|_| AppError::field("plan_id", "INVALID_FILTER", "价格方案筛选值无效（方案 id 或 none）"))?;
            select = select.filter(
                customer::Column::Id.in_subquery(
                    Query::select()
                        .column(customer_pricing::Column::CustomerId)
                        .from(customer_pricing::Entity)
                        .and_where(customer_pricing::Column::PlanId.eq(plan_id))
                        .to_owned(),
                ),
            );
        }
    }
    // On SQLite the unary `+` keeps the planner off the signed_at sort index
    // for the range: visiting every row in range costs more than reading the
    // covering filter index.
    let from = day("signed_from", &query.signed_from)?;
    let to = day("signed_to", &query.signed_to)?;
    for (bound, operator) in [(from, ">="), (to, "<=")] {
        let Some(bound) = bound else { continue };
        select = select.filter(match (backend, operator) {
            (DbBackend::Sqlite, _) => Expr::cust_with_values(format!("+signed_at {operator} ?"), [bound]),
            (_, ">=") => customer::Column::SignedAt.gte(bound),
            _ => customer::Column::SignedAt.lte(bound),
        });
    }
    Ok(select)
}

/// The customer count's filter over the maintained counts
/// (`totals_customers`, by status and sales owner), when the query filters
/// by nothing else: the whole book, a status, a sales person's scope — the
/// list as most people open it. Every field is named, so a new filter
/// cannot be forgotten here.
fn over_totals(query: &CustomerQuery, scope: &DataScope) -> AppResult<Option<Condition>> {
    let CustomerQuery {
        q,
        status,
        level,
        industry,
        series,
        owner_id,
        sales_owner_id,
        ops_owner_id,
        region,
        tags,
        signed_from,
        signed_to,
        plan_id,
        deleted,
        sort: _,
    } = query;
    let blank = |text: &Option<String>| text.as_deref().and_then(clean).is_none();
    let others_unset = blank(q)
        && list_of(level).is_empty()
        && list_of(industry).is_empty()
        && list_of(series).is_empty()
        && owner_id.is_none()
        && ops_owner_id.is_none()
        && blank(region)
        && list_of(tags).is_empty()
        && blank(signed_from)
        && blank(signed_to)
        && blank(plan_id)
        && *deleted != Some(true)
        // The counts keep "no owner" as 0, which no owner filter may match.
        && sales_owner_id.is_none_or(|owner| owner > 0);
    if !others_unset {
        return Ok(None);
    }
    let column = |name: &str| Expr::col(Alias::new(name));
    let mut filter = Condition::all();
    let statuses = parse_each("status", status, AccountStatus::parse, "状态筛选值无效")?;
    if !statuses.is_empty() {
        filter = filter.add(column("account_status").is_in(statuses.iter().map(|s| s.code())));
    }
    if let Some(owners) = scope.owners() {
        filter = filter.add(column("sales_owner_id").is_in(owners.iter().copied()));
    }
    if let Some(owner) = sales_owner_id {
        filter = filter.add(column("sales_owner_id").eq(*owner));
    }
    Ok(Some(filter))
}

/// The ids of the customers matching a condition.
fn ids_where(condition: impl IntoCondition) -> SelectStatement {
    Query::select()
        .column(customer::Column::Id)
        .from(customer::Entity)
        .cond_where(condition)
        .to_owned()
}

/// Shortest text the SQLite trigram index can answer.
const TRIGRAM: usize = 3;

/// `search_text` (already lower-case) contains the text. On SQLite a text of
/// three or more characters goes through the FTS5 trigram index (migration
/// 3); a shorter one is a byte search (`instr`, several times faster than
/// the case-folding `LIKE`) over the covering search index. The servers use
/// `LIKE`.
fn contains(backend: DbBackend, text: &str) -> SimpleExpr {
    match backend {
        DbBackend::Sqlite if text.chars().count() >= TRIGRAM => {
            let phrase = format!("\"{}\"", text.replace('"', "\"\""));
            let matches = Query::select()
                .expr(Expr::cust("rowid"))
                .from(Alias::new("customers_fts"))
                .and_where(Expr::cust_with_values("customers_fts MATCH ?", [phrase]))
                .to_owned();
            customer::Column::Id.in_subquery(matches)
        }
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
    scope: &DataScope,
    keyring: &Keyring,
    page: PageRequest,
) -> AppResult<(Vec<customer::Model>, u64)> {
    let select = build(query, scope, keyring, db.get_database_backend())?;
    let total = match over_totals(query, scope)? {
        Some(filter) => sum(db, &CUSTOMER_TOTALS, filter).await?.count,
        None => select.clone().count(db).await?,
    };
    // Nothing to fetch: skip the page query, which for a rare match may
    // walk the whole sort index looking for rows that are not there.
    if total <= page.offset() {
        return Ok((Vec::new(), total));
    }
    let rows = order(select, query.sort.as_deref())?
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    Ok((rows, total))
}
