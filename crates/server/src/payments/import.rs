//! A bank statement (`POST /payments/import`): the customer import's parser
//! (`.xlsx`/`.csv`, header found by content), each row judged by the same
//! receipt rules as the entry form, duplicates found inside the file and
//! against the database by (method, reference), and the valid rows written
//! in one transaction. A dry run is the same write rolled back, so the
//! preview is exactly what confirming will do.

use std::collections::{BTreeMap, HashMap, HashSet};

use opcms_domain::Period;
use opcms_domain::customer::normalize::name_key;
use opcms_domain::payments::{RawReceipt, Receipt, reference_key, statement_amount, validate_receipt};
use opcms_domain::pricing::RawValue;
use opcms_domain::usage::RawValue as CellRaw;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use serde_json::{Value, json};

use super::entity::payment;
use super::service::{audit_json, ensure_counter, money, new_row, take_numbers, units};
use crate::audit::{self, Actor, Entry};
use crate::calendar::business_today;
use crate::customers::entity::customer;
use crate::db::begin_write;
use crate::error::{AppError, AppResult, is_unique_violation};
use crate::spreadsheet::header::{self, HeaderSpec};
use crate::spreadsheet::write::{Value as SheetValue, simple_workbook};
use crate::spreadsheet::{self, Limits, Row};
use crate::state::AppState;

/// Rows listed in the answer; the counts cover all of them.
const MAX_LISTED_ROWS: usize = 1000;
/// Rows per multi-row insert.
const INSERT_CHUNK: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    ReceivedAt,
    Amount,
    PayerName,
    Reference,
    Method,
    CustomerCode,
    Remarks,
    Debit,
}

