//! The whole customer profile: every field of DESIGN.md §3 validated at once,
//! so the API, the importer and the UI report the same problems with the
//! same words. Input is text as received (a form field or a spreadsheet
//! cell); output is typed, normalized values.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::credit_code;
use super::fields::*;
use super::normalize::{clean, clean_name};
use crate::validation::{FieldError, FieldErrors};

/// The 18 business fields of DESIGN.md §3, written once: each with its JSON
/// name and its import/export column header. The enum, [`Field::ALL`],
/// [`Field::name`] and [`Field::header`] are generated from this table; the
/// server's import columns, export, template and report all iterate it.
macro_rules! customer_fields {
    ($($field:ident => $name:literal, $header:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Field {
            $($field,)*
        }

        impl Field {
            pub const ALL: [Field; customer_fields!(@count $($field)*)] = [$(Field::$field,)*];

            /// The JSON field name. Owners are `sales_owner_id`/`ops_owner_id` in the API.
            pub fn name(self) -> &'static str {
                match self {
                    $(Field::$field => $name,)*
                }
            }

            /// The Chinese column header of the import template and the export.
            pub fn header(self) -> &'static str {
                match self {
                    $(Field::$field => $header,)*
                }
            }
        }
    };
    (@count $($field:ident)*) => { 0 $(+ { let _ = stringify!($field); 1 })* };
}

customer_fields! {
    CustomerCode => "customer_code", "客户编号";
    CompanyName => "company_name", "公司名称";
    CreditCode => "credit_code", "统一社会信用代码";
    Industry => "industry", "行业类型";
    Level => "level", "客户等级";
    Region => "region", "所在地区";
    Address => "address", "详细地址";
    ContactName => "contact_name", "联系人";
    ContactPhone => "contact_phone", "联系电话";
    ContactEmail => "contact_email", "联系邮箱";
    AccountId => "account_id", "平台账号";
    AccountStatus => "account_status", "账号状态";
    DeviceSeries => "device_series", "设备系列";
    SalesOwner => "sales_owner_id", "销售负责人";
    OpsOwner => "ops_owner_id", "运营负责人";
    SignedAt => "signed_at", "签约日期";
    ContractEndAt => "contract_end_at", "合同到期日";
    Remarks => "remarks", "备注";
}

impl Field {
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn from_header(header: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.header() == header)
    }

    fn error(self, code: &'static str, message: impl Into<String>) -> FieldError {
        FieldError::new(self.name(), code, message)
    }
}

/// A date as received: typed text, or a real date (an Excel date cell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateInput {
    Text(String),
    Date(NaiveDate),
}

/// The series as received: one text ("N、L") or a list (`["X","N"]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeriesInput {
    Text(String),
    List(Vec<String>),
}

/// The raw profile's fields, listed once: the struct and its overlay are
/// generated together, so a new field cannot be left out of either.
macro_rules! raw_profile {
    ($($field:ident: $kind:ty,)*) => {
        /// The profile fields as received, each optional. Owners are resolved
        /// by the caller (ids in the API, names on import) and are not part of
        /// this validation.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct RawProfile {
            $(pub $field: Option<$kind>,)*
        }

        impl RawProfile {
            /// Lays `newer`'s values over these: a field `newer` has replaces
            /// this one's, a field it lacks keeps what is here (an import
            /// never erases).
            pub fn overlay(&mut self, newer: &RawProfile) {
                $(if newer.$field.is_some() {
                    self.$field = newer.$field.clone();
                })*
            }
        }
    };
}

raw_profile! {
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
    account_status: String,
    device_series: SeriesInput,
    signed_at: DateInput,
    contract_end_at: DateInput,
    remarks: String,
}

/// A valid profile, normalized. `customer_code` None means "generate one".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub customer_code: Option<String>,
    pub company_name: String,
    pub credit_code: Option<String>,
    pub industry: Option<Industry>,
    pub level: Option<Level>,
    pub region: Option<String>,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub account_id: Option<String>,
    pub account_status: AccountStatus,
    pub device_series: BTreeSet<Series>,
    pub signed_at: Option<NaiveDate>,
    pub contract_end_at: Option<NaiveDate>,
    pub remarks: Option<String>,
}

