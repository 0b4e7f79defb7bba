//! Queuing documents for the ERP: each one a row of `erp_outbox`, written in
//! the transaction that issues the bill, writes the credit note or books
//! the receipt, so a document exists for the ERP exactly when it exists for
//! us, and nothing is lost while the ERP is down. The UNIQUE idempotency
//! key makes a second queuing of the same document a no-op. Without an ERP
//! configured nothing is written. The caller wakes the sender after its
//! commit (`AppState::erp_wake`).

use std::collections::HashMap;

use chrono::Utc;
use opcms_domain::billing::StoredLine;
use opcms_domain::erp::{DocKind, SyncStatus, credit_note_no, idempotency_key};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{Value, json};

use super::entity::outbox;
use crate::bills::entity::{bill, credit_note};
use crate::customers::entity::customer;
use crate::db::money::money;
use crate::error::AppResult;
use crate::payments::entity::payment;
use crate::state::AppState;

/// Rows per INSERT and ids per `IN (…)`.
const CHUNK: usize = 200;

/// What is written for the ERP about one document.
struct Document {
    kind: DocKind,
    doc_id: i64,
    doc_no: String,
    customer_id: Option<i64>,
    /// The idempotency key of the row that must be sent first.
    after: Option<String>,
    payload: Value,
}

/// Whether documents are queued at all on this installation.
pub fn enabled(state: &AppState) -> bool {
    state.config.erp.is_some()
}

