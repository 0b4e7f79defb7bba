//! What customers owe: the aging report (`GET /receivables/aging`, by
//! customer and bucket, with unapplied money as a balance) and one
//! customer's statement of account (`GET /customers/{id}/statement`).

use std::collections::HashMap;

use chrono::NaiveDate;
use opcms_domain::billing::BillStatus;
use opcms_domain::money::Total;
use opcms_domain::payments::AgingAmounts;
use opcms_domain::{DataScope, Fixed4};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use super::entity::{allocation, payment};
use super::model::{AllocationView, CustomerRef, PaymentView};
use super::service::allocation_views;
use crate::bills::entity::bill;
use crate::bills::model::BillView;
use crate::calendar::business_today;
use crate::customers::entity::customer;
use crate::db::migrations::UNAPPLIED_TOTALS;
use crate::db::{like_contains, packed};
use crate::error::{AppError, AppResult};
use crate::http::pagination::PageRequest;
use crate::spreadsheet::write::{ExportFormat, Value, table_file};
use crate::users::service::{UserRef, display_names};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgingQuery {
    /// The day the buckets are counted on (default today).
    pub as_of: Option<NaiveDate>,
    pub q: Option<String>,
    pub owner_id: Option<i64>,
    pub overdue_only: Option<bool>,
    /// `xlsx` | `csv` (export only).
    pub format: Option<String>,
}

/// Money by bucket, as sent: sums of stored amounts, exact however many
/// there are ([`Total`]).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct AgingMoney {
    #[schema(value_type = String)]
    pub outstanding: Total,
    #[schema(value_type = String)]
    pub not_due: Total,
    #[schema(value_type = String)]
    pub d1_30: Total,
    #[schema(value_type = String)]
    pub d31_60: Total,
    #[schema(value_type = String)]
    pub d61_90: Total,
    #[schema(value_type = String)]
    pub d90_plus: Total,
    #[schema(value_type = String)]
    pub overdue: Total,
    #[schema(value_type = String)]
    pub unapplied: Total,
    #[schema(value_type = String)]
    pub net: Total,
}