impl Profile {
    /// The fields whose normalized values differ between two profiles, in
    /// template order: what an ERP record would change in a stored one.
    pub fn differing_fields(&self, other: &Profile) -> Vec<Field> {
        let mut fields = Vec::new();
        let mut check = |differs: bool, field: Field| {
            if differs {
                fields.push(field);
            }
        };
        check(self.customer_code != other.customer_code, Field::CustomerCode);
        check(self.company_name != other.company_name, Field::CompanyName);
        check(self.credit_code != other.credit_code, Field::CreditCode);
        check(self.industry != other.industry, Field::Industry);
        check(self.level != other.level, Field::Level);
        check(self.region != other.region, Field::Region);
        check(self.address != other.address, Field::Address);
        check(self.contact_name != other.contact_name, Field::ContactName);
        check(self.contact_phone != other.contact_phone, Field::ContactPhone);
        check(self.contact_email != other.contact_email, Field::ContactEmail);
        check(self.account_id != other.account_id, Field::AccountId);
        check(self.account_status != other.account_status, Field::AccountStatus);
        check(self.device_series != other.device_series, Field::DeviceSeries);
        check(self.signed_at != other.signed_at, Field::SignedAt);
        check(self.contract_end_at != other.contract_end_at, Field::ContractEndAt);
        check(self.remarks != other.remarks, Field::Remarks);
        fields
    }
}

impl RawProfile {
    /// One field as text, for showing a person (owners are not here).
    pub fn text_of(&self, field: Field) -> Option<String> {
        let date = |d: &Option<DateInput>| {
            d.as_ref().map(|d| match d {
                DateInput::Text(t) => t.clone(),
                DateInput::Date(d) => d.to_string(),
            })
        };
        match field {
            Field::CustomerCode => self.customer_code.clone(),
            Field::CompanyName => self.company_name.clone(),
            Field::CreditCode => self.credit_code.clone(),
            Field::Industry => self.industry.clone(),
            Field::Level => self.level.clone(),
            Field::Region => self.region.clone(),
            Field::Address => self.address.clone(),
            Field::ContactName => self.contact_name.clone(),
            Field::ContactPhone => self.contact_phone.clone(),
            Field::ContactEmail => self.contact_email.clone(),
            Field::AccountId => self.account_id.clone(),
            Field::AccountStatus => self.account_status.clone(),
            Field::DeviceSeries => self.device_series.as_ref().map(|s| match s {
                SeriesInput::Text(t) => t.clone(),
                SeriesInput::List(items) => items.join("、"),
            }),
            Field::SignedAt => date(&self.signed_at),
            Field::ContractEndAt => date(&self.contract_end_at),
            Field::Remarks => self.remarks.clone(),
            Field::SalesOwner | Field::OpsOwner => None,
        }
    }
}

pub const COMPANY_NAME_MAX: usize = 100;

fn max_len(field: Field, value: Option<String>, limit: usize) -> Result<Option<String>, FieldError> {
    match value {
        Some(v) if v.chars().count() > limit => {
            Err(field.error("TOO_LONG", format!("{}不能超过 {limit} 个字符", field.header())))
        }
        other => Ok(other),
    }
}

fn date(field: Field, input: &Option<DateInput>) -> Result<Option<NaiveDate>, FieldError> {
    match input {
        None => Ok(None),
        Some(DateInput::Date(day)) => Ok(Some(*day)),
        Some(DateInput::Text(text)) if clean(text).is_none() => Ok(None),
        Some(DateInput::Text(text)) => parse_date_text(text).map(Some).ok_or_else(|| {
            field.error(
                "INVALID_DATE",
                format!("{}不是有效日期，应为 2024-03-05 或 2024/3/5 等格式", field.header()),
            )
        }),
    }
}

