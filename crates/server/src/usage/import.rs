//! Usage from a spreadsheet (`POST /usage/import`): the customer import's
//! parser (`.xlsx`/`.csv`, header found by content), each row judged and
//! written by `store::write` like any delivery. A dry run is the same write
//! rolled back, so the preview is exactly what confirming will do.

use std::collections::HashSet;

use opcms_domain::usage::{CustomerMatch, DayWindow, RawUsage, RawValue, parse_day, parse_series};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::query::customer_labels;
use super::source::{CustomerRef, Incoming, clip};
use super::store::{self, Delivery, ExistingRecord, OnExisting, Outcome, Tally};
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
#[schema(as = UsageImportRow)]
pub struct ImportRow {
    /// Row number as the spreadsheet shows it.
    pub row: u32,
    /// `created` | `updated` | `unchanged` | `conflict` | `quarantined` |
    /// `discarded` | `duplicate`
    #[schema(value_type = UsageImportStatus)]
    pub status: &'static str,
    #[schema(required = true, value_type = Option<opcms_domain::usage::QuarantineReason>)]
    pub reason: Option<String>,
    pub message: String,
    #[schema(value_type = Object)]
    pub values: Value,
    /// The customer the row was matched to (none when unknown).
    #[schema(required = true)]
    pub customer: Option<MatchedCustomer>,
    /// `conflict`: the stored records of that customer, series and day.
    pub existing: Vec<ExistingRecord>,
}

/// What a usage file's row does (or would do).
/// The field holds the code as a string; this names the codes in the
/// OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum UsageImportStatus {
    Created,
    Updated,
    Unchanged,
    Conflict,
    Quarantined,
    Discarded,
    Duplicate,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MatchedCustomer {
    pub id: i64,
    pub customer_code: String,
    pub company_name: String,
}

/// What a confirmed import does with a row whose customer, series and day
/// already has a record from another source (`?on_conflict=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// Correct that record to the file's value (a revision kept).
    Correct,
    /// Store the row as one more record.
    Add,
    /// Leave the row out.
    Skip,
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
    /// Rows by row number: every row up to 1000, the problem rows
    /// (conflicts, quarantined, duplicates) first when there are more.
    pub rows: Vec<ImportRow>,
    /// `false` when the file had more rows than `rows` lists.
    pub rows_complete: bool,
    pub file_warnings: Vec<FileWarning>,
}

