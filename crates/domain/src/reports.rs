//! Custom reports (自定义报表, issue 25): the datasets a user may report on,
//! their columns, and the rules a report definition must follow — known
//! columns, grouping only on keys (never on money), sums only of amounts and
//! quantities, filter values of the column's kind. The server turns a checked
//! definition into SQL from a fixed map of column keys; nothing a user types
//! ever becomes SQL text.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Period;
use crate::money::Fixed4;
use crate::validation::{FieldError, FieldErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dataset {
    Customers,
    Bills,
    Payments,
    Usage,
}

impl Dataset {
    pub const ALL: [Dataset; 4] = [Dataset::Customers, Dataset::Bills, Dataset::Payments, Dataset::Usage];

    pub fn label(self) -> &'static str {
        match self {
            Dataset::Customers => "客户",
            Dataset::Bills => "账单",
            Dataset::Payments => "收款",
            Dataset::Usage => "用量",
        }
    }

    /// The columns a report on this dataset may use.
    pub fn columns(self) -> &'static [ColumnDef] {
        match self {
            Dataset::Customers => CUSTOMER_COLUMNS,
            Dataset::Bills => BILL_COLUMNS,
            Dataset::Payments => PAYMENT_COLUMNS,
            Dataset::Usage => USAGE_COLUMNS,
        }
    }

    pub fn column(self, key: &str) -> Option<&'static ColumnDef> {
        self.columns().iter().find(|c| c.key == key)
    }
}

use Kind::{Date, Integer, Money, Quantity, Text};

const CUSTOMER_COLUMNS: &[ColumnDef] = &[
    col("customer_code", "客户编号", Text, true),
    col("company_name", "客户名称", Text, true),
    col("account_status", "账户状态", Text, true),
    col("level", "客户等级", Text, true),
    col("industry", "行业", Text, true),
    col("region", "地区", Text, true),
    col("sales_owner", "销售负责人", Text, true),
    col("signed_at", "签约日期", Date, true),
    col("signed_month", "签约月份", Kind::Period, true),
    col("contract_end_at", "合同到期日", Date, true),
    col("payment_terms_days", "账期天数", Integer, true),
];

const BILL_COLUMNS: &[ColumnDef] = &[
    col("bill_no", "账单编号", Text, false),
    col("customer_code", "客户编号", Text, true),
    col("company_name", "客户名称", Text, true),
    col("sales_owner", "销售负责人", Text, true),
    col("period", "账期", Kind::Period, true),
    col("status", "状态", Text, true),
    col("kind", "类型", Text, true),
    col("due_date", "到期日", Date, true),
    col("subtotal", "小计", Money, false),
    col("credited", "红冲", Money, false),
    col("total", "应收金额", Money, false),
    col("allocated", "已核销", Money, false),
    col("outstanding", "未收金额", Money, false),
];

const PAYMENT_COLUMNS: &[ColumnDef] = &[
    col("payment_no", "收款编号", Text, false),
    col("customer_code", "客户编号", Text, true),
    col("company_name", "客户名称", Text, true),
    col("sales_owner", "销售负责人", Text, true),
    col("received_at", "收款日期", Date, true),
    col("received_month", "收款月份", Kind::Period, true),
    col("method", "收款方式", Text, true),
    col("payer_name", "付款方", Text, true),
    col("amount", "收款金额", Money, false),
    col("allocated", "已核销", Money, false),
    col("unapplied", "未核销", Money, false),
];

const USAGE_COLUMNS: &[ColumnDef] = &[
    col("customer_code", "客户编号", Text, true),
    col("company_name", "客户名称", Text, true),
    col("sales_owner", "销售负责人", Text, true),
    col("series", "系列", Text, true),
    col("day", "日期", Date, true),
    col("month", "月份", Kind::Period, true),
    col("source", "来源", Text, true),
    col("quantity", "用量", Quantity, false),
];

/// What a column holds, which decides its filters, grouping and sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    Money,
    Quantity,
    Integer,
    Date,
    Period,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ColumnDef {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    /// May be a group key (never an amount or a quantity).
    pub groupable: bool,
    /// May be summed (amounts and quantities).
    pub summable: bool,
}

const fn col(key: &'static str, label: &'static str, kind: Kind, groupable: bool) -> ColumnDef {
    ColumnDef {
        key,
        label,
        kind,
        groupable,
        summable: matches!(kind, Kind::Money | Kind::Quantity),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Ne,
    Contains,
    Gte,
    Lte,
    In,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub column: String,
    pub op: Op,
    /// As typed; `in` takes comma-separated values.
    pub value: String,
}

/// A report as the user builds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportDefinition {
    pub dataset: Dataset,
    pub columns: Vec<String>,
    #[serde(default)]
    pub filters: Vec<Filter>,
    #[serde(default)]
    pub group_by: Vec<String>,
    #[serde(default)]
    pub sums: Vec<String>,
}

