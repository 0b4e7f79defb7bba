//! `GET /bills` (with the totals of the whole filter) and
//! `GET /bills/export`: one filter for both, in the caller's data scope.

use opcms_domain::billing::BillStatus;
use opcms_domain::{DataScope, Period};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use super::entity::bill;
use super::model::{BillPage, BillQuery, BillTotals, BillView};
use super::view::views;
use crate::calendar::business_today;
use crate::customers::entity::customer;
use crate::db::{count_and_sums, like_contains};
use crate::error::{AppError, AppResult};
use crate::http::pagination::PageRequest;
use crate::spreadsheet::write::{ExportFormat, Value, table_file};

/// The filtered selection (no order, no paging).
pub fn build(query: &BillQuery, scope: &DataScope) -> AppResult<Select<bill::Entity>> {
    let mut select = bill::Entity::find();
    if let Some(owners) = scope.owners() {
        select = select.filter(
            bill::Column::CustomerId.in_subquery(
                Query::select()
                    .column(customer::Column::Id)
                    .from(customer::Entity)
                    .and_where(customer::Column::SalesOwnerId.is_in(owners.iter().copied()))
                    .to_owned(),
            ),
        );
    }
    if let Some(text) = query.period.as_deref().filter(|t| !t.trim().is_empty()) {
        let period = Period::field(Some(text), "period", "账期").map_err(|e| AppError::Validation(vec![e]))?;
        select = select.filter(bill::Column::Period.eq(period.key()));
    }
    if let Some(text) = query.status.as_deref().filter(|t| !t.trim().is_empty()) {
        let mut statuses = Vec::new();
        for code in text.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            let status = BillStatus::parse(code).ok_or_else(|| {
                AppError::field(
                    "status",
                    "INVALID_STATUS",
                    "状态须为 draft、issued、partially_paid、paid 或 void",
                )
            })?;
            statuses.push(status.code());
        }
        select = select.filter(bill::Column::Status.is_in(statuses));
    }
    if let Some(customer_id) = query.customer_id {
        select = select.filter(bill::Column::CustomerId.eq(customer_id));
    }
    match query.kind.as_deref().filter(|t| !t.is_empty()) {
        None => {}
        Some(kind @ ("auto" | "manual")) => select = select.filter(bill::Column::Kind.eq(kind)),
        Some(_) => return Err(AppError::field("kind", "INVALID_KIND", "类型须为 auto 或 manual")),
    }
    if query.overdue == Some(true) {
        select = select
            .filter(bill::is_open())
            .filter(bill::Column::DueDate.lt(business_today()));
    }
    match query.has_warnings {
        Some(true) => select = select.filter(bill::Column::WarningCount.gt(0)),
        Some(false) => select = select.filter(bill::Column::WarningCount.eq(0)),
        None => {}
    }
    if let Some(text) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        select = select.filter(
            Condition::any()
                .add(bill::Column::BillNo.like(like_contains(text)))
                .add(
                    bill::Column::CustomerId.in_subquery(
                        Query::select()
                            .column(customer::Column::Id)
                            .from(customer::Entity)
                            .cond_where(
                                Condition::any()
                                    .add(customer::Column::CompanyName.like(like_contains(text)))
                                    .add(customer::Column::CustomerCode.like(like_contains(text))),
                            )
                            .to_owned(),
                    ),
                ),
        );
    }
    Ok(select)
}

fn ordered(select: Select<bill::Entity>, sort: Option<&str>) -> AppResult<Select<bill::Entity>> {
    use sea_orm::Order::{Asc, Desc};
    let (column, order) = match sort.unwrap_or("-period") {
        "period" => (bill::Column::Period, Asc),
        "-period" => (bill::Column::Period, Desc),
        "total" => (bill::Column::Total, Asc),
        "-total" => (bill::Column::Total, Desc),
        "due_date" => (bill::Column::DueDate, Asc),
        "-due_date" => (bill::Column::DueDate, Desc),
        "bill_no" => (bill::Column::BillNo, Asc),
        "-bill_no" => (bill::Column::BillNo, Desc),
        _ => {
            return Err(AppError::field(
                "sort",
                "INVALID_SORT",
                "排序须为 period、total、due_date 或 bill_no（前加 - 为倒序）",
            ));
        }
    };
    Ok(select.order_by(column, order).order_by_desc(bill::Column::Id))
}

