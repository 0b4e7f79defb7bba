//! The values a template's variables take: money as printed, the company's
//! details, a bill's and its customer's.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use opcms_domain::settings::Settings;

use crate::bills::entity::bill;
use crate::customers::entity::customer;
use crate::db::money::decimal;

/// Money as the templates print it: `12,345.60`.
pub fn amount(units: i64) -> String {
    opcms_domain::billing::grouped(decimal(units))
}

/// The company variables every customer template may use.
pub fn company_values(settings: &Settings) -> BTreeMap<&'static str, String> {
    let company = &settings.company;
    // Until 公司信息 is filled in, a message still reads naturally.
    let name = if company.name.trim().is_empty() {
        "我司"
    } else {
        company.name.as_str()
    };
    BTreeMap::from([
        ("company_name", name.to_string()),
        ("company_phone", company.phone.clone()),
        ("bank_name", company.bank_name.clone()),
        ("bank_account", company.bank_account.clone()),
    ])
}

/// A bill's variables (and its customer's) for `bill.issued` and
/// `bill.overdue`; `today` gives the days overdue.
pub fn bill_values(
    settings: &Settings,
    row: &bill::Model,
    customer: &customer::Model,
    today: NaiveDate,
) -> BTreeMap<&'static str, String> {
    let mut values = company_values(settings);
    let period = opcms_domain::Period::from_key(row.period).map_or_else(String::new, |p| p.to_string());
    values.extend([
        ("customer_name", customer.company_name.clone()),
        ("customer_code", customer.customer_code.clone()),
        ("bill_no", row.bill_no.clone()),
        ("period", period),
        ("total", amount(row.total)),
        ("outstanding", amount(row.total - row.allocated)),
        (
            "due_date",
            row.due_date
                .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string()),
        ),
        (
            "days_overdue",
            row.due_date
                .map_or(0, |due| (today - due).num_days().max(0))
                .to_string(),
        ),
    ]);
    values
}