const HEADERS: [HeaderSpec<Field>; 8] = [
    HeaderSpec {
        field: Field::ReceivedAt,
        names: &[
            "到账日期",
            "交易日期",
            "日期",
            "记账日期",
            "入账日期",
            "交易时间",
            "received_at",
        ],
    },
    HeaderSpec {
        field: Field::Amount,
        names: &[
            "金额",
            "收入金额",
            "贷方金额",
            "入账金额",
            "收款金额",
            "贷方发生额",
            "amount",
        ],
    },
    HeaderSpec {
        field: Field::PayerName,
        names: &[
            "付款人",
            "对方户名",
            "付款方",
            "付款人名称",
            "对方账户名称",
            "对方名称",
            "payer_name",
        ],
    },
    HeaderSpec {
        field: Field::Reference,
        names: &[
            "流水号",
            "交易流水号",
            "银行流水号",
            "参考号",
            "凭证号",
            "交易参考号",
            "reference",
        ],
    },
    HeaderSpec {
        field: Field::Method,
        names: &["收款方式", "支付方式", "method"],
    },
    HeaderSpec {
        field: Field::CustomerCode,
        names: &["客户编号", "customer_code"],
    },
    HeaderSpec {
        field: Field::Remarks,
        names: &["备注", "摘要", "用途", "附言", "remarks"],
    },
    HeaderSpec {
        field: Field::Debit,
        names: &["支出金额", "借方金额", "借方发生额", "付款金额"],
    },
];

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportRow {
    /// Row number as the spreadsheet shows it.
    pub row: u32,
    /// `duplicate` | `skipped` | `rejected`
    pub status: &'static str,
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
pub struct PaymentImportResult {
    pub dry_run: bool,
    pub file_name: String,
    pub total_rows: u32,
    pub created: u32,
    pub duplicates: u32,
    pub skipped: u32,
    pub rejected: u32,
    /// Σ of the created payments (exact past the range of one stored amount).
    #[schema(value_type = String)]
    pub amount: opcms_domain::money::Total,
    /// Created payments whose customer was found.
    pub assigned: u32,
    pub rows: Vec<ImportRow>,
    pub file_warnings: Vec<FileWarning>,
}

/// One row that will become a payment.
struct Accepted {
    row: u32,
    receipt: Receipt,
    customer_id: Option<i64>,
}

fn text_of(row: &Row, column: Option<usize>) -> Option<String> {
    column
        .map(|c| row.cell(c))
        .filter(|c| !c.is_blank())
        .map(|c| c.text().trim().to_string())
}

pub async fn run(
    state: &AppState,
    actor: &Actor,
    file_name: String,
    bytes: Vec<u8>,
    dry_run: bool,
) -> AppResult<PaymentImportResult> {
    let limits = Limits::from_config(&state.config);
    let sheet = tokio::task::spawn_blocking(move || spreadsheet::read(&bytes, &limits))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("statement parser task: {e}")))??;
    let columns = header::locate(&sheet, &HEADERS, 2).ok_or_else(|| AppError::Unprocessable {
        code: "NO_HEADER_ROW",
        message:
            "没有找到表头行：需要 到账日期（或 交易日期）、金额（或 收入金额/贷方金额）这几列（可下载导入模板对照）"
                .into(),
    })?;
    for (field, label) in [(Field::ReceivedAt, "到账日期"), (Field::Amount, "金额")] {
        if columns.column_of(field).is_none() {
            return Err(AppError::Unprocessable {
                code: "MISSING_COLUMN",
                message: format!("缺少必需的列「{label}」"),
            });
        }
    }
    let data = spreadsheet::data_rows(&sheet, &columns, state.config.import_max_rows)?;
    let col = |field| columns.column_of(field);
    let today = business_today();

    // Customers named by code, and payers whose name is a customer's.
    let mut codes = HashSet::new();
    let mut payer_keys = HashSet::new();
    for row in data {
        if let Some(code) = text_of(row, col(Field::CustomerCode)) {
            codes.insert(code.to_uppercase());
        }
        if let Some(payer) = text_of(row, col(Field::PayerName)) {
            payer_keys.insert(name_key(&payer));
        }
    }
    let by_code = customers_by(&state.db, customer::Column::CustomerCode, codes).await?;
    let by_name = customers_by(&state.db, customer::Column::NameKey, payer_keys).await?;

    let mut listed: Vec<ImportRow> = Vec::new();
    let mut accepted: Vec<Accepted> = Vec::new();
    let (mut duplicates, mut skipped, mut rejected) = (0u32, 0u32, 0u32);
    let list = |listed: &mut Vec<ImportRow>, row: u32, status, message: String, values: Value| {
        if listed.len() < MAX_LISTED_ROWS {
            listed.push(ImportRow {
                row,
                status,
                message,
                values,
            });
        }
    };
    let mut keys_in_file: HashMap<String, u32> = HashMap::new();
    for row in data {
        let amount_text = text_of(row, col(Field::Amount));
        let debit_text = text_of(row, col(Field::Debit));
        let payer_name = text_of(row, col(Field::PayerName));
        let reference = text_of(row, col(Field::Reference));
        let code = text_of(row, col(Field::CustomerCode));
        let values = json!({
            "received_at": col(Field::ReceivedAt).map(|c| row.cell(c).text()),
            "amount": amount_text, "payer_name": payer_name, "reference": reference,
            "method": text_of(row, col(Field::Method)), "customer_code": code,
            "remarks": text_of(row, col(Field::Remarks)), "debit": debit_text,
        });
        let is_zero = |t: &Option<String>| {
            t.as_deref()
                .map(statement_amount)
                .is_none_or(|t| t.parse::<rust_decimal::Decimal>().is_ok_and(|d| d.is_zero()))
        };
        if is_zero(&amount_text) && !is_zero(&debit_text) {
            skipped += 1;
            list(
                &mut listed,
                row.number,
                "skipped",
                "支出记录，不是收款，已跳过".into(),
                values,
            );
            continue;
        }
        let raw = RawReceipt {
            amount: amount_text.as_deref().map(|t| RawValue::text(statement_amount(t))),
            received_at: col(Field::ReceivedAt).map_or(CellRaw::Missing, |c| row.cell(c).raw()),
            method: Some(text_of(row, col(Field::Method)).unwrap_or_else(|| "bank_transfer".into())),
            payer_name: payer_name.clone(),
            reference,
            remarks: text_of(row, col(Field::Remarks)),
        };
        let receipt = match validate_receipt(&raw, today) {
            Ok(receipt) => receipt,
            Err(errors) => {
                rejected += 1;
                let message = errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("；");
                list(&mut listed, row.number, "rejected", message, values);
                continue;
            }
        };
        let customer_id = match code {
            Some(code) => match by_code.get(&code.to_uppercase()) {
                Some(ids) if ids.len() == 1 => Some(ids[0]),
                _ => {
                    rejected += 1;
                    list(
                        &mut listed,
                        row.number,
                        "rejected",
                        format!("客户编号 {code} 不存在"),
                        values,
                    );
                    continue;
                }
            },
            None => payer_name
                .as_deref()
                .and_then(|p| by_name.get(&name_key(p)))
                .filter(|ids| ids.len() == 1)
                .map(|ids| ids[0]),
        };
        if let Some(key) = reference_key(receipt.method, receipt.reference.as_deref()) {
            if let Some(first) = keys_in_file.get(&key) {
                duplicates += 1;
                list(
                    &mut listed,
                    row.number,
                    "duplicate",
                    format!("与第 {first} 行的收款方式和流水号相同，已跳过"),
                    values,
                );
                continue;
            }
            keys_in_file.insert(key, row.number);
        }
        accepted.push(Accepted {
            row: row.number,
            receipt,
            customer_id,
        });
    }

    // Receipts entered before: the database holds their reference keys.
    let keys: Vec<String> = accepted
        .iter()
        .filter_map(|a| reference_key(a.receipt.method, a.receipt.reference.as_deref()))
        .collect();
    let mut existing: HashMap<String, String> = HashMap::new();
    for chunk in keys.chunks(500) {
        let found = payment::Entity::find()
            .select_only()
            .column(payment::Column::ReferenceKey)
            .column(payment::Column::PaymentNo)
            .filter(payment::Column::ReferenceKey.is_in(chunk.iter().cloned()))
            .into_tuple::<(Option<String>, String)>()
            .all(&state.db)
            .await?;
        existing.extend(found.into_iter().filter_map(|(k, no)| k.map(|k| (k, no))));
    }
    let mut fresh = Vec::with_capacity(accepted.len());
    for item in accepted {
        let key = reference_key(item.receipt.method, item.receipt.reference.as_deref());
        if let Some(no) = key.as_ref().and_then(|k| existing.get(k)) {
            duplicates += 1;
            let values = json!({
                "received_at": item.receipt.received_at, "amount": money(units(item.receipt.amount)?),
                "payer_name": item.receipt.payer_name, "reference": item.receipt.reference,
                "method": item.receipt.method.label(),
            });
            list(
                &mut listed,
                item.row,
                "duplicate",
                format!(
                    "与已登记的收款 {no} 重复（{} / 流水号 {}），已跳过",
                    item.receipt.method.label(),
                    item.receipt.reference.as_deref().unwrap_or_default()
                ),
                values,
            );
            continue;
        }
        fresh.push(item);
    }

    let amount: opcms_domain::money::Total = fresh
        .iter()
        .map(|a| units(a.receipt.amount).map(money))
        .collect::<AppResult<Vec<_>>>()?
        .into_iter()
        .sum();
    let assigned = fresh.iter().filter(|a| a.customer_id.is_some()).count() as u32;
    write(state, actor, &file_name, &fresh, dry_run).await?;
    listed.sort_by_key(|r| r.row);
    Ok(PaymentImportResult {
        dry_run,
        file_name,
        total_rows: data.len() as u32,
        created: fresh.len() as u32,
        duplicates,
        skipped,
        rejected,
        amount,
        assigned,
        rows: listed,
        file_warnings: columns
            .warnings
            .iter()
            .map(|w| FileWarning {
                code: "COLUMN_IGNORED",
                message: w.clone(),
            })
            .collect(),
    })
}