/// A filter value read for its column's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterValue {
    Text(String),
    /// Money and quantities in units of 0.0001.
    Units(i64),
    Integer(i64),
    Date(NaiveDate),
    Period(Period),
}

/// A checked filter: its column and its values (one, or several for `in`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFilter {
    pub column: &'static ColumnDef,
    pub op: Op,
    pub values: Vec<FilterValue>,
}

/// A definition every part of which was found valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedReport {
    pub dataset: Dataset,
    pub columns: Vec<&'static ColumnDef>,
    pub filters: Vec<CheckedFilter>,
    pub group_by: Vec<&'static ColumnDef>,
    pub sums: Vec<&'static ColumnDef>,
}

pub const MAX_COLUMNS: usize = 30;
pub const MAX_FILTERS: usize = 20;
pub const MAX_IN_VALUES: usize = 100;
pub const NAME_MAX: usize = 40;

fn value_of(kind: Kind, text: &str) -> Option<FilterValue> {
    let text = text.trim();
    match kind {
        Kind::Text => Some(FilterValue::Text(text.to_string())),
        Kind::Money | Kind::Quantity => text.parse::<Fixed4>().ok().map(|v| FilterValue::Units(v.units())),
        Kind::Integer => text.parse::<i64>().ok().map(FilterValue::Integer),
        Kind::Date => NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().map(FilterValue::Date),
        Kind::Period => Period::parse(text).ok().map(FilterValue::Period),
    }
}

fn kind_hint(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "文本",
        Kind::Money => "金额（如 1200.50）",
        Kind::Quantity => "数量（如 12.5）",
        Kind::Integer => "整数",
        Kind::Date => "日期 YYYY-MM-DD",
        Kind::Period => "月份 YYYY-MM",
    }
}

impl ReportDefinition {
    /// Checks every part, naming each wrong one by its path.
    pub fn check(&self) -> Result<CheckedReport, Vec<FieldError>> {
        let dataset = self.dataset;
        let mut errors = FieldErrors::new();
        let lookup = |errors: &mut FieldErrors, field: String, key: &str| -> Option<&'static ColumnDef> {
            let found = dataset.column(key.trim());
            if found.is_none() {
                errors.push(FieldError::new(
                    field,
                    "UNKNOWN_COLUMN",
                    format!("数据集「{}」没有列 {}", dataset.label(), key.trim()),
                ));
            }
            found
        };
        if self.columns.is_empty() || self.columns.len() > MAX_COLUMNS {
            errors.push(FieldError::new(
                "columns",
                "INVALID_COLUMNS",
                format!("请选择 1–{MAX_COLUMNS} 列"),
            ));
        }
        let columns: Vec<&'static ColumnDef> = self
            .columns
            .iter()
            .enumerate()
            .filter_map(|(i, key)| lookup(&mut errors, format!("columns[{i}]"), key))
            .collect();
        let mut group_by = Vec::new();
        for (i, key) in self.group_by.iter().enumerate() {
            let field = format!("group_by[{i}]");
            if let Some(column) = lookup(&mut errors, field.clone(), key) {
                if column.groupable {
                    group_by.push(column);
                } else {
                    errors.push(FieldError::new(
                        field,
                        "NOT_GROUPABLE",
                        format!("不能按金额或数量列分组：{}", column.label),
                    ));
                }
            }
        }
        let mut sums = Vec::new();
        for (i, key) in self.sums.iter().enumerate() {
            let field = format!("sums[{i}]");
            if let Some(column) = lookup(&mut errors, field.clone(), key) {
                if column.summable {
                    sums.push(column);
                } else {
                    errors.push(FieldError::new(
                        field,
                        "NOT_SUMMABLE",
                        format!("只能对金额或数量列求和：{}", column.label),
                    ));
                }
            }
        }
        if !self.group_by.is_empty() {
            for (i, column) in self.columns.iter().enumerate() {
                let key = column.trim();
                let kept = self.group_by.iter().any(|g| g.trim() == key) || self.sums.iter().any(|s| s.trim() == key);
                if !kept && dataset.column(key).is_some() {
                    errors.push(FieldError::new(
                        format!("columns[{i}]"),
                        "NOT_IN_GROUP",
                        format!("分组报表的列须为分组列或求和列：{key}"),
                    ));
                }
            }
        }
        if self.filters.len() > MAX_FILTERS {
            errors.push(FieldError::new(
                "filters",
                "TOO_MANY_FILTERS",
                format!("筛选条件最多 {MAX_FILTERS} 个"),
            ));
        }
        let mut filters = Vec::new();
        for (i, filter) in self.filters.iter().enumerate() {
            let Some(column) = lookup(&mut errors, format!("filters[{i}].column"), &filter.column) else {
                continue;
            };
            if filter.op == Op::Contains && column.kind != Kind::Text {
                errors.push(FieldError::new(
                    format!("filters[{i}].op"),
                    "INVALID_OP",
                    format!("「包含」只能用于文本列：{}", column.label),
                ));
                continue;
            }
            let texts: Vec<&str> = if filter.op == Op::In {
                filter
                    .value
                    .split([',', '，'])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .collect()
            } else {
                vec![filter.value.as_str()]
            };
            if texts.is_empty() || texts.len() > MAX_IN_VALUES {
                errors.push(FieldError::new(
                    format!("filters[{i}].value"),
                    "INVALID_VALUE",
                    format!("请填写 1–{MAX_IN_VALUES} 个值"),
                ));
                continue;
            }
            let values: Option<Vec<FilterValue>> = texts.iter().map(|t| value_of(column.kind, t)).collect();
            match values {
                Some(values) => filters.push(CheckedFilter {
                    column,
                    op: filter.op,
                    values,
                }),
                None => errors.push(FieldError::new(
                    format!("filters[{i}].value"),
                    "INVALID_VALUE",
                    format!("{} 的筛选值须为{}", column.label, kind_hint(column.kind)),
                )),
            }
        }
        errors.into_result()?;
        Ok(CheckedReport {
            dataset,
            columns,
            filters,
            group_by,
            sums,
        })
    }
}