/// Validates every field, reporting every problem.
pub fn validate(raw: &RawProfile) -> Result<Profile, Vec<FieldError>> {
    let mut errors = FieldErrors::new();
    let text = |v: &Option<String>| v.as_deref().and_then(clean);

    let customer_code = match text(&raw.customer_code) {
        None => None,
        Some(code) => errors.check(parse_customer_code(&code).ok_or_else(|| {
            Field::CustomerCode.error(
                "INVALID_CUSTOMER_CODE",
                "客户编号只能包含字母、数字、- 和 _，最长 32 位",
            )
        })),
    };
    let company_name = match raw.company_name.as_deref().and_then(clean_name) {
        None => {
            errors.push(Field::CompanyName.error("REQUIRED", "公司名称不能为空"));
            None
        }
        Some(name) => errors
            .check(max_len(Field::CompanyName, Some(name), COMPANY_NAME_MAX))
            .flatten(),
    };
    let credit_code = match text(&raw.credit_code).map(|c| c.to_uppercase()) {
        None => None,
        Some(code) if code.len() != 18 => {
            errors.push(Field::CreditCode.error("INVALID_CREDIT_CODE", "统一社会信用代码应为 18 位"));
            None
        }
        Some(code) if !credit_code::is_valid(&code) => {
            errors.push(Field::CreditCode.error("INVALID_CREDIT_CODE", "统一社会信用代码校验位不正确"));
            None
        }
        Some(code) => Some(code),
    };
    let industry = match text(&raw.industry) {
        None => None,
        Some(value) => errors.check(Industry::parse(&value).ok_or_else(|| {
            Field::Industry.error(
                "UNKNOWN_INDUSTRY",
                "行业类型须为 房地产开发、物业管理、长租公寓、酒店、商业地产 或 其他",
            )
        })),
    };
    let level = match text(&raw.level) {
        None => None,
        Some(value) => errors
            .check(Level::parse(&value).ok_or_else(|| Field::Level.error("UNKNOWN_LEVEL", "客户等级须为 A、B 或 C"))),
    };
    let region = errors
        .check(max_len(Field::Region, raw.region.as_deref().and_then(clean_name), 50))
        .flatten();
    let address = errors
        .check(max_len(
            Field::Address,
            raw.address.as_deref().and_then(clean_name),
            200,
        ))
        .flatten();
    let contact_name = errors
        .check(max_len(
            Field::ContactName,
            raw.contact_name.as_deref().and_then(clean_name),
            50,
        ))
        .flatten();
    let contact_phone = match text(&raw.contact_phone) {
        None => None,
        Some(value) => errors.check(parse_phone(&value).ok_or_else(|| {
            Field::ContactPhone.error(
                "INVALID_PHONE",
                "联系电话格式不正确：手机号为 1 开头的 11 位数字，座机为 0 开头的区号加 7–8 位号码",
            )
        })),
    };
    let contact_email = match text(&raw.contact_email) {
        None => None,
        Some(value) => errors
            .check(parse_email(&value).ok_or_else(|| Field::ContactEmail.error("INVALID_EMAIL", "联系邮箱格式不正确"))),
    };
    let account_id = match text(&raw.account_id) {
        None => None,
        Some(value) => errors.check(parse_account_id(&value).ok_or_else(|| {
            Field::AccountId.error(
                "INVALID_ACCOUNT_ID",
                "平台账号只能包含字母、数字和符号，不能有空格，最长 64 位",
            )
        })),
    };
    let account_status = match text(&raw.account_status) {
        None => Some(AccountStatus::Trial),
        Some(value) => errors.check(AccountStatus::parse(&value).ok_or_else(|| {
            Field::AccountStatus.error("UNKNOWN_STATUS", "账号状态须为 试用、正式、欠费、暂停 或 已注销")
        })),
    };
    let series = match &raw.device_series {
        None => Ok(BTreeSet::new()),
        Some(SeriesInput::Text(text)) => parse_series_text(text),
        Some(SeriesInput::List(list)) => parse_series_tokens(list.iter().map(String::as_str)),
    };
    let device_series = match series {
        Ok(set) if set.is_empty() => {
            errors.push(Field::DeviceSeries.error("REQUIRED", "设备系列至少选择 X、N、L 中的一个"));
            None
        }
        Ok(set) => Some(set),
        Err(unknown) => {
            errors.push(Field::DeviceSeries.error(
                "UNKNOWN_SERIES",
                format!("设备系列只能是 X、N、L，无法识别：{}", unknown.join("、")),
            ));
            None
        }
    };
    let signed_at = errors.check(date(Field::SignedAt, &raw.signed_at)).flatten();
    let contract_end_at = errors.check(date(Field::ContractEndAt, &raw.contract_end_at)).flatten();
    if let (Some(signed), Some(end)) = (signed_at, contract_end_at)
        && end < signed
    {
        errors.push(Field::ContractEndAt.error("END_BEFORE_SIGNED", "合同到期日不能早于签约日期"));
    }
    let remarks = errors
        .check(max_len(Field::Remarks, raw.remarks.as_deref().and_then(clean), 500))
        .flatten();

    match (company_name, account_status, device_series) {
        (Some(company_name), Some(account_status), Some(device_series)) if errors.is_empty() => Ok(Profile {
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
            device_series,
            signed_at,
            contract_end_at,
            remarks,
        }),
        _ => Err(errors.into_vec()),
    }
}

/// Tags: trimmed, de-duplicated, 1–20 characters each, at most 20.
pub fn validate_tags(tags: &[String]) -> Result<Vec<String>, FieldError> {
    let mut cleaned: Vec<String> = Vec::new();
    for tag in tags {
        let Some(tag) = clean_name(tag) else { continue };
        if tag.chars().count() > 20 {
            return Err(FieldError::new("tags", "TAG_TOO_LONG", "每个标签不能超过 20 个字符"));
        }
        if !cleaned.contains(&tag) {
            cleaned.push(tag);
        }
    }
    if cleaned.len() > 20 {
        return Err(FieldError::new("tags", "TOO_MANY_TAGS", "标签不能超过 20 个"));
    }
    Ok(cleaned)
}

