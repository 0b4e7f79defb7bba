//! A bank statement (`POST /payments/import`): the customer import's parser
//! (`.xlsx`/`.csv`, header found by content), each row judged by the same
//! receipt rules as the entry form, duplicates found inside the file and
//! against the database by (method, reference), and the valid rows written
//! in one transaction. A dry run is the same write rolled back, so the
//! preview is exactly what confirming will do.
//!
//! With `auto_allocate`, the same transaction then allocates the exact
//! one-to-one matches (`opcms_domain::payments::exact_one_to_one`: a
//! receipt with a customer, and exactly one open bill of that customer
//! whose outstanding amount equals it) through the allocation write the
//! workbench uses, each audited, and lists them for review.

use std::collections::{BTreeMap, HashMap, HashSet};

use opcms_domain::Period;
use opcms_domain::billing::BillStatus;
use opcms_domain::customer::normalize::name_key;
use opcms_domain::payments::{
    BillSide, OpenBill, PaymentSide, RawReceipt, Receipt, ReceiptToMatch, check_allocations, exact_one_to_one,
    reference_key, statement_amount, validate_receipt,
};
use opcms_domain::pricing::RawValue;
use opcms_domain::usage::RawValue as CellRaw;
use opcms_domain::{DataScope, Fixed4};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use serde_json::{Value, json};

use super::entity::payment;
use super::model::CustomerRef;
use super::service::{audit_json, ensure_counter, new_row, take_numbers};
use crate::audit::{self, Actor, Entry};
use crate::bills::entity::bill;
use crate::calendar::business_today;
use crate::customers::entity::customer;
use crate::db::begin_write;
use crate::db::money::{decimal, money, units};
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
#[schema(as = PaymentImportRow)]
pub struct ImportRow {
    /// Row number as the spreadsheet shows it.
    pub row: u32,
    /// `duplicate` | `skipped` | `rejected`
    #[schema(value_type = PaymentImportStatus)]
    pub status: &'static str,
    pub message: String,
    #[schema(value_type = Object)]
    pub values: Value,
}

/// Why a bank statement's row was not created.
/// The field holds the code as a string; this names the codes in the
/// OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum PaymentImportStatus {
    Duplicate,
    Skipped,
    Rejected,
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
    /// Whether exact one-to-one matches were allocated (asked for).
    pub auto_allocate: bool,
    /// How many were (would be, on a dry run) allocated.
    pub auto_allocated: u32,
    /// Σ of those allocations.
    #[schema(value_type = String)]
    pub auto_allocated_amount: opcms_domain::money::Total,
    /// The allocations made, by row (at most 1,000 listed).
    pub allocations: Vec<AutoAllocation>,
}

/// One allocation made by the import: the receipt paid the bill in full.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AutoAllocation {
    pub row: u32,
    pub payment_no: String,
    /// Null on a dry run (nothing was kept).
    #[schema(required = true)]
    pub payment_id: Option<i64>,
    /// What `POST /allocations/{id}/reverse` takes; null on a dry run.
    #[schema(required = true)]
    pub allocation_id: Option<i64>,
    pub customer: CustomerRef,
    pub bill_id: i64,
    pub bill_no: String,
    #[schema(value_type = String)]
    pub period: Period,
    #[schema(value_type = String)]
    pub amount: Fixed4,
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

/// What an import is asked to do besides reading the file.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub dry_run: bool,
    pub auto_allocate: bool,
    /// Whose customers' bills the auto-allocation may touch.
    pub scope: DataScope,
}

