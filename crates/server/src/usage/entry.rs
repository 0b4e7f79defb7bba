//! Usage typed in: `POST /usage` (the entry form, or a batch client) and
//! `PATCH /usage/{id}` (a person correcting one stored record).

use opcms_domain::usage::{DayWindow, RawUsage, RawValue, parse_quantity, quantity_text};
use opcms_domain::{FieldError, Fixed4};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::model::RecordView;
use super::query::{find_record, record_views};
use super::source::{CustomerRef, Incoming, clip};
use super::store::{self, Delivery, OnExisting, Outcome, Tally};
use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub const MAX_RECORDS: usize = 5000;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<Value>,
    pub reason: Option<String>,
    /// `true`: nothing is quarantined; any record that would be makes the
    /// whole request a 400 naming its fields.
    #[serde(default)]
    pub strict: bool,
    /// `true`: a record for a customer, series and day that already has a
    /// record (another source's, or under another `source_id`) is stored as
    /// one more record. Without it such a request is 409 `USAGE_EXISTS`.
    #[serde(default)]
    pub add: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EntryResult {
    #[serde(flatten)]
    pub tally: Tally,
    pub results: Vec<EntryItem>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EntryItem {
    pub index: usize,
    /// `created` | `updated` | `unchanged` | `quarantined` | `discarded`
    #[schema(value_type = EntryStatus)]
    pub status: &'static str,
    #[schema(required = true)]
    pub record_id: Option<i64>,
    #[schema(required = true)]
    pub quarantine_id: Option<i64>,
    #[schema(required = true, value_type = Option<opcms_domain::usage::QuarantineReason>)]
    pub reason: Option<String>,
    #[schema(required = true)]
    pub message: Option<String>,
}

/// What became of one entered record.
/// The field holds the code as a string; this names the codes in the
/// OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum EntryStatus {
    Created,
    Updated,
    Unchanged,
    Quarantined,
    Discarded,
}

/// One record of the body. Amounts must be strings: a JSON number may
/// already have passed through a binary float.
fn incoming(index: usize, value: &Value) -> Result<Incoming, Vec<FieldError>> {
    let at = |field: &str| format!("records[{index}].{field}");
    let Some(object) = value.as_object() else {
        return Err(vec![FieldError::new(
            at("").trim_end_matches('.'),
            "INVALID_TYPE",
            "每条记录须为对象",
        )]);
    };
    let mut errors = Vec::new();
    for key in object.keys() {
        if !matches!(
            key.as_str(),
            "customer_id" | "account_id" | "series" | "day" | "quantity" | "source_id"
        ) {
            errors.push(FieldError::new(at(key), "UNKNOWN_FIELD", format!("未知字段「{key}」")));
        }
    }
    let text = |field: &str, errors: &mut Vec<FieldError>| -> RawValue {
        match object.get(field) {
            None | Some(Value::Null) => RawValue::Missing,
            Some(Value::String(s)) => RawValue::text(s.clone()),
            Some(Value::Number(_)) if field == "quantity" => {
                errors.push(FieldError::new(
                    at(field),
                    "NUMBER_NOT_STRING",
                    "用量须以字符串提交（如 \"12.5\"），以免精度丢失",
                ));
                RawValue::Missing
            }
            Some(_) => {
                errors.push(FieldError::new(at(field), "INVALID_TYPE", "须为字符串"));
                RawValue::Missing
            }
        }
    };
    let series = text("series", &mut errors);
    let day = text("day", &mut errors);
    let quantity = text("quantity", &mut errors);
    let source_id = text("source_id", &mut errors).display().map(|s| clip(s.trim(), 160));
    let customer = match (object.get("customer_id"), object.get("account_id")) {
        (Some(Value::Number(n)), _) => match n.as_i64() {
            Some(id) => CustomerRef::Id(id),
            None => {
                errors.push(FieldError::new(at("customer_id"), "INVALID_TYPE", "客户 ID 须为整数"));
                CustomerRef::None
            }
        },
        (Some(Value::Null) | None, Some(Value::String(a))) if !a.trim().is_empty() => {
            CustomerRef::Account(a.trim().to_string())
        }
        (Some(Value::Null) | None, Some(Value::Null) | None) => CustomerRef::None,
        (Some(Value::Null) | None, Some(Value::String(_))) => CustomerRef::None,
        (Some(_), _) => {
            errors.push(FieldError::new(at("customer_id"), "INVALID_TYPE", "客户 ID 须为整数"));
            CustomerRef::None
        }
        (_, Some(_)) => {
            errors.push(FieldError::new(at("account_id"), "INVALID_TYPE", "平台账号须为字符串"));
            CustomerRef::None
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Incoming {
        customer,
        raw: RawUsage { series, day, quantity },
        source_id,
        original: value.clone(),
        limit_confirmed: false,
        quarantine_key: None,
    })
}

pub async fn enter(state: &AppState, actor: &Actor, input: EntryInput) -> AppResult<EntryResult> {
    if input.records.is_empty() || input.records.len() > MAX_RECORDS {
        return Err(AppError::field(
            "records",
            "OUT_OF_RANGE",
            format!("一次须提交 1 到 {MAX_RECORDS} 条用量记录"),
        ));
    }
    let reason = input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > 200) {
        return Err(AppError::field("reason", "TOO_LONG", "说明不能超过 200 个字符"));
    }
    let mut errors = Vec::new();
    let mut incoming = Vec::with_capacity(input.records.len());
    for (index, value) in input.records.iter().enumerate() {
        match self::incoming(index, value) {
            Ok(item) => incoming.push(item),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }

    let settings = crate::settings::load(&state.db).await?;
    let txn = store::begin(&state.db, &["manual", store::KEY_LOCK]).await?;
    let delivery = Delivery {
        source: "manual",
        window: DayWindow::NotAfter(crate::calendar::business_today()),
        limits: settings.sanity_limits(),
        cause: "entry",
        reason,
        run_id: None,
        actor,
        context: json!({"reason": reason, "add": input.add}),
        on_existing: if input.add { OnExisting::Add } else { OnExisting::Report },
        discard_closed: false,
    };
    let outcomes = store::write(&txn, &delivery, &incoming).await?;
    if input.strict {
        let errors: Vec<FieldError> = outcomes
            .iter()
            .enumerate()
            .filter_map(|(index, outcome)| match outcome {
                Outcome::Quarantined { reason, message, .. } => Some(FieldError::new(
                    format!("records[{index}].{}", reason.field()),
                    reason.code(),
                    message.clone(),
                )),
                _ => None,
            })
            .collect();
        if !errors.is_empty() {
            txn.rollback().await?;
            return Err(AppError::Validation(errors));
        }
    }
    let conflicts: Vec<Value> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(index, outcome)| match outcome {
            Outcome::Conflict { existing } => Some(json!({
                "field": format!("records[{index}]"),
                "index": index,
                "existing": existing,
            })),
            _ => None,
        })
        .collect();
    if !conflicts.is_empty() {
        txn.rollback().await?;
        return Err(AppError::ConflictDetails {
            code: "USAGE_EXISTS",
            message: format!(
                "{} 条用量的客户、系列、日期已有记录（采集、导入或其他录入），为免重复计费未写入：\
                 请修正已有记录，或确认另行追加（add: true）",
                conflicts.len()
            ),
            details: conflicts,
        });
    }
    txn.commit().await?;
    Ok(EntryResult {
        tally: Tally::of(&outcomes),
        results: outcomes
            .into_iter()
            .enumerate()
            .map(|(index, outcome)| match outcome {
                Outcome::Created { record_id } => item(index, "created", Some(record_id)),
                Outcome::Updated { record_id } => item(index, "updated", Some(record_id)),
                Outcome::Unchanged { record_id } => item(index, "unchanged", Some(record_id)),
                Outcome::Quarantined {
                    quarantine_id,
                    reason,
                    message,
                } => EntryItem {
                    index,
                    status: "quarantined",
                    record_id: None,
                    quarantine_id: Some(quarantine_id),
                    reason: Some(reason.code().to_string()),
                    message: Some(message),
                },
                Outcome::Discarded {
                    quarantine_id,
                    reason,
                    message,
                } => EntryItem {
                    index,
                    status: "discarded",
                    record_id: None,
                    quarantine_id: Some(quarantine_id),
                    reason: Some(reason.code().to_string()),
                    message: Some(message),
                },
                // Answered as 409 above.
                Outcome::Conflict { .. } => item(index, "conflict", None),
            })
            .collect(),
    })
}