/// A saved report's name: 1–40 characters, trimmed.
pub fn check_name(name: &str) -> Result<String, FieldError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(FieldError::new(
            "name",
            "INVALID_NAME",
            format!("报表名称须为 1–{NAME_MAX} 个字符"),
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition(json: serde_json::Value) -> ReportDefinition {
        serde_json::from_value(json).unwrap()
    }

    fn codes(result: Result<CheckedReport, Vec<FieldError>>) -> Vec<(String, &'static str)> {
        result.unwrap_err().into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn a_grouped_report_with_sums_is_accepted() {
        let report = definition(serde_json::json!({
            "dataset": "bills", "columns": ["customer_code", "total"],
            "filters": [{"column": "period", "op": "gte", "value": "2026-01"},
                        {"column": "status", "op": "in", "value": "paid, partially_paid"}],
            "group_by": ["customer_code"], "sums": ["total"]}))
        .check()
        .unwrap();
        assert_eq!(report.group_by[0].key, "customer_code");
        assert_eq!(
            report.filters[0].values,
            vec![FilterValue::Period(Period::parse("2026-01").unwrap())]
        );
        assert_eq!(report.filters[1].values.len(), 2);
    }

    #[test]
    fn unknown_columns_money_groups_and_bad_values_are_named() {
        let result = definition(serde_json::json!({
            "dataset": "bills", "columns": ["customer_code", "secret", "due_date"],
            "filters": [{"column": "total", "op": "gte", "value": "abc"},
                        {"column": "total", "op": "contains", "value": "1"},
                        {"column": "due_date", "op": "lte", "value": "2026/01/01"}],
            "group_by": ["customer_code", "total"], "sums": ["status"]}))
        .check();
        assert_eq!(
            codes(result),
            vec![
                ("columns[1]".into(), "UNKNOWN_COLUMN"),
                ("group_by[1]".into(), "NOT_GROUPABLE"),
                ("sums[0]".into(), "NOT_SUMMABLE"),
                ("columns[2]".into(), "NOT_IN_GROUP"),
                ("filters[0].value".into(), "INVALID_VALUE"),
                ("filters[1].op".into(), "INVALID_OP"),
                ("filters[2].value".into(), "INVALID_VALUE"),
            ]
        );
        let empty = definition(serde_json::json!({"dataset": "usage", "columns": []})).check();
        assert_eq!(codes(empty), vec![("columns".into(), "INVALID_COLUMNS")]);
    }

    #[test]
    fn every_dataset_has_sums_only_on_amounts_and_no_money_group() {
        for dataset in Dataset::ALL {
            for column in dataset.columns() {
                assert!(!(column.groupable && column.summable), "{}", column.key);
                assert_eq!(column.summable, matches!(column.kind, Kind::Money | Kind::Quantity));
            }
        }
        assert_eq!(check_name("  月度应收  ").unwrap(), "月度应收");
        assert_eq!(check_name(&"名".repeat(41)).unwrap_err().code, "INVALID_NAME");
    }
}