pub async fn run(
    state: &AppState,
    actor: &Actor,
    file_name: String,
    bytes: Vec<u8>,
    options: ImportOptions,
) -> AppResult<PaymentImportResult> {
    let dry_run = options.dry_run;
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
    let mut allocations = write(state, actor, &file_name, &fresh, options.clone()).await?;
    listed.sort_by_key(|r| r.row);
    let auto_allocated = allocations.len() as u32;
    let auto_allocated_amount = allocations.iter().map(|a| a.amount).sum();
    allocations.sort_by_key(|a| a.row);
    allocations.truncate(MAX_LISTED_ROWS);
    Ok(PaymentImportResult {
        auto_allocate: options.auto_allocate,
        auto_allocated,
        auto_allocated_amount,
        allocations,
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
/// for each payment and one for the file, the automatic allocations if
/// asked; rolled back on a dry run.
async fn write(
    state: &AppState,
    actor: &Actor,
    file_name: &str,
    rows: &[Accepted],
    options: ImportOptions,
) -> AppResult<Vec<AutoAllocation>> {
    let dry_run = options.dry_run;
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
    let mut created: Vec<(u32, payment::Model)> = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut models = Vec::with_capacity(chunk.len());
        let mut chunk_numbers = Vec::with_capacity(chunk.len());
        for item in chunk {
            let no = numbers
                .get_mut(&Period::of_date(item.receipt.received_at))
                .and_then(Iterator::next)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("payment numbers short")))?;
            chunk_numbers.push((no.clone(), item.row));
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
        let row_of: HashMap<String, u32> = chunk_numbers.into_iter().collect();
        let inserted = payment::Entity::find()
            .filter(payment::Column::PaymentNo.is_in(row_of.keys().cloned()))
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
        created.extend(
            inserted
                .into_iter()
                .map(|p| (row_of.get(&p.payment_no).copied().unwrap_or_default(), p)),
        );
    }
    let receipts: Vec<payment::Model> = created.iter().map(|(_, p)| p.clone()).collect();
    let for_erp = crate::erp::outbox::receipts_booked(&txn, state, &receipts).await?;
    let allocations = if options.auto_allocate {
        allocate_exact(&txn, actor, &options.scope, created, dry_run).await?
    } else {
        Vec::new()
    };
    audit::record(
        &txn,
        actor,
        Entry {
            action: "payment.import",
            entity_type: "payment",
            entity_id: None,
            changes: Some(json!({"file_name": file_name, "created": rows.len(),
                                 "auto_allocate": options.auto_allocate, "auto_allocated": allocations.len()})),
        },
    )
    .await?;
    if dry_run {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
        if for_erp > 0 {
            state.erp_wake.notify_one();
        }
    }
    Ok(allocations)
}

/// Ids per `IN (…)` while reading and locking bills.
const ID_CHUNK: usize = 500;

/// Allocates the exact one-to-one matches among the payments just written
/// (same transaction). The open bills of their customers are locked in id
/// order (the order every allocation write locks bills in), the rule is the
/// domain's, every pair is checked again by `check_allocations` on the
/// locked rows and written by the workbench's own allocation write.
async fn allocate_exact(
    txn: &DatabaseTransaction,
    actor: &Actor,
    scope: &DataScope,
    created: Vec<(u32, payment::Model)>,
    dry_run: bool,
) -> AppResult<Vec<AutoAllocation>> {
    let mut customers: Vec<i64> = created.iter().filter_map(|(_, p)| p.customer_id).collect();
    customers.sort_unstable();
    customers.dedup();
    if let Some(owners) = scope.owners() {
        let mut owned = Vec::new();
        for chunk in customers.chunks(ID_CHUNK) {
            owned.extend(
                customer::Entity::find()
                    .select_only()
                    .column(customer::Column::Id)
                    .filter(customer::Column::Id.is_in(chunk.iter().copied()))
                    .filter(customer::Column::SalesOwnerId.is_in(owners.iter().copied()))
                    .into_tuple::<i64>()
                    .all(txn)
                    .await?,
            );
        }
        customers = owned;
    }
    if customers.is_empty() {
        return Ok(Vec::new());
    }
    // Which bills to lock, then locked in ascending id order, chunk by chunk.
    let mut bill_ids = Vec::new();
    for chunk in customers.chunks(ID_CHUNK) {
        bill_ids.extend(
            bill::Entity::find()
                .select_only()
                .column(bill::Column::Id)
                .filter(bill::Column::CustomerId.is_in(chunk.iter().copied()))
                .filter(bill::is_open())
                .into_tuple::<i64>()
                .all(txn)
                .await?,
        );
    }
    bill_ids.sort_unstable();
    let mut locked: Vec<bill::Model> = Vec::with_capacity(bill_ids.len());
    for chunk in bill_ids.chunks(ID_CHUNK) {
        locked.extend(
            bill::Entity::find()
                .filter(bill::Column::Id.is_in(chunk.iter().copied()))
                .order_by_asc(bill::Column::Id)
                .lock_exclusive()
                .all(txn)
                .await?
                .into_iter()
                // Still open once locked: settled meanwhile, it is left alone.
                .filter(|b| BillStatus::parse(&b.status).is_some_and(BillStatus::is_open)),
        );
    }
    // Oldest first, as the suggestions order them.
    locked.sort_by_key(|b| (b.period, b.due_date, b.id));
    let today = business_today();
    let mut models: HashMap<i64, Vec<bill::Model>> = HashMap::new();
    for row in locked {
        models.entry(row.customer_id).or_default().push(row);
    }
    let open: HashMap<i64, Vec<OpenBill>> = models
        .iter()
        .map(|(customer, rows)| {
            let bills = rows
                .iter()
                .map(|b| OpenBill {
                    bill_id: b.id,
                    bill_no: b.bill_no.clone(),
                    period: Period::from_key(b.period).unwrap_or_else(|| Period::of_date(today)),
                    due_date: b.due_date,
                    outstanding: decimal(b.total - b.allocated),
                })
                .collect();
            (*customer, bills)
        })
        .collect();
    // The customers' other unapplied money: a receipt that could pay the
    // same bill makes the match ambiguous.
    let fresh: HashSet<i64> = created.iter().map(|(_, p)| p.id).collect();
    let mut earlier: HashMap<i64, Vec<rust_decimal::Decimal>> = HashMap::new();
    for chunk in customers.chunks(ID_CHUNK) {
        let rows = payment::Entity::find()
            .select_only()
            .column(payment::Column::Id)
            .column(payment::Column::CustomerId)
            .column_as(
                Expr::col(payment::Column::Amount).sub(Expr::col(payment::Column::Allocated)),
                "open",
            )
            .filter(payment::Column::CustomerId.is_in(chunk.iter().copied()))
            .filter(payment::Column::IsDeleted.eq(false))
            .filter(Expr::col(payment::Column::Allocated).lt(Expr::col(payment::Column::Amount)))
            .into_tuple::<(i64, Option<i64>, i64)>()
            .all(txn)
            .await?;
        for (id, customer, open) in rows {
            if let (Some(customer), false) = (customer, fresh.contains(&id)) {
                earlier.entry(customer).or_default().push(decimal(open));
            }
        }
    }
    let allowed: HashSet<i64> = customers.iter().copied().collect();
    let receipts: Vec<ReceiptToMatch> = created
        .iter()
        .map(|(_, p)| ReceiptToMatch {
            customer_id: p.customer_id.filter(|c| allowed.contains(c)),
            amount: decimal(p.amount - p.allocated),
        })
        .collect();
    let matches = exact_one_to_one(&receipts, &open, &earlier);
    let refs =
        crate::customers::service::refs(txn, matches.iter().filter_map(|m| created[m.receipt].1.customer_id)).await?;
    let mut slots: Vec<Option<(u32, payment::Model)>> = created.into_iter().map(Some).collect();
    let mut result = Vec::with_capacity(matches.len());
    for found in matches {
        let Some((row, payment_row)) = slots[found.receipt].take() else {
            continue;
        };
        let Some(customer_id) = payment_row.customer_id else {
            continue;
        };
        let bill_row = &models[&customer_id][found.bill];
        let amount = decimal(bill_row.total - bill_row.allocated);
        let lines = [(bill_row.id, amount)];
        let side = BillSide {
            id: bill_row.id,
            bill_no: bill_row.bill_no.clone(),
            customer_id: bill_row.customer_id,
            status: BillStatus::parse(&bill_row.status).unwrap_or(BillStatus::Draft),
            total: decimal(bill_row.total),
            allocated: decimal(bill_row.allocated),
        };
        check_allocations(
            &PaymentSide {
                customer_id: payment_row.customer_id,
                amount: decimal(payment_row.amount),
                allocated: decimal(payment_row.allocated),
                deleted: payment_row.is_deleted,
            },
            &[side],
            &lines,
        )?;
        let (payment_no, payment_id) = (payment_row.payment_no.clone(), payment_row.id);
        let (_, made, _) = super::allocate::apply(
            txn,
            actor,
            payment_row,
            std::slice::from_ref(bill_row),
            &lines,
            customer_id,
            Some("import_auto"),
        )
        .await?;
        result.push(AutoAllocation {
            row,
            payment_no,
            payment_id: (!dry_run).then_some(payment_id),
            allocation_id: made.first().filter(|_| !dry_run).map(|a| a.id),
            customer: refs
                .get(&customer_id)
                .cloned()
                .unwrap_or_else(|| CustomerRef::missing(customer_id)),
            bill_id: bill_row.id,
            bill_no: bill_row.bill_no.clone(),
            period: Period::from_key(bill_row.period).unwrap_or_else(|| Period::of_date(today)),
            amount: money(bill_row.total - bill_row.allocated),
        });
    }
    Ok(result)
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