/// Payment terms: days after the period end, 0–365 (default 15).
pub fn validate_payment_terms(days: i64) -> Result<u32, FieldError> {
    u32::try_from(days)
        .ok()
        .filter(|d| *d <= 365)
        .ok_or_else(|| FieldError::new("payment_terms_days", "OUT_OF_RANGE", "账期须为 0 到 365 天"))
}

pub const DEFAULT_PAYMENT_TERMS_DAYS: u32 = 15;

#[cfg(test)]
mod tests {
    use super::*;

    fn valid_raw() -> RawProfile {
        RawProfile {
            customer_code: Some("C100006".into()),
            company_name: Some("上海锦城不动产股份有限公司".into()),
            credit_code: Some("91350100M000100Y43".into()),
            industry: Some("物业服务".into()),
            level: Some("战略客户".into()),
            contact_phone: Some("19632056966".into()),
            contact_email: Some("li@example.cn".into()),
            account_status: Some("正常".into()),
            device_series: Some(SeriesInput::Text("N、L、X".into())),
            signed_at: Some(DateInput::Text("2019-08-20".into())),
            contract_end_at: Some(DateInput::Text("2022.08.19".into())),
            ..RawProfile::default()
        }
    }

    #[test]
    fn a_typical_row_normalizes() {
        let profile = validate(&valid_raw()).unwrap();
        assert_eq!(profile.industry, Some(Industry::PropertyManagement));
        assert_eq!(profile.level, Some(Level::A));
        assert_eq!(profile.account_status, AccountStatus::Active);
        assert_eq!(
            profile.device_series.iter().map(|s| s.code()).collect::<Vec<_>>(),
            ["L", "N", "X"]
        );
        assert_eq!(profile.contract_end_at, NaiveDate::from_ymd_opt(2022, 8, 19));
    }

    #[test]
    fn only_name_and_series_are_required_and_status_defaults_to_trial() {
        let raw = RawProfile {
            company_name: Some("某公司".into()),
            device_series: Some(SeriesInput::List(vec!["x".into()])),
            ..RawProfile::default()
        };
        let profile = validate(&raw).unwrap();
        assert_eq!(profile.account_status, AccountStatus::Trial);
        assert_eq!(profile.customer_code, None);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let raw = RawProfile {
            company_name: Some("  ".into()),
            credit_code: Some("91350100M000100Y44".into()),
            industry: Some("农业".into()),
            contact_phone: Some("1381234".into()),
            contact_email: Some("abc@".into()),
            device_series: Some(SeriesInput::Text("X、Q".into())),
            signed_at: Some(DateInput::Text("去年".into())),
            ..RawProfile::default()
        };
        let errors = validate(&raw).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "company_name",
                "credit_code",
                "industry",
                "contact_phone",
                "contact_email",
                "device_series",
                "signed_at"
            ]
        );
    }

    #[test]
    fn a_contract_cannot_end_before_it_is_signed() {
        let mut raw = valid_raw();
        raw.contract_end_at = Some(DateInput::Text("2018-01-01".into()));
        let errors = validate(&raw).unwrap_err();
        assert_eq!(errors[0].field, "contract_end_at");
        assert_eq!(errors[0].code, "END_BEFORE_SIGNED");
    }

    #[test]
    fn real_date_cells_are_taken_as_they_are() {
        let mut raw = valid_raw();
        raw.contract_end_at = Some(DateInput::Date(NaiveDate::from_ymd_opt(2023, 8, 24).unwrap()));
        assert_eq!(
            validate(&raw).unwrap().contract_end_at,
            NaiveDate::from_ymd_opt(2023, 8, 24)
        );
    }

    #[test]
    fn every_field_has_a_header_and_round_trips() {
        for field in Field::ALL {
            assert_eq!(Field::from_header(field.header()), Some(field));
            assert_eq!(Field::from_name(field.name()), Some(field));
        }
    }

    #[test]
    fn tags_are_trimmed_deduplicated_and_bounded() {
        assert_eq!(
            validate_tags(&[" VIP ".into(), "VIP".into(), "".into()]).unwrap(),
            ["VIP"]
        );
        assert!(validate_tags(&["字".repeat(21)]).is_err());
        assert!(validate_tags(&(0..21).map(|i| i.to_string()).collect::<Vec<_>>()).is_err());
    }
}
