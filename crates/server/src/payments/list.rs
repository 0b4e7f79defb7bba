//! `GET /payments`, with the totals of the whole filter, in the caller's
//! data scope.

use opcms_domain::DataScope;
use opcms_domain::payments::{PaymentMethod, PaymentStatus};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use super::entity::payment;
use super::model::{PaymentPage, PaymentQuery, PaymentTotals, PaymentView};
use super::service::views;
use crate::customers::entity::customer;
use crate::db::{count_and_sums, like_contains};
use crate::error::{AppError, AppResult};
use crate::http::pagination::PageRequest;
use crate::spreadsheet::write::{ExportFormat, Value, table_file};

fn customers_where(condition: Condition) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(customer::Column::Id)
        .from(customer::Entity)
        .cond_where(condition)
        .to_owned()
}

/// The filtered selection of live payments (no order, no paging).
pub fn build(query: &PaymentQuery, scope: &DataScope) -> AppResult<Select<payment::Entity>> {
    let mut select = payment::Entity::find().filter(payment::Column::IsDeleted.eq(false));
    if let Some(owners) = scope.owners() {
        select = select.filter(payment::Column::CustomerId.in_subquery(customers_where(
            Condition::all().add(customer::Column::SalesOwnerId.is_in(owners.iter().copied())),
        )));
    }
    if let Some(customer_id) = query.customer_id {
        select = select.filter(payment::Column::CustomerId.eq(customer_id));
    }
    if query.unassigned == Some(true) {
        select = select.filter(payment::Column::CustomerId.is_null());
    }
    if let Some(text) = query.method.as_deref().filter(|t| !t.trim().is_empty()) {
        let method = PaymentMethod::parse(text).ok_or_else(|| {
            AppError::field(
                "method",
                "INVALID_METHOD",
                "收款方式不正确，可选：银行转账、支票、现金、微信、支付宝、其他",
            )
        })?;
        select = select.filter(payment::Column::Method.eq(method.code()));
    }
    if let Some(text) = query.status.as_deref().filter(|t| !t.trim().is_empty()) {
        let mut any = Condition::any();
        for code in text.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            let status = PaymentStatus::parse(code).ok_or_else(|| {
                AppError::field(
                    "status",
                    "INVALID_STATUS",
                    "状态须为 unapplied、partially_applied 或 applied",
                )
            })?;
            any = any.add(match status {
                PaymentStatus::Unapplied => Expr::col(payment::Column::Allocated).eq(0),
                PaymentStatus::Applied => Expr::col(payment::Column::Allocated).eq(Expr::col(payment::Column::Amount)),
                PaymentStatus::PartiallyApplied => Expr::col(payment::Column::Allocated)
                    .gt(0)
                    .and(Expr::col(payment::Column::Allocated).lt(Expr::col(payment::Column::Amount))),
            });
        }
        select = select.filter(any);
    }
    if let Some(from) = query.from {
        select = select.filter(payment::Column::ReceivedAt.gte(from));
    }
    if let Some(to) = query.to {
        select = select.filter(payment::Column::ReceivedAt.lte(to));
    }
    if let Some(text) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        select = select.filter(
            Condition::any()
                .add(payment::Column::PaymentNo.like(like_contains(text)))
                .add(payment::Column::PayerName.like(like_contains(text)))
                .add(payment::Column::Reference.like(like_contains(text)))
                .add(
                    payment::Column::CustomerId.in_subquery(customers_where(
                        Condition::any()
                            .add(customer::Column::CompanyName.like(like_contains(text)))
                            .add(customer::Column::CustomerCode.like(like_contains(text))),
                    )),
                ),
        );
    }
    Ok(select)
}

