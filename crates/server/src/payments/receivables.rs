//! What customers owe: the aging report (`GET /receivables/aging`, by
//! customer and bucket, with unapplied money as a balance) and one
//! customer's statement of account (`GET /customers/{id}/statement`).

use chrono::NaiveDate;
use opcms_domain::billing::BillStatus;
use opcms_domain::money::Total;
use opcms_domain::payments::AgingAmounts;
use opcms_domain::{DataScope, Fixed4};
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use super::entity::{allocation, payment};
use super::model::{AllocationView, CustomerRef, PaymentView};
use super::service::allocation_views;
use crate::analytics::snapshot::{self, Need, aging_row};
use crate::bills::entity::bill;
use crate::bills::model::BillView;
use crate::calendar::business_today;
use crate::customers::entity::customer;
use crate::db::migrations::AGING_TOTALS;
use crate::db::totals as maintained;
use crate::db::{SplitUnits, count_and_sums, like_contains};
use crate::error::{AppError, AppResult};
use crate::http::pagination::PageRequest;
use crate::spreadsheet::write::{ExportFormat, Value, table_file};
use crate::state::AppState;
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

/// The report's rows on `as_of` that the filter and the scope keep, in
/// report order (overdue money, then open money, largest first; one page,
/// or all when `page` is None), how many they are and their totals: read
/// from the aging snapshot (`analytics::snapshot`), made current first, the
/// totals from its maintained totals (`totals_aging`) unless a search
/// narrows the rows.
async fn select(
    state: &AppState,
    query: &AgingQuery,
    scope: &DataScope,
    as_of: NaiveDate,
    page: Option<PageRequest>,
) -> AppResult<(Vec<AgingRow>, u64, AgingMoney)> {
    snapshot::prepare(state, Some(Need::Aging(as_of))).await?;
    let db = &state.db;
    let mut rows = aging_row::Entity::find().filter(aging_row::Column::AsOf.eq(as_of));
    if let Some(owners) = scope.owners() {
        rows = rows.filter(aging_row::Column::OwnerId.is_in(owners.iter().copied()));
    }
    if let Some(owner) = query.owner_id {
        rows = rows.filter(aging_row::Column::OwnerId.eq(owner));
    }
    if query.overdue_only == Some(true) {
        rows = rows.filter(
            Condition::any()
                .add(aging_row::Column::OverdueHi.ne(0))
                .add(aging_row::Column::OverdueLo.ne(0)),
        );
    }
    let search = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let has_search = search.is_some();
    if let Some(text) = search {
        // The snapshot's `search` holds the code and the name, lower-cased.
        rows = rows.filter(aging_row::Column::Search.like(like_contains(&text.to_lowercase())));
    }
    let (total, sums) = if has_search {
        count_and_sums(db, rows.clone(), AGING_TOTALS.sums).await?
    } else {
        // Without a search the filter is one of the maintained totals' keys.
        let mut keys = Condition::all().add(Expr::col(Alias::new("as_of")).eq(as_of));
        if let Some(owners) = scope.owners() {
            keys = keys.add(Expr::col(Alias::new("owner_id")).is_in(owners.iter().copied()));
        }
        if let Some(owner) = query.owner_id {
            keys = keys.add(Expr::col(Alias::new("owner_id")).eq(owner));
        }
        if query.overdue_only == Some(true) {
            keys = keys.add(Expr::col(Alias::new("overdue")).eq(1));
        }
        let summed = maintained::sum(db, &AGING_TOTALS, keys).await?;
        (summed.count, summed.sums)
    };
    let joined: Vec<Total> = sums.chunks(2).map(|part| SplitUnits::join(part[0], part[1])).collect();
    let [not_due, d1_30, d31_60, d61_90, d90_plus, unapplied] = joined[..] else {
        return Err(AppError::Internal(anyhow::anyhow!("aging totals: {} sums", sums.len())));
    };
    let totals = AgingAmounts {
        not_due,
        d1_30,
        d31_60,
        d61_90,
        d90_plus,
        max_overdue_days: 0,
    };
    let mut rows = rows
        .order_by_desc(aging_row::Column::OverdueHi)
        .order_by_desc(aging_row::Column::OverdueLo)
        .order_by_desc(aging_row::Column::OutstandingHi)
        .order_by_desc(aging_row::Column::OutstandingLo)
        .order_by_asc(aging_row::Column::CustomerId);
    if let Some(page) = page {
        rows = rows.offset(page.offset()).limit(page.page_size);
    }
    let rows = rows.all(db).await?;
    let names = display_names(
        db,
        rows.iter().map(|r| r.owner_id).filter(|o| *o != 0).collect::<Vec<_>>(),
    )
    .await?;
    let money = |hi: i64, lo: i64| SplitUnits { hi, lo }.total();
    let items = rows
        .into_iter()
        .map(|row| AgingRow {
            sales_owner: (row.owner_id != 0).then(|| UserRef::named(row.owner_id, &names)),
            open_bills: u32::try_from(row.open_bills).unwrap_or(0),
            max_overdue_days: row.max_overdue_days,
            money: AgingMoney::of(
                &AgingAmounts {
                    not_due: money(row.not_due_hi, row.not_due_lo),
                    d1_30: money(row.d1_30_hi, row.d1_30_lo),
                    d31_60: money(row.d31_60_hi, row.d31_60_lo),
                    d61_90: money(row.d61_90_hi, row.d61_90_lo),
                    d90_plus: money(row.d90_plus_hi, row.d90_plus_lo),
                    max_overdue_days: row.max_overdue_days,
                },
                money(row.unapplied_hi, row.unapplied_lo),
            ),
            customer: CustomerRef {
                id: row.customer_id,
                customer_code: row.customer_code,
                company_name: row.company_name,
            },
        })
        .collect();
    Ok((items, total, AgingMoney::of(&totals, unapplied)))
}

pub async fn aging(state: &AppState, query: &AgingQuery, scope: &DataScope, page: PageRequest) -> AppResult<AgingPage> {
    let as_of = query.as_of.unwrap_or_else(business_today);
    let (items, total, totals) = select(state, query, scope, as_of, Some(page)).await?;
    Ok(AgingPage {
        items,
        total,
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
pub async fn export(state: &AppState, query: &AgingQuery, scope: &DataScope) -> AppResult<(Vec<u8>, bool, String)> {
    let format = ExportFormat::parse(query.format.as_deref())?;
    let as_of = query.as_of.unwrap_or_else(business_today);
    let (rows, _, totals) = select(state, query, scope, as_of, None).await?;
    let mut lines: Vec<Vec<Value>> = Vec::with_capacity(rows.len() + 1);
    lines.extend(rows.iter().map(cells));
    let mut total_line = cells(&AgingRow {
        customer: CustomerRef {
            id: 0,
            customer_code: "合计".into(),
            company_name: format!("{} 个客户", rows.len()),
        },
        sales_owner: None,
        open_bills: rows.iter().map(|r| r.open_bills).sum(),
        max_overdue_days: rows.iter().map(|r| r.max_overdue_days).max().unwrap_or(0),
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