pub async fn run(
    state: &AppState,
    actor: &Actor,
    file_name: String,
    bytes: Vec<u8>,
    dry_run: bool,
    on_conflict: Option<OnConflict>,
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
    let mut duplicate_rows: Vec<(u32, CustomerRef, Value)> = Vec::new();
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
            if duplicate_rows.len() < MAX_LISTED_ROWS {
                duplicate_rows.push((row.number, customer, values));
            }
            continue;
        }
        let source_id = cell(row, Field::SourceId)
            .display()
            .map(|s| clip(s.trim(), 160))
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

    // Correcting another source's record takes that source's lock too.
    let mut sources: Vec<String> = vec!["import".into(), store::KEY_LOCK.into()];
    if on_conflict == Some(OnConflict::Correct) {
        sources.extend(store::known_sources(&state.db).await?);
    }
    let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
    let settings = crate::settings::load(&state.db).await?;
    let txn = store::begin(&state.db, &sources).await?;
    let delivery = Delivery {
        source: "import",
        window: DayWindow::NotAfter(crate::calendar::business_today()),
        limits: settings.sanity_limits(),
        cause: "import",
        reason: Some(&file_name),
        run_id: None,
        actor,
        context: json!({"file_name": file_name, "dry_run": dry_run, "on_conflict": on_conflict}),
        on_existing: match on_conflict {
            None | Some(OnConflict::Skip) => OnExisting::Report,
            Some(OnConflict::Add) => OnExisting::Add,
            Some(OnConflict::Correct) => OnExisting::Correct,
        },
        discard_closed: settings.usage_discard_closed,
    };
    let outcomes = store::write(&txn, &delivery, &incoming).await?;
    let conflicts: Vec<Value> = outcomes
        .iter()
        .zip(&row_numbers)
        .filter_map(|(outcome, number)| match outcome {
            Outcome::Conflict { existing } => Some(json!({"row": number, "existing": existing})),
            _ => None,
        })
        .collect();
    // A confirmed import with conflicts must say what to do with them.
    if !dry_run && on_conflict.is_none() && !conflicts.is_empty() {
        txn.rollback().await?;
        return Err(AppError::ConflictDetails {
            code: "USAGE_EXISTS",
            message: format!(
                "文件中有 {} 行的客户、系列、日期已有记录，请选择修正已有记录、另行追加或跳过这些行",
                conflicts.len()
            ),
            details: conflicts.into_iter().take(MAX_LISTED_ROWS).collect(),
        });
    }
    // Who each row was matched to, for the preview.
    let refs: Vec<&CustomerRef> = incoming
        .iter()
        .map(|i| &i.customer)
        .chain(duplicate_rows.iter().map(|(_, c, _)| c))
        .collect();
    let matches = store::match_customers(&txn, refs.iter().copied()).await?;
    let labels = customer_labels(
        &txn,
        matches.iter().filter_map(|m| match m {
            CustomerMatch::Found { id, .. } => Some(*id),
            _ => None,
        }),
    )
    .await?;
    if dry_run {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    let matched = |m: &CustomerMatch| match m {
        CustomerMatch::Found { id, .. } => labels.get(id).map(|l| MatchedCustomer {
            id: *id,
            customer_code: l.code.clone(),
            company_name: l.name.clone(),
        }),
        _ => None,
    };
    let mut problems = Vec::new();
    let mut fine = Vec::new();
    for (((outcome, item), number), found) in outcomes.iter().zip(&incoming).zip(&row_numbers).zip(&matches) {
        let mut values = item.original.clone();
        if let Some(map) = values.as_object_mut() {
            map.remove("file");
            map.remove("row");
        }
        let (status, reason, message, existing) = match outcome {
            Outcome::Created { .. } => ("created", None, String::new(), Vec::new()),
            Outcome::Updated { .. } => ("updated", None, String::new(), Vec::new()),
            Outcome::Unchanged { .. } => ("unchanged", None, String::new(), Vec::new()),
            Outcome::Quarantined { reason, message, .. } => (
                "quarantined",
                Some(reason.code().to_string()),
                message.clone(),
                Vec::new(),
            ),
            Outcome::Discarded { reason, message, .. } => (
                "discarded",
                Some(reason.code().to_string()),
                message.clone(),
                Vec::new(),
            ),
            Outcome::Conflict { existing } => (
                "conflict",
                None,
                conflict_message(existing, on_conflict),
                existing.clone(),
            ),
        };
        let row = ImportRow {
            row: *number,
            status,
            reason,
            message,
            values,
            customer: matched(found),
            existing,
        };
        if matches!(status, "created" | "updated" | "unchanged") {
            fine.push(row);
        } else {
            problems.push(row);
        }
    }
    for ((number, _, values), found) in duplicate_rows.into_iter().zip(&matches[incoming.len()..]) {
        problems.push(ImportRow {
            row: number,
            status: "duplicate",
            reason: None,
            message: "与前面的行是同一客户、同一系列、同一天，已跳过".into(),
            values,
            customer: matched(found),
            existing: Vec::new(),
        });
    }
    let listed_total = problems.len() + fine.len();
    problems.sort_by_key(|r| r.row);
    let mut listed: Vec<ImportRow> = problems.into_iter().take(MAX_LISTED_ROWS).collect();
    let room = MAX_LISTED_ROWS - listed.len();
    listed.extend(fine.into_iter().take(room));
    listed.sort_by_key(|r| r.row);
    let rows_complete = listed.len() == listed_total && (duplicates as usize) <= MAX_LISTED_ROWS;
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
        rows_complete,
        file_warnings,
    })
}

/// Why a row was not written, naming the records there.
fn conflict_message(existing: &[ExistingRecord], on_conflict: Option<OnConflict>) -> String {
    let there: Vec<String> = existing
        .iter()
        .map(|e| {
            format!(
                "#{}（{}，{}）",
                e.id,
                opcms_domain::usage::source_label(&e.source),
                e.quantity
            )
        })
        .collect();
    let what = match on_conflict {
        Some(OnConflict::Correct) => "已有多条记录，无法确定修正哪一条，本行未写入",
        Some(OnConflict::Skip) => "已跳过",
        _ => "确认导入时可选择修正已有记录、另行追加或跳过",
    };
    format!("该客户、系列、日期已有记录 {}：{what}", there.join("、"))
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