fn ordered(select: Select<payment::Entity>, sort: Option<&str>) -> AppResult<Select<payment::Entity>> {
    use sea_orm::Order::{Asc, Desc};
    let (column, order) = match sort.unwrap_or("-received_at") {
        "received_at" => (payment::Column::ReceivedAt, Asc),
        "-received_at" => (payment::Column::ReceivedAt, Desc),
        "amount" => (payment::Column::Amount, Asc),
        "-amount" => (payment::Column::Amount, Desc),
        "payment_no" => (payment::Column::PaymentNo, Asc),
        "-payment_no" => (payment::Column::PaymentNo, Desc),
        _ => {
            return Err(AppError::field(
                "sort",
                "INVALID_SORT",
                "排序须为 received_at、amount 或 payment_no（前加 - 为倒序）",
            ));
        }
    };
    Ok(select.order_by(column, order).order_by_desc(payment::Column::Id))
}

fn check_range(query: &PaymentQuery) -> AppResult<()> {
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(AppError::field("to", "INVALID_RANGE", "结束日期不能早于开始日期"));
    }
    Ok(())
}

pub async fn list(
    db: &impl ConnectionTrait,
    query: &PaymentQuery,
    scope: &DataScope,
    page: PageRequest,
) -> AppResult<PaymentPage> {
    check_range(query)?;
    let select = build(query, scope)?;
    let (count, sums) = count_and_sums(db, select.clone(), &["amount", "allocated"]).await?;
    let (amount, allocated) = (sums[0], sums[1]);
    let rows = ordered(select, query.sort.as_deref())?
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    Ok(PaymentPage {
        items: views(db, rows, false).await?,
        total: count,
        page: page.page,
        page_size: page.page_size,
        totals: PaymentTotals {
            count,
            amount,
            allocated,
            unapplied: amount - allocated,
        },
    })
}

const HEADERS: [&str; 13] = [
    "收款编号",
    "到账日期",
    "客户编号",
    "公司名称",
    "付款人",
    "收款方式",
    "流水号",
    "收款金额",
    "已核销",
    "未核销（预收）",
    "状态",
    "来源",
    "备注",
];

fn cells(view: &PaymentView) -> Vec<Value> {
    let status = match view.status {
        PaymentStatus::Unapplied => "未核销",
        PaymentStatus::PartiallyApplied => "部分核销",
        PaymentStatus::Applied => "已核销",
    };
    vec![
        Value::Text(view.payment_no.clone()),
        Value::Date(view.received_at),
        view.customer.as_ref().map(|c| c.customer_code.clone()).into(),
        view.customer
            .as_ref()
            .map_or_else(|| "未认领".to_string(), |c| c.company_name.clone())
            .into(),
        view.payer_name.clone().into(),
        Value::Text(view.method.label().into()),
        view.reference.clone().into(),
        Value::number(view.amount),
        Value::number(view.allocated),
        Value::number(view.unapplied),
        Value::Text(status.into()),
        Value::Text(
            if view.source == "import" {
                "导入"
            } else {
                "手工登记"
            }
            .into(),
        ),
        view.remarks.clone().into(),
    ]
}

/// Rows read per query while exporting.
const EXPORT_CHUNK: u64 = 1000;

/// The filtered list as `.xlsx` or `.csv` bytes (true for CSV) and a file name.
pub async fn export(
    db: &impl ConnectionTrait,
    query: &PaymentQuery,
    scope: &DataScope,
) -> AppResult<(Vec<u8>, bool, String)> {
    let format = ExportFormat::parse(query.format.as_deref())?;
    check_range(query)?;
    let select = ordered(build(query, scope)?, query.sort.as_deref())?;
    let mut rows: Vec<Vec<Value>> = Vec::new();
    let mut offset = 0;
    loop {
        let chunk = select.clone().offset(offset).limit(EXPORT_CHUNK).all(db).await?;
        let done = (chunk.len() as u64) < EXPORT_CHUNK;
        offset += EXPORT_CHUNK;
        rows.extend(views(db, chunk, false).await?.iter().map(cells));
        if done {
            break;
        }
    }
    let (bytes, name) = table_file(format, "收款列表", &HEADERS, rows).await?;
    Ok((bytes, format == ExportFormat::Csv, name))
}
