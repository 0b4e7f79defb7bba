//! What the customers API receives and answers, and the mapping between the
//! domain profile and the stored row.

use chrono::{DateTime, NaiveDate, Utc};
use opcms_domain::customer::normalize::name_key;
use opcms_domain::customer::{AccountStatus, DateInput, Profile, RawProfile, Series, SeriesInput};
use sea_orm::ActiveValue::Set;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::entity::customer;
use crate::crypto::{Binding, Keyring};
use crate::http::extract::present;
use crate::users::UserRef;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    /// Blank: generated as `C` + 6 digits.
    pub customer_code: Option<String>,
    pub company_name: Option<String>,
    pub credit_code: Option<String>,
    /// 房地产开发 | 物业管理 | 长租公寓 | 酒店 | 商业地产 | 其他 (synonyms accepted)
    pub industry: Option<String>,
    pub level: Option<String>,
    pub region: Option<String>,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub account_id: Option<String>,
    /// Default `trial`.
    pub account_status: Option<String>,
    pub device_series: Option<Vec<String>>,
    pub sales_owner_id: Option<i64>,
    pub ops_owner_id: Option<i64>,
    pub signed_at: Option<String>,
    pub contract_end_at: Option<String>,
    pub remarks: Option<String>,
    pub tags: Option<Vec<String>>,
    pub payment_terms_days: Option<i64>,
}