impl AgingMoney {
    fn of(aging: &AgingAmounts, unapplied: Total) -> AgingMoney {
        AgingMoney {
            outstanding: aging.outstanding(),
            not_due: aging.not_due,
            d1_30: aging.d1_30,
            d31_60: aging.d31_60,
            d61_90: aging.d61_90,
            d90_plus: aging.d90_plus,
            overdue: aging.overdue(),
            unapplied,
            net: aging.outstanding() - unapplied,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgingRow {
    pub customer: CustomerRef,
    #[schema(required = true)]
    pub sales_owner: Option<UserRef>,
    pub open_bills: u32,
    pub max_overdue_days: i64,
    #[serde(flatten)]
    pub money: AgingMoney,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgingPage {
    pub items: Vec<AgingRow>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
    pub as_of: NaiveDate,
    pub totals: AgingMoney,
}

#[derive(Default)]
struct CustomerAging {
    aging: AgingAmounts,
    open_bills: u32,
    unapplied: Total,
}

/// The customers the filter and the scope admit, as a subquery condition.
fn customer_filter(query: &AgingQuery, scope: &DataScope) -> Option<Condition> {
    let mut condition = Condition::all().add(customer::Column::IsDeleted.eq(false));
    let mut narrowed = false;
    if let Some(owners) = scope.owners() {
        condition = condition.add(customer::Column::SalesOwnerId.is_in(owners.iter().copied()));
        narrowed = true;
    }
    if let Some(owner) = query.owner_id {
        condition = condition.add(customer::Column::SalesOwnerId.eq(owner));
        narrowed = true;
    }
    if let Some(text) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        condition = condition.add(
            Condition::any()
                .add(customer::Column::CompanyName.like(like_contains(text)))
                .add(customer::Column::CustomerCode.like(like_contains(text))),
        );
        narrowed = true;
    }
    narrowed.then_some(condition)
}

/// Every customer's aging on `as_of`, sorted by overdue money (largest
/// first), then open money; with the totals of them all.
async fn aging_rows(
    db: &impl ConnectionTrait,
    query: &AgingQuery,
    scope: &DataScope,
    as_of: NaiveDate,
) -> AppResult<(Vec<(i64, CustomerAging)>, AgingMoney)> {
    let filter = customer_filter(query, scope);
    let subquery = |condition: Condition| {
        Query::select()
            .column(customer::Column::Id)
            .from(customer::Entity)
            .cond_where(condition)
            .to_owned()
    };
    let mut bills = bill::Entity::find()
        .select_only()
        .column(bill::Column::CustomerId)
        .column(bill::Column::DueDate)
        .column_as(
            Expr::col(bill::Column::Total).sub(Expr::col(bill::Column::Allocated)),
            "open",
        )
        .filter(bill::is_open());
    // Receipts not fully applied, per customer, from the maintained totals
    // (crate::db::totals): the rows of the few customers with such money,
    // not every receipt there is.
    let mut unapplied = Query::select();
    unapplied
        .columns(["customer_id", "amount", "allocated"].map(Alias::new))
        .from(Alias::new(UNAPPLIED_TOTALS.table));
    let open_bills = if db.get_database_backend() == DbBackend::Sqlite {
        packed_open_bills(db, filter.as_ref().map(|c| subquery(c.clone()))).await?
    } else {
        if let Some(condition) = &filter {
            bills = bills.filter(bill::Column::CustomerId.in_subquery(subquery(condition.clone())));
        }
        bills.into_tuple::<(i64, Option<NaiveDate>, i64)>().all(db).await?
    };
    if let Some(condition) = filter {
        unapplied.and_where(Expr::col(Alias::new("customer_id")).in_subquery(subquery(condition)));
    }
    let mut by_customer: HashMap<i64, CustomerAging> = HashMap::new();
    for (customer_id, due, open) in open_bills {
        let entry = by_customer.entry(customer_id).or_default();
        entry.aging.add(Fixed4::from_units(open), due, as_of);
        entry.open_bills += 1;
    }
    let mut unapplied_of: HashMap<i64, Total> = HashMap::new();
    let backend = db.get_database_backend();
    for row in db.query_all_raw(backend.build(&unapplied)).await? {
        let (amount, allocated): (i64, i64) = (row.try_get("", "amount")?, row.try_get("", "allocated")?);
        *unapplied_of.entry(row.try_get("", "customer_id")?).or_default() +=
            Total::from_units(i128::from(amount) - i128::from(allocated));
    }
    for (customer_id, open) in unapplied_of.into_iter().filter(|(_, open)| !open.is_zero()) {
        by_customer.entry(customer_id).or_default().unapplied += open;
    }
    let mut rows: Vec<(i64, CustomerAging)> = by_customer
        .into_iter()
        .filter(|(_, a)| query.overdue_only != Some(true) || !a.aging.overdue().is_zero())
        .collect();
    rows.sort_by(|(a_id, a), (b_id, b)| {
        b.aging
            .overdue()
            .cmp(&a.aging.overdue())
            .then(b.aging.outstanding().cmp(&a.aging.outstanding()))
            .then(a_id.cmp(b_id))
    });
    let mut total = AgingAmounts::default();
    let mut unapplied = Total::ZERO;
    for (_, row) in &rows {
        total += row.aging;
        unapplied += row.unapplied;
    }
    Ok((rows, AgingMoney::of(&total, unapplied)))
}

/// The open bills (customer, due date, money open) on SQLite, packed
/// (`db::packed`): sqlx hands SQLite rows over one at a time, and aging
/// reads every open bill (120,000 at 100,000 customers in the load test).
async fn packed_open_bills(
    db: &impl ConnectionTrait,
    customers: Option<sea_orm::sea_query::SelectStatement>,
) -> AppResult<Vec<(i64, Option<NaiveDate>, i64)>> {
    let statuses = BillStatus::OPEN.map(|s| format!("'{}'", s.code())).join(", ");
    let rows = packed::read(
        db,
        ["customer_id", "ifnull(due_date, char(2))", "total - allocated"],
        |sql| {
            sql.sql(&format!("bills WHERE status IN ({statuses})"));
            if let Some(customers) = &customers {
                // The filter's values are inlined by sea-query's SQLite
                // builder, which quotes and escapes them.
                sql.sql(" AND customer_id IN (")
                    .sql(&customers.to_string(sea_orm::sea_query::SqliteQueryBuilder))
                    .sql(")");
            }
        },
    )
    .await?;
    let mut open = Vec::with_capacity(rows.len());
    for [customer_id, due, money] in rows.rows() {
        let due = if due == packed::NULL {
            None
        } else {
            Some(
                NaiveDate::parse_from_str(due, "%Y-%m-%d")
                    .map_err(|_| AppError::Internal(anyhow::anyhow!("a bill's due date reads {due:?}")))?,
            )
        };
        open.push((packed::number(customer_id)?, due, packed::number(money)?));
    }
    Ok(open)
}

async fn row_views(db: &impl ConnectionTrait, rows: &[(i64, CustomerAging)]) -> AppResult<Vec<AgingRow>> {
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let customers = crate::customers::service::refs(db, ids.iter().copied()).await?;
    let owners: HashMap<i64, Option<i64>> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::SalesOwnerId)
        .filter(customer::Column::Id.is_in(ids))
        .into_tuple::<(i64, Option<i64>)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let names = display_names(db, owners.values().flatten().copied().collect::<Vec<_>>()).await?;
    Ok(rows
        .iter()
        .map(|(id, row)| AgingRow {
            customer: customers.get(id).cloned().unwrap_or_else(|| CustomerRef::missing(*id)),
            sales_owner: owners.get(id).copied().flatten().map(|o| UserRef::named(o, &names)),
            open_bills: row.open_bills,
            max_overdue_days: row.aging.max_overdue_days,
            money: AgingMoney::of(&row.aging, row.unapplied),
        })
        .collect())
}

pub async fn aging(
    db: &impl ConnectionTrait,
    query: &AgingQuery,
    scope: &DataScope,
    page: PageRequest,
) -> AppResult<AgingPage> {
    let as_of = query.as_of.unwrap_or_else(business_today);
    let (rows, totals) = aging_rows(db, query, scope, as_of).await?;
    let start = (page.offset() as usize).min(rows.len());
    let end = (start + page.page_size as usize).min(rows.len());
    Ok(AgingPage {
        items: row_views(db, &rows[start..end]).await?,
        total: rows.len() as u64,
        page: page.page,
        page_size: page.page_size,
        as_of,
        totals,
    })
}

const HEADERS: [&str; 14] = [
    "客户编号",
    "公司名称",
    "销售负责人",
    "未结账单数",
    "应收未结",
    "未到期",
    "逾期1-30天",
    "逾期31-60天",
    "逾期61-90天",
    "逾期90天以上",
    "逾期合计",
    "最长逾期天数",
    "预收余额",
    "净应收",
];

fn cells(row: &AgingRow) -> Vec<Value> {
    let m = &row.money;
    let money = Value::number::<Total>;
    vec![
        Value::Text(row.customer.customer_code.clone()),
        Value::Text(row.customer.company_name.clone()),
        Value::Text(
            row.sales_owner
                .as_ref()
                .map(|o| o.display_name.clone())
                .unwrap_or_default(),
        ),
        Value::number(row.open_bills),
        money(m.outstanding),
        money(m.not_due),
        money(m.d1_30),
        money(m.d31_60),
        money(m.d61_90),
        money(m.d90_plus),
        money(m.overdue),
        Value::number(row.max_overdue_days),
        money(m.unapplied),
        money(m.net),
    ]
}

/// The whole aging report as `.xlsx` or `.csv` bytes, a flag for CSV and a
/// file name.
pub async fn export(
    db: &impl ConnectionTrait,
    query: &AgingQuery,
    scope: &DataScope,
) -> AppResult<(Vec<u8>, bool, String)> {
    let format = ExportFormat::parse(query.format.as_deref())?;
    let as_of = query.as_of.unwrap_or_else(business_today);
    let (rows, totals) = aging_rows(db, query, scope, as_of).await?;
    let mut lines: Vec<Vec<Value>> = Vec::with_capacity(rows.len() + 1);
    for chunk in rows.chunks(1000) {
        lines.extend(row_views(db, chunk).await?.iter().map(cells));
    }
    let mut total_line = cells(&AgingRow {
        customer: CustomerRef {
            id: 0,
            customer_code: "合计".into(),
            company_name: format!("{} 个客户", rows.len()),
        },
        sales_owner: None,
        open_bills: rows.iter().map(|(_, r)| r.open_bills).sum(),
        max_overdue_days: rows.iter().map(|(_, r)| r.aging.max_overdue_days).max().unwrap_or(0),
        money: totals,
    });
    total_line[2] = Value::Text(format!("截至 {as_of}"));
    lines.push(total_line);
    let (bytes, name) = table_file(format, "账龄分析", &HEADERS, lines).await?;
    Ok((bytes, format == ExportFormat::Csv, name))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatementSummary {
    #[schema(value_type = String)]
    pub billed: Total,
    #[schema(value_type = String)]
    pub credited: Total,
    #[schema(value_type = String)]
    pub received: Total,
    #[schema(value_type = String)]
    pub allocated: Total,
    #[schema(value_type = String)]
    pub outstanding: Total,
    #[schema(value_type = String)]
    pub unapplied: Total,
    #[schema(value_type = String)]
    pub net: Total,
    #[schema(value_type = String)]
    pub overdue: Total,
    pub max_overdue_days: i64,
    pub aging: AgingMoney,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Statement {
    pub customer: CustomerRef,
    pub as_of: NaiveDate,
    pub summary: StatementSummary,
    pub bills: Vec<BillView>,
    pub payments: Vec<PaymentView>,
    pub allocations: Vec<AllocationView>,
    /// The period's movements and balances (`?from=&to=`; default the
    /// current month so far).
    pub ledger: super::statement::Ledger,
}

/// One customer's statement of account: issued bills (oldest first), live
/// payments, allocations (newest first) and the sums that tie them.
pub async fn statement(
    db: &impl ConnectionTrait,
    customer: &customer::Model,
    ledger: super::statement::Ledger,
) -> AppResult<Statement> {
    let as_of = business_today();
    let bill_rows = bill::Entity::find()
        .filter(bill::Column::CustomerId.eq(customer.id))
        .filter(bill::Column::Status.is_not_in([BillStatus::Draft.code(), BillStatus::Void.code()]))
        .order_by_asc(bill::Column::Period)
        .order_by_asc(bill::Column::Id)
        .all(db)
        .await?;
    let payment_rows = payment::Entity::find()
        .filter(payment::Column::CustomerId.eq(customer.id))
        .filter(payment::Column::IsDeleted.eq(false))
        .order_by_asc(payment::Column::ReceivedAt)
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?;
    let allocation_rows = allocation::Entity::find()
        .filter(allocation::Column::CustomerId.eq(customer.id))
        .order_by_desc(allocation::Column::Id)
        .all(db)
        .await?;
    let mut aging = AgingAmounts::default();
    let (mut billed, mut credited) = (Total::ZERO, Total::ZERO);
    for row in &bill_rows {
        billed += Fixed4::from_units(row.subtotal);
        credited += Fixed4::from_units(row.credited);
        if BillStatus::parse(&row.status).is_some_and(BillStatus::is_open) {
            // total ≥ allocated, both stored: the difference is a stored amount too.
            aging.add(Fixed4::from_units(row.total - row.allocated), row.due_date, as_of);
        }
    }
    let received: Total = payment_rows.iter().map(|p| Fixed4::from_units(p.amount)).sum();
    let applied: Total = payment_rows.iter().map(|p| Fixed4::from_units(p.allocated)).sum();
    let unapplied = received - applied;
    Ok(Statement {
        customer: CustomerRef {
            id: customer.id,
            customer_code: customer.customer_code.clone(),
            company_name: customer.company_name.clone(),
        },
        as_of,
        summary: StatementSummary {
            billed,
            credited,
            received,
            allocated: applied,
            outstanding: aging.outstanding(),
            unapplied,
            net: aging.outstanding() - unapplied,
            overdue: aging.overdue(),
            max_overdue_days: aging.max_overdue_days,
            aging: AgingMoney::of(&aging, unapplied),
        },
        bills: crate::bills::view::views(db, bill_rows, false).await?,
        payments: super::service::views(db, payment_rows, false).await?,
        allocations: allocation_views(db, allocation_rows).await?,
        ledger,
    })
}