/// The customers' codes, names and platform accounts, by id.
async fn customers_of(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> AppResult<HashMap<i64, (String, String, Option<String>)>> {
    let ids: Vec<i64> = ids.into_iter().collect();
    let mut found = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(i64, String, String, Option<String>)> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .column(customer::Column::CustomerCode)
            .column(customer::Column::CompanyName)
            .column(customer::Column::AccountId)
            .filter(customer::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(
            rows.into_iter()
                .map(|(id, code, name, account)| (id, (code, name, account))),
        );
    }
    Ok(found)
}

/// Our JSON of an issued bill.
fn bill_payload(row: &bill::Model, customer: Option<&(String, String, Option<String>)>) -> Value {
    let lines: Vec<StoredLine> = serde_json::from_str(&row.lines).unwrap_or_default();
    let lines: Vec<Value> = lines
        .iter()
        .map(|line| {
            json!({
                "kind": line.kind,
                "series": line.series,
                "description": line.description,
                "usage": line.usage.map(|u| u.normalize().to_string()),
                "amount": line.amount.to_string(),
            })
        })
        .collect();
    json!({
        "bill_no": row.bill_no,
        "customer_code": customer.map(|c| c.0.clone()),
        "company_name": customer.map(|c| c.1.clone()),
        "account_id": customer.and_then(|c| c.2.clone()),
        "period": format!("{:04}-{:02}", row.period / 100, row.period % 100),
        "issued_at": row.issued_at,
        "due_date": row.due_date,
        "subtotal": money(row.subtotal).to_string(),
        "total": money(row.total).to_string(),
        "currency": "CNY",
        "lines": lines,
    })
}

/// The bills just issued in `txn`, one document each.
pub async fn bills_issued(txn: &impl ConnectionTrait, state: &AppState, bill_ids: &[i64]) -> AppResult<u64> {
    if !enabled(state) || bill_ids.is_empty() {
        return Ok(0);
    }
    let mut written = 0;
    for chunk in bill_ids.chunks(CHUNK) {
        let bills = bill::Entity::find()
            .filter(bill::Column::Id.is_in(chunk.iter().copied()))
            .all(txn)
            .await?;
        let customers = customers_of(txn, bills.iter().map(|b| b.customer_id)).await?;
        let documents = bills
            .iter()
            .map(|row| Document {
                kind: DocKind::Bill,
                doc_id: row.id,
                doc_no: row.bill_no.clone(),
                customer_id: Some(row.customer_id),
                after: None,
                payload: bill_payload(row, customers.get(&row.customer_id)),
            })
            .collect();
        written += write(txn, documents).await?;
    }
    Ok(written)
}

/// A credit note just written in `txn` on `bill`: sent after the bill.
pub async fn credit_note_written(
    txn: &impl ConnectionTrait,
    state: &AppState,
    row: &bill::Model,
    note: &credit_note::Model,
) -> AppResult<u64> {
    if !enabled(state) {
        return Ok(0);
    }
    let customers = customers_of(txn, [row.customer_id]).await?;
    let no = credit_note_no(&row.bill_no, note.id);
    let payload = json!({
        "credit_note_no": no,
        "bill_no": row.bill_no,
        "customer_code": customers.get(&row.customer_id).map(|c| c.0.clone()),
        "amount": money(note.amount).to_string(),
        "reason": note.reason,
        "created_at": note.created_at,
        "currency": "CNY",
    });
    write(
        txn,
        vec![Document {
            kind: DocKind::CreditNote,
            doc_id: note.id,
            doc_no: no,
            customer_id: Some(row.customer_id),
            after: Some(idempotency_key(DocKind::Bill, &row.bill_no)),
            payload,
        }],
    )
    .await
}

/// Receipts just booked in `txn`, one document each.
pub async fn receipts_booked(
    txn: &impl ConnectionTrait,
    state: &AppState,
    payments: &[payment::Model],
) -> AppResult<u64> {
    if !enabled(state) || payments.is_empty() {
        return Ok(0);
    }
    let mut written = 0;
    for chunk in payments.chunks(CHUNK) {
        let customers = customers_of(txn, chunk.iter().filter_map(|p| p.customer_id)).await?;
        let documents = chunk
            .iter()
            .map(|row| Document {
                kind: DocKind::Receipt,
                doc_id: row.id,
                doc_no: row.payment_no.clone(),
                customer_id: row.customer_id,
                after: None,
                payload: json!({
                    "payment_no": row.payment_no,
                    "customer_code": row.customer_id.and_then(|id| customers.get(&id)).map(|c| c.0.clone()),
                    "amount": money(row.amount).to_string(),
                    "received_at": row.received_at,
                    "method": row.method,
                    "payer_name": row.payer_name,
                    "reference": row.reference,
                    "currency": "CNY",
                }),
            })
            .collect();
        written += write(txn, documents).await?;
    }
    Ok(written)
}

/// Writes the documents not queued before; the number written.
async fn write(txn: &impl ConnectionTrait, documents: Vec<Document>) -> AppResult<u64> {
    if documents.is_empty() {
        return Ok(0);
    }
    let firsts: Vec<String> = documents.iter().filter_map(|d| d.after.clone()).collect();
    let mut first_ids: HashMap<String, i64> = HashMap::new();
    for chunk in firsts.chunks(CHUNK) {
        let rows: Vec<(String, i64)> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::IdempotencyKey)
            .column(outbox::Column::Id)
            .filter(outbox::Column::IdempotencyKey.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(txn)
            .await?;
        first_ids.extend(rows);
    }
    let now = Utc::now();
    let rows: Vec<outbox::ActiveModel> = documents
        .into_iter()
        .map(|doc| outbox::ActiveModel {
            id: sea_orm::ActiveValue::NotSet,
            kind: Set(doc.kind.code().into()),
            doc_id: Set(doc.doc_id),
            idempotency_key: Set(idempotency_key(doc.kind, &doc.doc_no)),
            doc_no: Set(doc.doc_no),
            customer_id: Set(doc.customer_id),
            depends_on: Set(doc.after.and_then(|key| first_ids.get(&key).copied())),
            payload: Set(doc.payload.to_string()),
            status: Set(SyncStatus::Queued.code().into()),
            attempts: Set(0),
            holder: Set(None),
            lease_until: Set(None),
            next_attempt_at: Set(now),
            last_error: Set(None),
            erp_ref: Set(None),
            erp_result: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            sent_at: Set(None),
        })
        .collect();
    let mut written = 0;
    for chunk in rows.chunks(CHUNK) {
        let result = outbox::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing_on([outbox::Column::IdempotencyKey])
            .exec_without_returning(txn)
            .await?;
        if let sea_orm::TryInsertResult::Inserted(n) = result {
            written += n;
        }
    }
    Ok(written)
}