/// `CustomerPatch` and the list of the fields it touches, from one list.
macro_rules! customer_patch {
    ($($(#[doc = $doc:literal])* $field:ident: $ty:ty,)*) => {
        /// A partial update: absent fields stay, `null` clears an optional field.
        #[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct CustomerPatch {
            /// The `version` the client last saw; a stale one is a 409.
            pub version: Option<i32>,
            $(
                $(#[doc = $doc])*
                #[serde(default, deserialize_with = "present")]
                #[schema(value_type = Option<$ty>)]
                pub $field: Option<Option<$ty>>,
            )*
        }

        impl CustomerPatch {
            /// Names of the fields this patch touches (besides `version`).
            pub fn touched(&self) -> Vec<&'static str> {
                let mut names = Vec::new();
                $( if self.$field.is_some() { names.push(stringify!($field)); } )*
                names
            }
        }
    };
}

customer_patch! {
    customer_code: String,
    company_name: String,
    credit_code: String,
    industry: String,
    level: String,
    region: String,
    address: String,
    contact_name: String,
    contact_phone: String,
    contact_email: String,
    account_id: String,
    /// Refused unless unchanged: statuses move through `/status`.
    account_status: String,
    device_series: Vec<String>,
    sales_owner_id: i64,
    ops_owner_id: i64,
    signed_at: String,
    contract_end_at: String,
    remarks: String,
    tags: Vec<String>,
    payment_terms_days: i64,
}

/// Fields a sales user may change on their own customers (DESIGN.md §10:
/// contact fields; tags too, as sales' own annotations).
pub const SALES_EDITABLE: [&str; 4] = ["contact_name", "contact_phone", "contact_email", "tags"];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerView {
    pub id: i64,
    pub customer_code: String,
    pub company_name: String,
    #[schema(required = true)]
    pub credit_code: Option<String>,
    #[schema(required = true)]
    pub industry: Option<String>,
    #[schema(required = true, value_type = Option<opcms_domain::customer::Level>)]
    pub level: Option<String>,
    #[schema(required = true)]
    pub region: Option<String>,
    #[schema(required = true)]
    pub address: Option<String>,
    #[schema(required = true)]
    pub contact_name: Option<String>,
    #[schema(required = true)]
    pub contact_phone: Option<String>,
    #[schema(required = true)]
    pub contact_email: Option<String>,
    #[schema(required = true)]
    pub account_id: Option<String>,
    #[schema(value_type = opcms_domain::customer::AccountStatus)]
    pub account_status: String,
    /// Sorted, never empty.
    #[schema(value_type = Vec<opcms_domain::customer::Series>)]
    pub device_series: Vec<String>,
    #[schema(required = true)]
    pub sales_owner_id: Option<i64>,
    #[schema(required = true)]
    pub sales_owner: Option<UserRef>,
    #[schema(required = true)]
    pub ops_owner_id: Option<i64>,
    #[schema(required = true)]
    pub ops_owner: Option<UserRef>,
    #[schema(required = true)]
    pub signed_at: Option<NaiveDate>,
    #[schema(required = true)]
    pub contract_end_at: Option<NaiveDate>,
    #[schema(required = true)]
    pub remarks: Option<String>,
    pub tags: Vec<String>,
    /// The customer's price plan; absent without one, and for roles that
    /// may not see pricing (sales).
    #[schema(required = true)]
    pub price_plan: Option<PricePlanRef>,
    pub payment_terms_days: i32,
    pub version: i32,
    /// Statuses the caller may move this customer to by hand.
    #[schema(value_type = Vec<opcms_domain::customer::AccountStatus>)]
    pub allowed_transitions: Vec<String>,
    pub created_at: DateTime<Utc>,
    #[schema(required = true)]
    pub created_by: Option<i64>,
    pub updated_at: DateTime<Utc>,
    #[schema(required = true)]
    pub updated_by: Option<i64>,
    pub is_deleted: bool,
    #[schema(required = true)]
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PricePlanRef {
    pub id: i64,
    pub name: String,
}

pub fn series_of(row: &customer::Model) -> Vec<String> {
    [(row.series_l, "L"), (row.series_n, "N"), (row.series_x, "X")]
        .into_iter()
        .filter(|(has, _)| *has)
        .map(|(_, code)| code.to_string())
        .collect()
}

/// The encrypted contact columns are bound to the customer's code: it is
/// known before a row is inserted (imports encrypt whole batches before the
/// database assigns ids) and unique among live customers.
pub fn phone_binding(customer_code: &str) -> Binding {
    Binding::new("customers", "contact_phone_enc", customer_code)
}

pub fn email_binding(customer_code: &str) -> Binding {
    Binding::new("customers", "contact_email_enc", customer_code)
}

pub fn reveal_phone(keyring: &Keyring, row: &customer::Model) -> Option<String> {
    reveal(
        keyring,
        &phone_binding(&row.customer_code),
        &row.contact_phone_enc,
        row.id,
    )
}

pub fn reveal_email(keyring: &Keyring, row: &customer::Model) -> Option<String> {
    reveal(
        keyring,
        &email_binding(&row.customer_code),
        &row.contact_email_enc,
        row.id,
    )
}

/// Decrypts a stored contact value; an unreadable one (wrong key, or a
/// value copied from another row) shows as absent rather than failing the
/// whole page, and is logged.
fn reveal(keyring: &Keyring, binding: &Binding, stored: &Option<String>, customer_id: i64) -> Option<String> {
    let stored = stored.as_ref()?;
    match keyring.decrypt(binding, stored) {
        Ok(plain) => Some(plain),
        Err(err) => {
            tracing::error!(customer_id, error = %err, "cannot decrypt a contact field");
            None
        }
    }
}

/// The row's profile fields as the validator takes them, for merging a patch.
pub fn raw_from_row(row: &customer::Model, keyring: &Keyring) -> RawProfile {
    RawProfile {
        customer_code: Some(row.customer_code.clone()),
        company_name: Some(row.company_name.clone()),
        credit_code: row.credit_code.clone(),
        industry: row.industry.clone(),
        level: row.level.clone(),
        region: row.region.clone(),
        address: row.address.clone(),
        contact_name: row.contact_name.clone(),
        contact_phone: reveal_phone(keyring, row),
        contact_email: reveal_email(keyring, row),
        account_id: row.account_id.clone(),
        account_status: Some(row.account_status.clone()),
        device_series: Some(SeriesInput::List(series_of(row))),
        signed_at: row.signed_at.map(DateInput::Date),
        contract_end_at: row.contract_end_at.map(DateInput::Date),
        remarks: row.remarks.clone(),
    }
}

pub fn raw_from_input(input: &CustomerInput) -> RawProfile {
    RawProfile {
        customer_code: input.customer_code.clone(),
        company_name: input.company_name.clone(),
        credit_code: input.credit_code.clone(),
        industry: input.industry.clone(),
        level: input.level.clone(),
        region: input.region.clone(),
        address: input.address.clone(),
        contact_name: input.contact_name.clone(),
        contact_phone: input.contact_phone.clone(),
        contact_email: input.contact_email.clone(),
        account_id: input.account_id.clone(),
        account_status: input.account_status.clone(),
        device_series: input.device_series.clone().map(SeriesInput::List),
        signed_at: input.signed_at.clone().map(DateInput::Text),
        contract_end_at: input.contract_end_at.clone().map(DateInput::Text),
        remarks: input.remarks.clone(),
    }
}

/// Overlays a patch on the current values.
pub fn merge_patch(mut raw: RawProfile, patch: &CustomerPatch) -> RawProfile {
    macro_rules! overlay {
        ($($field:ident),*) => { $( if let Some(value) = &patch.$field { raw.$field = value.clone(); } )* };
    }
    overlay!(
        customer_code,
        company_name,
        credit_code,
        industry,
        level,
        region,
        address,
        contact_name,
        contact_phone,
        contact_email,
        account_id,
        account_status,
        remarks
    );
    if let Some(series) = &patch.device_series {
        raw.device_series = series.clone().map(SeriesInput::List);
    }
    if let Some(day) = &patch.signed_at {
        raw.signed_at = day.clone().map(DateInput::Text);
    }
    if let Some(day) = &patch.contract_end_at {
        raw.contract_end_at = day.clone().map(DateInput::Text);
    }
    raw
}

/// Lower-cased code, name, account and contact name: what `q` searches.
pub fn search_text(profile: &Profile, code: &str) -> String {
    let parts = [
        Some(code.to_string()),
        Some(profile.company_name.clone()),
        profile.account_id.clone(),
        profile.contact_name.clone(),
    ];
    parts.into_iter().flatten().collect::<Vec<_>>().join("|").to_lowercase()
}

pub fn phone_index(keyring: &Keyring, phone: &str) -> String {
    keyring.blind_index(&format!("phone:{phone}"))
}

pub fn email_index(keyring: &Keyring, email: &str) -> String {
    keyring.blind_index(&format!("email:{}", email.to_lowercase()))
}

/// A new customer row from a validated profile: version 1, live, created
/// and updated now by the actor.
pub fn new_row(
    profile: &Profile,
    code: &str,
    owners: (Option<i64>, Option<i64>),
    payment_terms_days: u32,
    actor_id: Option<i64>,
    now: DateTime<Utc>,
    keyring: &Keyring,
) -> anyhow::Result<customer::ActiveModel> {
    let mut row = customer::ActiveModel {
        account_status: Set(profile.account_status.code().into()),
        sales_owner_id: Set(owners.0),
        ops_owner_id: Set(owners.1),
        payment_terms_days: Set(payment_terms_days as i32),
        version: Set(1),
        created_at: Set(now),
        created_by: Set(actor_id),
        updated_at: Set(now),
        updated_by: Set(actor_id),
        is_deleted: Set(false),
        deleted_at: Set(None),
        ..Default::default()
    };
    apply_profile(&mut row, profile, code, keyring)?;
    Ok(row)
}

/// Writes a validated profile into the row's columns (all but owners, tags,
/// status, audit fields, which the caller sets).
pub fn apply_profile(
    row: &mut customer::ActiveModel,
    profile: &Profile,
    code: &str,
    keyring: &Keyring,
) -> anyhow::Result<()> {
    let has = |series: Series| profile.device_series.contains(&series);
    row.customer_code = Set(code.to_string());
    row.code_key = Set(Some(code.to_string()));
    row.company_name = Set(profile.company_name.clone());
    row.name_key = Set(Some(name_key(&profile.company_name)));
    row.credit_code = Set(profile.credit_code.clone());
    row.industry = Set(profile.industry.map(|i| i.label().to_string()));
    row.level = Set(profile.level.map(|l| l.code().to_string()));
    row.region = Set(profile.region.clone());
    row.address = Set(profile.address.clone());
    row.contact_name = Set(profile.contact_name.clone());
    row.contact_phone_enc = Set(profile
        .contact_phone
        .as_deref()
        .map(|p| keyring.encrypt(&phone_binding(code), p))
        .transpose()?);
    row.contact_phone_index = Set(profile.contact_phone.as_deref().map(|p| phone_index(keyring, p)));
    row.contact_email_enc = Set(profile
        .contact_email
        .as_deref()
        .map(|e| keyring.encrypt(&email_binding(code), e))
        .transpose()?);
    row.contact_email_index = Set(profile.contact_email.as_deref().map(|e| email_index(keyring, e)));
    row.account_id = Set(profile.account_id.clone());
    row.account_key = Set(profile.account_id.clone());
    row.series_x = Set(has(Series::X));
    row.series_n = Set(has(Series::N));
    row.series_l = Set(has(Series::L));
    row.signed_at = Set(profile.signed_at);
    row.contract_end_at = Set(profile.contract_end_at);
    row.remarks = Set(profile.remarks.clone());
    row.search_text = Set(search_text(profile, code));
    Ok(())
}

/// The audited view of a customer: business fields, contacts masked by the
/// audit module itself.
pub fn audit_view(row: &customer::Model, tags: &[String]) -> Value {
    json!({
        "customer_code": row.customer_code, "company_name": row.company_name, "credit_code": row.credit_code,
        "industry": row.industry, "level": row.level, "region": row.region, "address": row.address,
        "contact_name": row.contact_name,
        "contact_phone": row.contact_phone_index, "contact_email": row.contact_email_index,
        "account_id": row.account_id, "account_status": row.account_status, "device_series": series_of(row),
        "sales_owner_id": row.sales_owner_id, "ops_owner_id": row.ops_owner_id,
        "signed_at": row.signed_at, "contract_end_at": row.contract_end_at, "remarks": row.remarks,
        "tags": tags, "payment_terms_days": row.payment_terms_days,
    })
}

pub fn status_of(row: &customer::Model) -> AccountStatus {
    AccountStatus::parse(&row.account_status).unwrap_or(AccountStatus::Trial)
}

/// A customer as other records show it (a bill's, a payment's).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerRef {
    pub id: i64,
    pub customer_code: String,
    pub company_name: String,
}

impl CustomerRef {
    pub fn of(row: &customer::Model) -> CustomerRef {
        CustomerRef {
            id: row.id,
            customer_code: row.customer_code.clone(),
            company_name: row.company_name.clone(),
        }
    }

    /// The reference of a customer row that is gone (never expected: bills
    /// and payments keep their customer by foreign key).
    pub fn missing(id: i64) -> CustomerRef {
        CustomerRef {
            id,
            customer_code: String::new(),
            company_name: String::new(),
        }
    }
}
