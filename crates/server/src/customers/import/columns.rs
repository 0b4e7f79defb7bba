//! The import's columns: which header texts name which field, and how a
//! spreadsheet cell becomes the text or date the profile validator takes.

use chrono::{Days, NaiveDate};
use opcms_domain::customer::{DateInput, Field, RawProfile, SeriesInput};
use rust_decimal::Decimal;

use crate::spreadsheet::header::{Columns, HeaderSpec};
use crate::spreadsheet::{Cell, Row};

/// The template's header first, then what staff sheets call the same thing.
pub const HEADERS: [HeaderSpec<Field>; 18] = [
    spec(Field::CustomerCode, &["客户编号", "客户编码", "客户代码", "编号"]),
    spec(
        Field::CompanyName,
        &["公司名称", "客户名称", "企业名称", "公司全称", "客户全称"],
    ),
    spec(
        Field::CreditCode,
        &["统一社会信用代码", "信用代码", "社会信用代码", "统一信用代码", "税号"],
    ),
    spec(Field::Industry, &["行业类型", "行业", "所属行业"]),
    spec(Field::Level, &["客户等级", "等级", "客户级别", "级别"]),
    spec(Field::Region, &["所在地区", "地区", "区域", "省市", "城市"]),
    spec(Field::Address, &["详细地址", "地址", "公司地址", "办公地址"]),
    spec(Field::ContactName, &["联系人", "联系人姓名", "对接人"]),
    spec(
        Field::ContactPhone,
        &["联系电话", "电话", "手机", "手机号", "手机号码", "联系方式"],
    ),
    spec(
        Field::ContactEmail,
        &["联系邮箱", "邮箱", "电子邮箱", "email", "e-mail"],
    ),
    spec(Field::AccountId, &["平台账号", "账号", "平台账号id", "账号id", "账户"]),
    spec(Field::AccountStatus, &["账号状态", "状态", "客户状态", "账户状态"]),
    spec(Field::DeviceSeries, &["设备系列", "系列", "设备类型", "产品系列"]),
    spec(Field::SalesOwner, &["销售负责人", "销售", "客户经理", "销售人员"]),
    spec(Field::OpsOwner, &["运营负责人", "运营", "运营人员", "运维负责人"]),
    spec(Field::SignedAt, &["签约日期", "签约时间", "签约日", "合同签订日期"]),
    spec(
        Field::ContractEndAt,
        &["合同到期日", "到期日", "到期日期", "合同到期日期", "合同截止日期"],
    ),
    spec(Field::Remarks, &["备注", "说明", "备注信息"]),
];

const fn spec(field: Field, names: &'static [&'static str]) -> HeaderSpec<Field> {
    HeaderSpec { field, names }
}

/// What one data row says, field by field; only columns the file has.
pub struct RowInput {
    pub raw: RawProfile,
    pub sales_owner: Option<String>,
    pub ops_owner: Option<String>,
}

/// `1.3800138E10` (a phone Excel turned into a number, then into text) back
/// to `13800138000`; anything else unchanged.
fn plain_number(text: &str) -> String {
    let trimmed = text.trim();
    if trimmed.contains(['e', 'E'])
        && let Ok(value) = Decimal::from_scientific(trimmed)
        && value.fract().is_zero()
    {
        return value.trunc().to_string();
    }
    text.to_string()
}

/// Days since 1899-12-30: a date cell whose format was lost shows as a
/// five-digit number (45356 is 2024-03-05). Eight digits (20240305) are
/// left to the text rules.
fn excel_serial(text: &str) -> Option<NaiveDate> {
    let days: u64 = text.trim().parse().ok()?;
    if !(10_000..=99_999).contains(&days) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(Days::new(days))
}

fn date_input(cell: &Cell) -> Option<DateInput> {
    match cell {
        Cell::Date(day) => Some(DateInput::Date(*day)),
        Cell::Number(text) => Some(excel_serial(text).map_or_else(|| DateInput::Text(text.clone()), DateInput::Date)),
        Cell::Empty => None,
        other => Some(DateInput::Text(other.text())),
    }
}

fn text(cell: &Cell) -> Option<String> {
    (!cell.is_blank()).then(|| cell.text())
}

pub fn row_input(row: &Row, columns: &Columns<Field>) -> RowInput {
    let mut input = RowInput {
        raw: RawProfile::default(),
        sales_owner: None,
        ops_owner: None,
    };
    let raw = &mut input.raw;
    for &(column, field) in &columns.fields {
        let cell = row.cell(column);
        if cell.is_blank() {
            continue;
        }
        match field {
            Field::CustomerCode => raw.customer_code = text(cell),
            Field::CompanyName => raw.company_name = text(cell),
            Field::CreditCode => raw.credit_code = text(cell),
            Field::Industry => raw.industry = text(cell),
            Field::Level => raw.level = text(cell),
            Field::Region => raw.region = text(cell),
            Field::Address => raw.address = text(cell),
            Field::ContactName => raw.contact_name = text(cell),
            Field::ContactPhone => raw.contact_phone = text(cell).map(|t| plain_number(&t)),
            Field::ContactEmail => raw.contact_email = text(cell),
            Field::AccountId => raw.account_id = text(cell),
            Field::AccountStatus => raw.account_status = text(cell),
            Field::DeviceSeries => raw.device_series = text(cell).map(SeriesInput::Text),
            Field::SalesOwner => input.sales_owner = text(cell).map(|t| t.trim().to_string()),
            Field::OpsOwner => input.ops_owner = text(cell).map(|t| t.trim().to_string()),
            Field::SignedAt => raw.signed_at = date_input(cell),
            Field::ContractEndAt => raw.contract_end_at = date_input(cell),
            Field::Remarks => raw.remarks = text(cell),
        }
    }
    input
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_in_scientific_notation_is_written_out() {
        assert_eq!(plain_number("1.3800138E10"), "13800138000");
        assert_eq!(plain_number("1.38001E+10"), "13800100000");
        assert_eq!(plain_number("021-12345678"), "021-12345678");
        assert_eq!(plain_number("1.5E0"), "1.5E0");
    }

    #[test]
    fn a_five_digit_number_in_a_date_column_is_an_excel_serial() {
        assert_eq!(excel_serial("45356"), NaiveDate::from_ymd_opt(2024, 3, 5));
        assert_eq!(excel_serial("20240305"), None);
    }

    #[test]
    fn every_field_has_the_template_header_first() {
        for spec in &HEADERS {
            assert_eq!(spec.names[0], spec.field.header());
        }
        assert_eq!(HEADERS.len(), Field::ALL.len());
    }
}