/// Live customers by an exact column value (code or name key) → their ids.
async fn customers_by(
    db: &sea_orm::DatabaseConnection,
    column: customer::Column,
    values: HashSet<String>,
) -> AppResult<HashMap<String, Vec<i64>>> {
    let values: Vec<String> = values.into_iter().filter(|v| !v.is_empty()).collect();
    let mut result: HashMap<String, Vec<i64>> = HashMap::new();
    for chunk in values.chunks(500) {
        let rows = customer::Entity::find()
            .select_only()
            .column(column)
            .column(customer::Column::Id)
            .filter(customer::Column::IsDeleted.eq(false))
            .filter(column.is_in(chunk.iter().cloned()))
            .into_tuple::<(Option<String>, i64)>()
            .all(db)
            .await?;
        for (value, id) in rows {
            if let Some(value) = value {
                result.entry(value.to_uppercase_if_code(column)).or_default().push(id);
            }
        }
    }
    Ok(result)
}

trait CodeKey {
    fn to_uppercase_if_code(self, column: customer::Column) -> String;
}

impl CodeKey for String {
    fn to_uppercase_if_code(self, column: customer::Column) -> String {
        if matches!(column, customer::Column::CustomerCode) {
            self.to_uppercase()
        } else {
            self
        }
    }
}

