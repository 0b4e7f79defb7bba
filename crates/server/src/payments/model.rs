//! Request and response shapes of payments, allocations and receivables
//! (docs/api/payments.md).

use chrono::{DateTime, NaiveDate, Utc};
use opcms_domain::billing::BillStatus;
use opcms_domain::money::Total;
use opcms_domain::payments::{PaymentMethod, PaymentStatus, RawAllocation};
use opcms_domain::pricing::RawValue;
use opcms_domain::{Fixed4, Period};
use serde::{Deserialize, Serialize};

pub use crate::bills::model::CustomerRef;
use crate::users::service::UserRef;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AllocationView {
    pub id: i64,
    pub payment_id: i64,
    pub payment_no: String,
    pub bill_id: i64,
    pub bill_no: String,
    #[schema(required = true, value_type = Option<String>)]
    pub period: Option<Period>,
    pub customer_id: i64,
    #[schema(value_type = String)]
    pub amount: Fixed4,
    /// `active` | `reversed`
    #[schema(value_type = AllocationStatus)]
    pub status: String,
    pub created_at: DateTime<Utc>,
    #[schema(required = true)]
    pub created_by: Option<UserRef>,
    #[schema(required = true)]
    pub reversed_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub reversed_by: Option<UserRef>,
    #[schema(required = true)]
    pub reverse_reason: Option<String>,
}

/// A reversed allocation is kept, marked.
/// The field holds the code as a string; this names the codes in the
/// OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum AllocationStatus {
    Active,
    Reversed,
}

/// A payment. Lists leave `allocations` empty.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    pub id: i64,
    pub payment_no: String,
    #[schema(required = true)]
    pub customer: Option<CustomerRef>,
    #[schema(required = true)]
    pub customer_id: Option<i64>,
    #[schema(value_type = String)]
    pub amount: Fixed4,
    #[schema(value_type = String)]
    pub allocated: Fixed4,
    #[schema(value_type = String)]
    pub unapplied: Fixed4,
    pub status: PaymentStatus,
    pub received_at: NaiveDate,
    pub method: PaymentMethod,
    #[schema(required = true)]
    pub payer_name: Option<String>,
    #[schema(required = true)]
    pub reference: Option<String>,
    #[schema(required = true)]
    pub remarks: Option<String>,
    #[schema(value_type = PaymentSource)]
    pub source: String,
    pub allocations: Vec<AllocationView>,
    pub created_at: DateTime<Utc>,
    #[schema(required = true)]
    pub created_by: Option<UserRef>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// Entered by hand or read from a bank statement.
/// The field holds the code as a string; this names the codes in the
/// OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum PaymentSource {
    Manual,
    Import,
}

/// `POST /payments` and `PATCH /payments/{id}` (where every field is
/// optional and `version` guards against a lost update).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct PaymentInput {
    pub customer_id: Option<i64>,
    #[schema(value_type = Option<String>)]
    pub amount: Option<RawValue>,
    pub received_at: Option<String>,
    pub method: Option<String>,
    pub payer_name: Option<String>,
    pub reference: Option<String>,
    pub remarks: Option<String>,
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReasonInput {
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AllocateInput {
    #[serde(default)]
    pub allocations: Vec<RawAllocation>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedAllocation {
    pub id: i64,
    pub bill_id: i64,
    #[schema(value_type = String)]
    pub amount: Fixed4,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BillAfter {
    pub id: i64,
    pub bill_no: String,
    pub status: BillStatus,
    #[schema(value_type = String)]
    pub allocated: Fixed4,
    #[schema(value_type = String)]
    pub outstanding: Fixed4,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AllocateResult {
    pub payment: PaymentView,
    pub allocations: Vec<CreatedAllocation>,
    pub bills: Vec<BillAfter>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentQuery {
    pub q: Option<String>,
    pub customer_id: Option<i64>,
    pub method: Option<String>,
    /// Comma-separated `unapplied`, `partially_applied`, `applied`.
    pub status: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub unassigned: Option<bool>,
    pub sort: Option<String>,
    /// `xlsx` | `csv` (export only).
    pub format: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentTotals {
    pub count: u64,
    /// Sums are exact past the range of one stored amount (docs/api/payments.md).
    #[schema(value_type = String)]
    pub amount: Total,
    #[schema(value_type = String)]
    pub allocated: Total,
    #[schema(value_type = String)]
    pub unapplied: Total,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentPage {
    pub items: Vec<PaymentView>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
    pub totals: PaymentTotals,
}
