//! `GET /bills` (with the totals of the whole filter) and
//! `GET /bills/export`: one filter for both, in the caller's data scope.

use opcms_domain::billing::BillStatus;
use opcms_domain::{DataScope, Period};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use super::entity::bill;
use super::model::{BillPage, BillQuery, BillTotals, BillView};
use super::view::views;
use crate::calendar::business_today;
use crate::customers::entity::customer;
use crate::db::migrations::BILL_TOTALS;
use crate::db::totals as maintained;
use crate::db::{count_and_sums, like_contains};
use crate::error::{AppError, AppResult};
use crate::http::pagination::PageRequest;
use crate::spreadsheet::write::{ExportFormat, Value, table_file};

/// A list filter, checked.
struct Filter<'a> {
    period: Option<i32>,
    statuses: Option<Vec<&'static str>>,
    customer_id: Option<i64>,
    kind: Option<&'a str>,
    overdue: bool,
    has_warnings: Option<bool>,
    q: Option<&'a str>,
}

impl<'a> Filter<'a> {
    fn parse(query: &'a BillQuery) -> AppResult<Filter<'a>> {
        let period = match query.period.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(text) => Some(
                Period::field(Some(text), "period", "账期")
                    .map_err(|e| AppError::Validation(vec![e]))?
                    .key(),
            ),
            None => None,
        };
        let statuses = match query.status.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(text) => {
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
                Some(statuses)
            }
            None => None,
        };
        let kind = match query.kind.as_deref().filter(|t| !t.is_empty()) {
            None => None,
            Some(kind @ ("auto" | "manual")) => Some(kind),
            Some(_) => return Err(AppError::field("kind", "INVALID_KIND", "类型须为 auto 或 manual")),
        };
        Ok(Filter {
            period,
            statuses,
            customer_id: query.customer_id,
            kind,
            overdue: query.overdue == Some(true),
            has_warnings: query.has_warnings,
            q: query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()),
        })
    }

    /// The same filter over the maintained totals (`totals_bills`), when
    /// it names only what they are kept by: not for one customer, a search,
    /// the overdue (which depends on the day) or a sales person's scope.
    fn over_totals(&self, scope: &DataScope) -> Option<Condition> {
        if scope.owners().is_some() || self.customer_id.is_some() || self.overdue || self.q.is_some() {
            return None;
        }
        let column = |name: &str| Expr::col(Alias::new(name));
        let mut condition = Condition::all();
        if let Some(period) = self.period {
            condition = condition.add(column("period").eq(period));
        }
        if let Some(statuses) = &self.statuses {
            condition = condition.add(column("status").is_in(statuses.iter().copied()));
        }
        if let Some(kind) = self.kind {
            condition = condition.add(column("kind").eq(kind));
        }
        if let Some(has_warnings) = self.has_warnings {
            condition = condition.add(column("has_warnings").eq(i16::from(has_warnings)));
        }
        Some(condition)
    }
}

/// The filtered selection (no order, no paging).
pub fn build(query: &BillQuery, scope: &DataScope) -> AppResult<Select<bill::Entity>> {
    selection(&Filter::parse(query)?, scope)
}

fn selection(filter: &Filter, scope: &DataScope) -> AppResult<Select<bill::Entity>> {
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
    if let Some(period) = filter.period {
        select = select.filter(bill::Column::Period.eq(period));
    }
    if let Some(statuses) = &filter.statuses {
        select = select.filter(bill::Column::Status.is_in(statuses.iter().copied()));
    }
    if let Some(customer_id) = filter.customer_id {
        select = select.filter(bill::Column::CustomerId.eq(customer_id));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(bill::Column::Kind.eq(kind));
    }
    if filter.overdue {
        select = select
            .filter(bill::is_open())
            .filter(bill::Column::DueDate.lt(business_today()));
    }
    match filter.has_warnings {
        Some(true) => select = select.filter(bill::Column::WarningCount.gt(0)),
        Some(false) => select = select.filter(bill::Column::WarningCount.eq(0)),
        None => {}
    }
    if let Some(text) = filter.q {
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

/// The totals row of a filter, void bills left out (they are owed by no
/// one, whatever the filter), and the number of bills it lists, void ones
/// included. From the maintained totals where the filter allows, else
/// summed over the bills.
async fn totals_and_count(
    db: &impl ConnectionTrait,
    filter: &Filter<'_>,
    scope: &DataScope,
) -> AppResult<(BillTotals, u64)> {
    let void = BillStatus::Void.code();
    let (count, sums, listed) = match filter.over_totals(scope) {
        Some(condition) => {
            let listed = maintained::sum(db, &BILL_TOTALS, condition.clone()).await?.count;
            let owed = condition.add(Expr::col(Alias::new("status")).ne(void));
            let summed = maintained::sum(db, &BILL_TOTALS, owed).await?;
            (summed.count, summed.sums, listed)
        }
        None => {
            let select = selection(filter, scope)?;
            let owed = select.clone().filter(bill::Column::Status.ne(void));
            let (count, sums) = count_and_sums(db, owed, &["subtotal", "credited", "total", "allocated"]).await?;
            (count, sums, select.count(db).await?)
        }
    };
    let [subtotal, credited, total, allocated] = [sums[0], sums[1], sums[2], sums[3]];
    let totals = BillTotals {
        count,
        subtotal,
        credited,
        total,
        allocated,
        outstanding: total - allocated,
    };
    Ok((totals, listed))
}

/// The totals row of `query` in `scope` (void bills left out).
pub async fn totals(db: &impl ConnectionTrait, query: &BillQuery, scope: &DataScope) -> AppResult<BillTotals> {
    Ok(totals_and_count(db, &Filter::parse(query)?, scope).await?.0)
}

pub async fn list(
    db: &impl ConnectionTrait,
    query: &BillQuery,
    scope: &DataScope,
    page: PageRequest,
) -> AppResult<BillPage> {
    let filter = Filter::parse(query)?;
    let (totals, count) = totals_and_count(db, &filter, scope).await?;
    let rows = ordered(selection(&filter, scope)?, query.sort.as_deref())?
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