/// One transaction: numbers per month of receipt, the rows, an audit entry
/// for each payment and one for the file; rolled back on a dry run.
async fn write(state: &AppState, actor: &Actor, file_name: &str, rows: &[Accepted], dry_run: bool) -> AppResult<()> {
    let mut per_month: BTreeMap<Period, usize> = BTreeMap::new();
    for item in rows {
        *per_month.entry(Period::of_date(item.receipt.received_at)).or_default() += 1;
    }
    for month in per_month.keys() {
        ensure_counter(&state.db, *month).await?;
    }
    let txn = begin_write(&state.db).await?;
    let mut numbers: HashMap<Period, std::vec::IntoIter<String>> = HashMap::new();
    for (month, count) in &per_month {
        numbers.insert(*month, take_numbers(&txn, *month, *count).await?.into_iter());
    }
    let source_file: String = file_name.chars().take(200).collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut models = Vec::with_capacity(chunk.len());
        let mut chunk_numbers = Vec::with_capacity(chunk.len());
        for item in chunk {
            let no = numbers
                .get_mut(&Period::of_date(item.receipt.received_at))
                .and_then(Iterator::next)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("payment numbers short")))?;
            chunk_numbers.push(no.clone());
            models.push(new_row(
                &item.receipt,
                item.customer_id,
                no,
                "import",
                Some(source_file.clone()),
                actor,
            )?);
        }
        if let Err(e) = payment::Entity::insert_many(models).exec_without_returning(&txn).await {
            if is_unique_violation(&e) {
                return Err(AppError::conflict(
                    "DUPLICATE_PAYMENT",
                    "导入期间有相同收款方式和流水号的收款被登记，请重新导入以查看重复项",
                ));
            }
            return Err(e.into());
        }
        // Multi-row inserts return no ids: read the rows back by number.
        let inserted = payment::Entity::find()
            .filter(payment::Column::PaymentNo.is_in(chunk_numbers))
            .all(&txn)
            .await?;
        let entries = inserted
            .iter()
            .map(|row| Entry {
                action: "payment.create",
                entity_type: "payment",
                entity_id: Some(row.id.to_string()),
                changes: Some(audit::diff(&Value::Null, &audit_json(row))),
            })
            .collect();
        audit::record_many(&txn, actor, entries).await?;
    }
    audit::record(
        &txn,
        actor,
        Entry {
            action: "payment.import",
            entity_type: "payment",
            entity_id: None,
            changes: Some(json!({"file_name": file_name, "created": rows.len()})),
        },
    )
    .await?;
    if dry_run {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    Ok(())
}

/// The statement template: the columns, two example rows.
pub fn template() -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let text = |s: &str| SheetValue::Text(s.to_string());
    simple_workbook(
        "银行流水",
        &["到账日期", "金额", "付款人", "流水号", "收款方式", "客户编号", "备注"],
        &[
            vec![
                text("2026-11-20"),
                text("12000.00"),
                text("上海星河物业管理有限公司"),
                text("20261120000123"),
                text("银行转账"),
                SheetValue::Blank,
                text("11月服务费"),
            ],
            vec![
                text("2026-11-21"),
                text("3500.50"),
                text("星河物业"),
                text("WX4200001234"),
                text("微信"),
                text("C000001"),
                SheetValue::Blank,
            ],
        ],
    )
}
