//! `GET /payments/{id}/suggestions`: the customer's open bills and what to
//! allocate the payment to; for a payment without a customer, customers
//! ranked by the payer's name (rules: `opcms_domain::payments`).

use opcms_domain::billing::overdue_days;
use opcms_domain::payments::{OpenBill, SuggestionKind, match_payer, suggest};
use opcms_domain::{DataScope, Fixed4, Period};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use super::entity::payment;
use crate::bills::entity::bill;
use crate::calendar::business_today;
use crate::customers::entity::customer;
use crate::db::money::{decimal, money};
use crate::error::AppResult;

/// Open bills listed (oldest first) and searched.
const MAX_OPEN_BILLS: u64 = 500;
/// Customers proposed for a payment without one.
const MAX_CUSTOMERS: usize = 10;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OpenBillView {
    pub bill_id: i64,
    pub bill_no: String,
    #[schema(value_type = String)]
    pub period: Period,
    #[schema(required = true)]
    pub due_date: Option<chrono::NaiveDate>,
    #[schema(value_type = String)]
    pub total: Fixed4,
    #[schema(value_type = String)]
    pub allocated: Fixed4,
    #[schema(value_type = String)]
    pub outstanding: Fixed4,
    pub overdue_days: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuggestedLine {
    pub bill_id: i64,
    pub bill_no: String,
    #[schema(value_type = String)]
    pub period: Period,
    #[schema(value_type = String)]
    pub outstanding: Fixed4,
    #[schema(value_type = String)]
    pub amount: Fixed4,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuggestionView {
    pub kind: SuggestionKind,
    pub reason: String,
    #[schema(value_type = String)]
    pub total: Fixed4,
    pub allocations: Vec<SuggestedLine>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerSuggestion {
    pub customer_id: i64,
    pub customer_code: String,
    pub company_name: String,
    pub score: u8,
    pub reason: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Suggestions {
    pub payment_id: i64,
    #[schema(value_type = String)]
    pub unapplied: Fixed4,
    pub suggestions: Vec<SuggestionView>,
    pub open_bills: Vec<OpenBillView>,
    pub customers: Vec<CustomerSuggestion>,
}

fn fixed(value: rust_decimal::Decimal) -> Fixed4 {
    Fixed4::from_decimal(value).unwrap_or_default()
}

/// A customer's open bills, oldest first: by period, then due date (a bill
/// issued late has a later due date but is still the older debt).
pub async fn open_bills(db: &impl ConnectionTrait, customer_id: i64) -> AppResult<Vec<bill::Model>> {
    Ok(bill::Entity::find()
        .filter(bill::Column::CustomerId.eq(customer_id))
        .filter(bill::is_open())
        .order_by_asc(bill::Column::Period)
        .order_by_asc(bill::Column::DueDate)
        .order_by_asc(bill::Column::Id)
        .limit(MAX_OPEN_BILLS)
        .all(db)
        .await?)
}

pub async fn suggestions(db: &impl ConnectionTrait, scope: &DataScope, row: &payment::Model) -> AppResult<Suggestions> {
    let unapplied = row.amount - row.allocated;
    let mut result = Suggestions {
        payment_id: row.id,
        unapplied: money(unapplied),
        suggestions: Vec::new(),
        open_bills: Vec::new(),
        customers: Vec::new(),
    };
    let Some(customer_id) = row.customer_id else {
        result.customers = customers_by_payer(db, scope, row.payer_name.as_deref().unwrap_or_default()).await?;
        return Ok(result);
    };
    let today = business_today();
    let bills = open_bills(db, customer_id).await?;
    let open: Vec<OpenBill> = bills
        .iter()
        .map(|b| OpenBill {
            bill_id: b.id,
            bill_no: b.bill_no.clone(),
            period: Period::from_key(b.period).unwrap_or_else(|| Period::of_date(today)),
            due_date: b.due_date,
            outstanding: decimal(b.total - b.allocated),
        })
        .collect();
    if unapplied > 0 {
        result.suggestions = suggest(decimal(unapplied), &open)
            .into_iter()
            .map(|s| SuggestionView {
                kind: s.kind,
                reason: s.reason,
                total: fixed(s.total),
                allocations: s
                    .lines
                    .iter()
                    .map(|line| {
                        let bill = &open[line.bill];
                        SuggestedLine {
                            bill_id: bill.bill_id,
                            bill_no: bill.bill_no.clone(),
                            period: bill.period,
                            outstanding: fixed(bill.outstanding),
                            amount: fixed(line.amount),
                        }
                    })
                    .collect(),
            })
            .collect();
    }
    result.open_bills = bills
        .iter()
        .zip(&open)
        .map(|(b, o)| OpenBillView {
            bill_id: b.id,
            bill_no: b.bill_no.clone(),
            period: o.period,
            due_date: b.due_date,
            total: money(b.total),
            allocated: money(b.allocated),
            outstanding: money(b.total - b.allocated),
            overdue_days: b.due_date.map_or(0, |due| overdue_days(due, today)),
        })
        .collect();
    Ok(result)
}

/// Live customers in scope ranked by how well their name matches the payer.
async fn customers_by_payer(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    payer: &str,
) -> AppResult<Vec<CustomerSuggestion>> {
    if payer.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut select = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::CustomerCode)
        .column(customer::Column::CompanyName)
        .filter(customer::Column::IsDeleted.eq(false));
    if let Some(owners) = scope.owners() {
        select = select.filter(customer::Column::SalesOwnerId.is_in(owners.iter().copied()));
    }
    let rows = select.into_tuple::<(i64, String, String)>().all(db).await?;
    let mut ranked: Vec<CustomerSuggestion> = rows
        .into_iter()
        .filter_map(|(id, code, name)| {
            match_payer(payer, &name).map(|m| CustomerSuggestion {
                customer_id: id,
                customer_code: code,
                company_name: name,
                score: m.score,
                reason: m.reason,
            })
        })
        .collect();
    ranked.sort_by(|a, b| b.score.cmp(&a.score).then(a.customer_id.cmp(&b.customer_id)));
    ranked.truncate(MAX_CUSTOMERS);
    Ok(ranked)
}
