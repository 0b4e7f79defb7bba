//! Usage from a spreadsheet (`POST /usage/import`): the customer import's
//! parser (`.xlsx`/`.csv`, header found by content), each row judged and
//! written by `store::write` like any delivery. A dry run is the same write
//! rolled back, so the preview is exactly what confirming will do.

use std::collections::HashSet;

use opcms_domain::usage::{DayWindow, RawUsage, RawValue, parse_day, parse_series};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::store::{self, CustomerRef, Delivery, Incoming, Outcome, Tally};
use crate::audit::Actor;
use crate::error::{AppError, AppResult};
use crate::spreadsheet::header::{self, HeaderSpec};
use crate::spreadsheet::write::{Value as CellValue, simple_workbook};
use crate::spreadsheet::{self, Limits, Row};
use crate::state::AppState;

/// Rows listed in the answer; the counts cover all of them.
const MAX_LISTED_ROWS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    CustomerCode,
    Account,
    Series,
    Day,
    Quantity,
    SourceId,
}

const HEADERS: [HeaderSpec<Field>; 6] = [
    HeaderSpec {
        field: Field::CustomerCode,
        names: &["客户编号", "客户代码", "customer_code"],
    },
    HeaderSpec {
        field: Field::Account,
        names: &["平台账号", "账号", "账号ID", "account_id", "account"],
    },
    HeaderSpec {
        field: Field::Series,
        names: &["设备系列", "系列", "series"],
    },
    HeaderSpec {
        field: Field::Day,
        names: &["日期", "用量日期", "day", "date"],
    },
    HeaderSpec {
        field: Field::Quantity,
        names: &["用量", "数量", "使用量", "quantity", "qty"],
    },
    HeaderSpec {
        field: Field::SourceId,
        names: &["记录编号", "记录ID", "source_id"],
    },
];

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportRow {
    /// Row number as the spreadsheet shows it.
    pub row: u32,
    /// `quarantined` | `duplicate`
    pub status: &'static str,
    pub reason: Option<String>,
    pub message: String,
    #[schema(value_type = Object)]
    pub values: Value,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileWarning {
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageImportResult {
    pub dry_run: bool,
    pub file_name: String,
    pub total_rows: u32,
    #[serde(flatten)]
    pub tally: Tally,
    pub duplicates: u32,
    pub rows: Vec<ImportRow>,
    pub file_warnings: Vec<FileWarning>,
}

pub async fn run(
    state: &AppState,
    actor: &Actor,
    file_name: String,
    bytes: Vec<u8>,
    dry_run: bool,
) -> AppResult<UsageImportResult> {
    let limits = Limits::from_config(&state.config);
    let sheet = tokio::task::spawn_blocking(move || spreadsheet::read(&bytes, &limits))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("usage import parser task: {e}")))??;
    let columns = header::locate(&sheet, &HEADERS, 3).ok_or_else(|| AppError::Unprocessable {
        code: "NO_HEADER_ROW",
        message: "没有找到表头行：需要 客户编号（或 平台账号）、设备系列、日期、用量 这几列（可下载导入模板对照）"
            .into(),
    })?;
    for (field, label) in [
        (Field::Series, "设备系列"),
        (Field::Day, "日期"),
        (Field::Quantity, "用量"),
    ] {
        if columns.column_of(field).is_none() {
            return Err(AppError::Unprocessable {
                code: "MISSING_COLUMN",
                message: format!("缺少必需的列「{label}」"),
            });
        }
    }
    if columns.column_of(Field::CustomerCode).is_none() && columns.column_of(Field::Account).is_none() {
        return Err(AppError::Unprocessable {
            code: "MISSING_COLUMN",
            message: "缺少「客户编号」或「平台账号」列，无法确定用量属于哪个客户".into(),
        });
    }
    let data = spreadsheet::data_rows(&sheet, &columns, state.config.import_max_rows)?;

    let cell = |row: &Row, field: Field| -> RawValue {
        columns
            .column_of(field)
            .map_or(RawValue::Missing, |c| row.cell(c).raw())
    };
    let mut seen = HashSet::new();
    let mut incoming = Vec::with_capacity(data.len());
    let mut row_numbers = Vec::with_capacity(data.len());
    let mut listed = Vec::new();
    let mut duplicates = 0;
    for row in data {
        let code = cell(row, Field::CustomerCode)
            .display()
            .map(|c| c.trim().to_uppercase());
        let account = cell(row, Field::Account).display().map(|a| a.trim().to_string());
        let customer = match (code.filter(|c| !c.is_empty()), account.filter(|a| !a.is_empty())) {
            (Some(code), _) => CustomerRef::Code(code),
            (None, Some(account)) => CustomerRef::Account(account),
            (None, None) => CustomerRef::None,
        };
        let raw = RawUsage {
            series: cell(row, Field::Series),
            day: cell(row, Field::Day),
            quantity: cell(row, Field::Quantity),
        };
        let values = json!({
            "customer": customer.shown(),
            "series": raw.series.display(),
            "day": raw.day.display(),
            "quantity": raw.quantity.display(),
        });
        // One row per customer, series and day: a repeat is a mistake in the
        // sheet, not a second delivery (the first row wins).
        let identity = (
            customer.shown(),
            parse_series(&raw.series).map_or_else(|| raw.series.display(), |s| Some(s.code().to_string())),
            parse_day(&raw.day).map_or_else(|| raw.day.display(), |d| Some(d.to_string())),
        );
        if !seen.insert(identity) {
            duplicates += 1;
            if listed.len() < MAX_LISTED_ROWS {
                listed.push(ImportRow {
                    row: row.number,
                    status: "duplicate",
                    reason: None,
                    message: "与前面的行是同一客户、同一系列、同一天，已跳过".into(),
                    values,
                });
            }
            continue;
        }
        let source_id = cell(row, Field::SourceId)
            .display()
            .map(|s| store::clip(s.trim(), 160))
            .filter(|s| !s.is_empty());
        let mut original = Map::new();
        original.insert("file".into(), json!(file_name));
        original.insert("row".into(), json!(row.number));
        if let Value::Object(fields) = values {
            original.extend(fields);
        }
        incoming.push(Incoming {
            customer,
            raw,
            source_id,
            original: Value::Object(original),
            limit_confirmed: false,
            quarantine_key: None,
        });
        row_numbers.push(row.number);
    }

    let txn = store::begin(&state.db, &["import"]).await?;
    let delivery = Delivery {
        source: "import",
        window: DayWindow::NotAfter(crate::calendar::business_today()),
        limits: state.config.usage_limits,
        cause: "import",
        reason: Some(&file_name),
        run_id: None,
        actor,
        context: json!({"file_name": file_name, "dry_run": dry_run}),
    };
    let outcomes = store::write(&txn, &delivery, &incoming).await?;
    if dry_run {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    for ((outcome, item), number) in outcomes.iter().zip(&incoming).zip(&row_numbers) {
        if let Outcome::Quarantined { reason, message, .. } = outcome
            && listed.len() < MAX_LISTED_ROWS
        {
            let mut values = item.original.clone();
            if let Some(map) = values.as_object_mut() {
                map.remove("file");
                map.remove("row");
            }
            listed.push(ImportRow {
                row: *number,
                status: "quarantined",
                reason: Some(reason.code().to_string()),
                message: message.clone(),
                values,
            });
        }
    }
    listed.sort_by_key(|r| r.row);
    let file_warnings = columns
        .warnings
        .iter()
        .map(|w| FileWarning {
            code: "COLUMN_IGNORED",
            message: w.clone(),
        })
        .collect();
    Ok(UsageImportResult {
        dry_run,
        file_name,
        total_rows: data.len() as u32,
        tally: Tally::of(&outcomes),
        duplicates,
        rows: listed,
        file_warnings,
    })
}

/// The import template: the columns, two example rows, a help sheet.
pub fn template() -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let text = |s: &str| CellValue::Text(s.to_string());
    simple_workbook(
        "用量导入",
        &["客户编号", "平台账号", "设备系列", "日期", "用量", "记录编号"],
        &[
            vec![
                text("C000001"),
                CellValue::Blank,
                text("X"),
                text("2026-11-01"),
                text("1234.5"),
                CellValue::Blank,
            ],
            vec![
                CellValue::Blank,
                text("acc_000002"),
                text("N"),
                text("2026-11-01"),
                text("88"),
                text("R-0001"),
            ],
        ],
    )
}