fn item(index: usize, status: &'static str, record_id: Option<i64>) -> EntryItem {
    EntryItem {
        index,
        status,
        record_id,
        quarantine_id: None,
        reason: None,
        message: None,
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionInput {
    pub quantity: Option<String>,
    pub reason: Option<String>,
    /// The record's `version` as the person saw it: a record changed since
    /// (a collection, another person) is 409 `VERSION_CONFLICT`.
    pub version: Option<i32>,
}

/// A person sets one stored record's quantity, with a reason; the monthly
/// total follows and a revision is kept.
pub async fn correct(state: &AppState, actor: &Actor, id: i64, input: CorrectionInput) -> AppResult<RecordView> {
    let mut errors = Vec::new();
    let quantity: Option<Fixed4> = match input.quantity.as_deref() {
        None => {
            errors.push(FieldError::new("quantity", "REQUIRED", "请填写用量"));
            None
        }
        Some(text) => match parse_quantity(text) {
            Ok(q) => Some(q),
            Err(e) => {
                errors.push(FieldError::new("quantity", "INVALID_QUANTITY", e.to_string()));
                None
            }
        },
    };
    let reason = input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    match reason {
        None => errors.push(FieldError::new("reason", "REQUIRED", "请填写更正原因")),
        Some(r) if r.chars().count() > 200 => {
            errors.push(FieldError::new("reason", "TOO_LONG", "更正原因不能超过 200 个字符"));
        }
        Some(_) => {}
    }
    let (Some(quantity), Some(reason), true) = (quantity, reason, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };

    let source = find_record(&state.db, id).await?.source;
    let txn = store::begin(&state.db, &[&source]).await?;
    // Read under the lock: a collection may have just changed it.
    let stored = find_record(&txn, id).await?;
    if let Some(expected) = input.version
        && expected != stored.revisions
    {
        return Err(AppError::conflict(
            "VERSION_CONFLICT",
            format!(
                "该用量记录已被修改（现为 {}），请刷新后再修正",
                quantity_text(Fixed4::from_units(stored.quantity))
            ),
        ));
    }
    if stored.quantity != quantity.units() {
        store::set_quantity(&txn, actor, &stored, quantity, "correction", Some(reason)).await?;
        audit::record(
            &txn,
            actor,
            audit::Entry {
                action: "usage.correct",
                entity_type: "usage_record",
                entity_id: Some(id.to_string()),
                changes: Some(json!({
                    "quantity": {
                        "before": quantity_text(Fixed4::from_units(stored.quantity)),
                        "after": quantity_text(quantity),
                    },
                    "reason": {"before": null, "after": reason},
                })),
            },
        )
        .await?;
    }
    let fresh = find_record(&txn, id).await?;
    let view = record_views(&txn, vec![fresh]).await?.remove(0);
    txn.commit().await?;
    Ok(view)
}
