//! `GET /payments`, with the totals of the whole filter, in the caller's
//! data scope.

use chrono::NaiveDate;
use opcms_domain::DataScope;
use opcms_domain::payments::{PaymentMethod, PaymentStatus};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use super::entity::payment;
use super::model::{PaymentPage, PaymentQuery, PaymentTotals, PaymentView};
use super::service::views;
use crate::customers::entity::customer;
use crate::db::migrations::PAYMENT_TOTALS;
use crate::db::totals as maintained;
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

/// A list filter, checked.
struct Filter<'a> {
    customer_id: Option<i64>,
    unassigned: bool,
    method: Option<&'static str>,
    statuses: Option<Vec<PaymentStatus>>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    q: Option<&'a str>,
}

impl<'a> Filter<'a> {
    fn parse(query: &'a PaymentQuery) -> AppResult<Filter<'a>> {
        if let (Some(from), Some(to)) = (query.from, query.to)
            && from > to
        {
            return Err(AppError::field("to", "INVALID_RANGE", "结束日期不能早于开始日期"));
        }
        let method = match query.method.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(text) => Some(
                PaymentMethod::parse(text)
                    .ok_or_else(|| {
                        AppError::field(
                            "method",
                            "INVALID_METHOD",
                            "收款方式不正确，可选：银行转账、支票、现金、微信、支付宝、其他",
                        )
                    })?
                    .code(),
            ),
            None => None,
        };
        let statuses = match query.status.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(text) => {
                let mut statuses = Vec::new();
                for code in text.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                    statuses.push(PaymentStatus::parse(code).ok_or_else(|| {
                        AppError::field(
                            "status",
                            "INVALID_STATUS",
                            "状态须为 unapplied、partially_applied 或 applied",
                        )
                    })?);
                }
                Some(statuses)
            }
            None => None,
        };
        Ok(Filter {
            customer_id: query.customer_id,
            unassigned: query.unassigned == Some(true),
            method,
            statuses,
            from: query.from,
            to: query.to,
            q: query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()),
        })
    }

    /// The same filter over the maintained totals (`totals_payments`),
    /// when it names only what they are kept by: not for one customer, a
    /// search or a sales person's scope.
    fn over_totals(&self, scope: &DataScope) -> Option<Condition> {
        if scope.owners().is_some() || self.customer_id.is_some() || self.q.is_some() {
            return None;
        }
        let column = |name: &str| Expr::col(Alias::new(name));
        let mut condition = Condition::all();
        if self.unassigned {
            condition = condition.add(column("assigned").eq(0i16));
        }
        if let Some(method) = self.method {
            condition = condition.add(column("method").eq(method));
        }
        if let Some(statuses) = &self.statuses {
            let applied = statuses.iter().map(|status| match status {
                PaymentStatus::Unapplied => 0i16,
                PaymentStatus::PartiallyApplied => 1,
                PaymentStatus::Applied => 2,
            });
            condition = condition.add(column("applied").is_in(applied));
        }
        if let Some(from) = self.from {
            condition = condition.add(column("received_at").gte(from));
        }
        if let Some(to) = self.to {
            condition = condition.add(column("received_at").lte(to));
        }
        Some(condition)
    }
}

/// The filtered selection of live payments (no order, no paging).
pub fn build(query: &PaymentQuery, scope: &DataScope) -> AppResult<Select<payment::Entity>> {
    Ok(selection(&Filter::parse(query)?, scope))
}

fn selection(filter: &Filter, scope: &DataScope) -> Select<payment::Entity> {
    let mut select = payment::Entity::find().filter(payment::Column::IsDeleted.eq(false));
    if let Some(owners) = scope.owners() {
        select = select.filter(payment::Column::CustomerId.in_subquery(customers_where(
            Condition::all().add(customer::Column::SalesOwnerId.is_in(owners.iter().copied())),
        )));
    }
    if let Some(customer_id) = filter.customer_id {
        select = select.filter(payment::Column::CustomerId.eq(customer_id));
    }
    if filter.unassigned {
        select = select.filter(payment::Column::CustomerId.is_null());
    }
    if let Some(method) = filter.method {
        select = select.filter(payment::Column::Method.eq(method));
    }
    if let Some(statuses) = &filter.statuses {
        let mut any = Condition::any();
        for status in statuses {
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
    if let Some(from) = filter.from {
        select = select.filter(payment::Column::ReceivedAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(payment::Column::ReceivedAt.lte(to));
    }
    if let Some(text) = filter.q {
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
    select
}

/// The totals row of a filter: from the maintained totals where the
/// filter allows, else summed over the receipts.
async fn totals_of(db: &impl ConnectionTrait, filter: &Filter<'_>, scope: &DataScope) -> AppResult<PaymentTotals> {
    let (count, sums) = match filter.over_totals(scope) {
        Some(condition) => {
            let summed = maintained::sum(db, &PAYMENT_TOTALS, condition).await?;
            (summed.count, summed.sums)
        }
        None => count_and_sums(db, selection(filter, scope), &["amount", "allocated"]).await?,
    };
    Ok(PaymentTotals {
        count,
        amount: sums[0],
        allocated: sums[1],
        unapplied: sums[0] - sums[1],
    })
}

/// The totals row of `query` in `scope`.
pub async fn totals(db: &impl ConnectionTrait, query: &PaymentQuery, scope: &DataScope) -> AppResult<PaymentTotals> {
    totals_of(db, &Filter::parse(query)?, scope).await
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

pub async fn list(
    db: &impl ConnectionTrait,
    query: &PaymentQuery,
    scope: &DataScope,
    page: PageRequest,
) -> AppResult<PaymentPage> {
    let filter = Filter::parse(query)?;
    let totals = totals_of(db, &filter, scope).await?;
    let rows = ordered(selection(&filter, scope), query.sort.as_deref())?
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    Ok(PaymentPage {
        items: views(db, rows, false).await?,
        total: totals.count,
        page: page.page,
        page_size: page.page_size,
        totals,
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