async fn totals(db: &impl ConnectionTrait, select: Select<bill::Entity>) -> AppResult<BillTotals> {
    let (count, sums) = count_and_sums(db, select, &["subtotal", "credited", "total", "allocated"]).await?;
    let [subtotal, credited, total, allocated] = [sums[0], sums[1], sums[2], sums[3]];
    Ok(BillTotals {
        count,
        subtotal,
        credited,
        total,
        allocated,
        outstanding: total - allocated,
    })
}

pub async fn list(
    db: &impl ConnectionTrait,
    query: &BillQuery,
    scope: &DataScope,
    page: PageRequest,
) -> AppResult<BillPage> {
    let select = build(query, scope)?;
    // Void bills are owed by no one: the totals row always leaves them out
    // (and says so), whatever the filter.
    let for_totals = select.clone().filter(bill::Column::Status.ne(BillStatus::Void.code()));
    let totals = totals(db, for_totals).await?;
    let count = select.clone().count(db).await?;
    let rows = ordered(select, query.sort.as_deref())?
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    Ok(BillPage {
        items: views(db, rows, false).await?,
        total: count,
        page: page.page,
        page_size: page.page_size,
        totals,
    })
}

const HEADERS: [&str; 15] = [
    "账单编号",
    "客户编号",
    "公司名称",
    "账期",
    "类型",
    "状态",
    "小计",
    "红冲调整",
    "应收合计",
    "已核销",
    "未结金额",
    "到期日",
    "逾期天数",
    "警告",
    "出账时间",
];

fn cells(view: &BillView) -> Vec<Value> {
    vec![
        Value::Text(view.bill_no.clone()),
        Value::Text(view.customer.customer_code.clone()),
        Value::Text(view.customer.company_name.clone()),
        Value::Text(view.period.to_string()),
        Value::Text(if view.kind == "manual" { "手工" } else { "自动" }.into()),
        Value::Text(view.status.label().into()),
        Value::number(view.subtotal),
        Value::number(view.credited),
        Value::number(view.total),
        Value::number(view.allocated),
        Value::number(view.outstanding),
        view.due_date.into(),
        Value::number(view.overdue_days),
        Value::Text(
            view.warnings
                .iter()
                .map(|w| w.message.as_str())
                .collect::<Vec<_>>()
                .join("；"),
        ),
        view.issued_at.map(crate::calendar::local_minute).into(),
    ]
}

/// Rows read per query while exporting.
const EXPORT_CHUNK: u64 = 1000;

/// The filtered list as `.xlsx` or `.csv` bytes (true for CSV) and a file name.
pub async fn export(
    db: &impl ConnectionTrait,
    query: &BillQuery,
    scope: &DataScope,
) -> AppResult<(Vec<u8>, bool, String)> {
    let format = ExportFormat::parse(query.format.as_deref())?;
    let select = ordered(build(query, scope)?, query.sort.as_deref())?;
    let mut rows_out: Vec<Vec<Value>> = Vec::new();
    let mut offset = 0;
    loop {
        let rows = select.clone().offset(offset).limit(EXPORT_CHUNK).all(db).await?;
        let done = (rows.len() as u64) < EXPORT_CHUNK;
        offset += EXPORT_CHUNK;
        rows_out.extend(views(db, rows, false).await?.iter().map(cells));
        if done {
            break;
        }
    }
    let (bytes, name) = table_file(format, "账单列表", &HEADERS, rows_out).await?;
    Ok((bytes, format == ExportFormat::Csv, name))
}
