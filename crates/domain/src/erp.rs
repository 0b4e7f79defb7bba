//! The ERP connector's rules (docs/api/integrations.md): which documents are
//! pushed, the key that makes a push idempotent, the fields each document
//! carries and how a configured mapping renames them, and how long a failed
//! push waits before the next try. The server writes the outbox and speaks
//! HTTP; what is sent and when is decided here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::customer::Field;

/// A document pushed to the ERP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// An issued bill (账单).
    Bill,
    /// A credit note on an issued bill (红冲).
    CreditNote,
    /// A booked receipt (收款).
    Receipt,
}

impl DocKind {
    pub const ALL: [DocKind; 3] = [DocKind::Bill, DocKind::CreditNote, DocKind::Receipt];

    pub fn code(self) -> &'static str {
        match self {
            DocKind::Bill => "bill",
            DocKind::CreditNote => "credit_note",
            DocKind::Receipt => "receipt",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DocKind::Bill => "账单",
            DocKind::CreditNote => "红冲单",
            DocKind::Receipt => "收款单",
        }
    }

    pub fn parse(code: &str) -> Option<DocKind> {
        DocKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Our names of the fields this document carries, in the order the
    /// docs list them; a mapping may rename any of them.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            DocKind::Bill => &[
                "bill_no",
                "customer_code",
                "company_name",
                "account_id",
                "period",
                "issued_at",
                "due_date",
                "subtotal",
                "total",
                "currency",
                "lines",
            ],
            DocKind::CreditNote => &[
                "credit_note_no",
                "bill_no",
                "customer_code",
                "amount",
                "reason",
                "created_at",
                "currency",
            ],
            DocKind::Receipt => &[
                "payment_no",
                "customer_code",
                "amount",
                "received_at",
                "method",
                "payer_name",
                "reference",
                "currency",
            ],
        }
    }
}

/// The number a credit note goes by: its bill's number and its own id,
/// stable for the life of the note.
pub fn credit_note_no(bill_no: &str, note_id: i64) -> String {
    format!("{bill_no}-CN{note_id}")
}

/// What makes two pushes the same document: sent as `Idempotency-Key` and
/// unique in the outbox.
pub fn idempotency_key(kind: DocKind, doc_no: &str) -> String {
    format!("opcms:{}:{doc_no}", kind.code())
}

/// Where a pushed document stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    /// Waiting for its (next) try.
    Queued,
    /// Claimed by a sender now.
    Sending,
    /// The ERP has it (created, or it already had it).
    Sent,
    /// Given up: a permanent refusal or too many failures. A person re-sends.
    Failed,
}

impl SyncStatus {
    pub const ALL: [SyncStatus; 4] = [
        SyncStatus::Queued,
        SyncStatus::Sending,
        SyncStatus::Sent,
        SyncStatus::Failed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SyncStatus::Queued => "queued",
            SyncStatus::Sending => "sending",
            SyncStatus::Sent => "sent",
            SyncStatus::Failed => "failed",
        }
    }

    pub fn parse(code: &str) -> Option<SyncStatus> {
        SyncStatus::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Renames the top-level fields of `payload` by `mapping` (our name → the
/// ERP's); a field the mapping does not name keeps our name, and a field
/// mapped to `""` is left out.
pub fn map_fields(payload: &Value, mapping: &BTreeMap<String, String>) -> Value {
    let Value::Object(fields) = payload else {
        return payload.clone();
    };
    let mut out = Map::new();
    for (ours, value) in fields {
        match mapping.get(ours) {
            Some(theirs) if theirs.is_empty() => {}
            Some(theirs) => {
                out.insert(theirs.clone(), value.clone());
            }
            None => {
                out.insert(ours.clone(), value.clone());
            }
        }
    }
    Value::Object(out)
}

/// A mapping's problems: a field we do not send, or two of ours given the
/// same ERP name. For the operator, naming the field.
pub fn check_mapping(kind: DocKind, mapping: &BTreeMap<String, String>) -> Result<(), String> {
    let mut taken: BTreeMap<&str, &str> = BTreeMap::new();
    for (ours, theirs) in mapping {
        if !kind.fields().contains(&ours.as_str()) {
            return Err(format!(
                "{} has no field \"{ours}\" (known: {})",
                kind.code(),
                kind.fields().join(", ")
            ));
        }
        if theirs.is_empty() {
            continue;
        }
        if let Some(other) = taken.insert(theirs, ours) {
            return Err(format!(
                "{}: \"{other}\" and \"{ours}\" are both mapped to \"{theirs}\"",
                kind.code()
            ));
        }
    }
    Ok(())
}

/// Customer master data pulled from the ERP: the mapping is our field name
/// (`customer_code`, `company_name`, … as in the API, owners as
/// `sales_owner_id`/`ops_owner_id` holding a person's name) → the ERP's
/// field. The code is the key that ties an ERP record to a customer, so it
/// must be mapped; two of ours may not read one ERP field.
pub fn check_customer_mapping(mapping: &BTreeMap<String, String>) -> Result<(), String> {
    let mut taken: BTreeMap<&str, &str> = BTreeMap::new();
    for (ours, theirs) in mapping {
        if Field::from_name(ours).is_none() {
            let known: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
            return Err(format!(
                "customer has no field \"{ours}\" (known: {})",
                known.join(", ")
            ));
        }
        if theirs.is_empty() {
            return Err(format!("customer: the ERP field for \"{ours}\" is empty"));
        }
        if let Some(other) = taken.insert(theirs, ours) {
            return Err(format!(
                "customer: \"{other}\" and \"{ours}\" are both read from \"{theirs}\""
            ));
        }
    }
    if !mapping.contains_key(Field::CustomerCode.name()) {
        return Err("customer: customer_code must be mapped (it ties an ERP record to a customer)".into());
    }
    Ok(())
}

/// An ERP customer record as the import reads it: each mapped field's value
/// as text (a number as written, a list joined with 、, a boolean as 是/否),
/// None when the ERP sent nothing (null, missing or blank): an import never
/// erases.
pub fn customer_texts(record: &Value, mapping: &BTreeMap<String, String>) -> Vec<(Field, Option<String>)> {
    let mut fields = Vec::with_capacity(mapping.len());
    for field in Field::ALL {
        let Some(theirs) = mapping.get(field.name()) else {
            continue;
        };
        let text = match record.get(theirs) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(b)) => Some(if *b { "是" } else { "否" }.to_string()),
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("、"),
            ),
            Some(Value::Object(_)) | Some(Value::Null) | None => None,
        };
        fields.push((field, text.filter(|t| !t.trim().is_empty())));
    }
    fields
}

/// Whether an ERP record's version `candidate` is newer than `known` (the
/// one last applied). Whole numbers compare as numbers, anything else (ISO
/// timestamps) as text; so a record that arrives late, after a newer one,
/// is recognized as stale and never undoes the newer one.
pub fn is_newer_version(candidate: &str, known: &str) -> bool {
    match (candidate.trim().parse::<i128>(), known.trim().parse::<i128>()) {
        (Ok(a), Ok(b)) => a > b,
        _ => candidate.trim() > known.trim(),
    }
}

/// Milliseconds before try number `attempts + 1`, after `attempts` failed
/// tries: the base doubled per failure, at most an hour.
pub fn retry_delay_ms(base_ms: u64, attempts: i32) -> u64 {
    let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(20);
    base_ms.saturating_mul(1u64 << doublings).min(3_600_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn customer_records_are_read_by_the_mapping_and_versions_compare_as_numbers_or_text() {
        let mapping = BTreeMap::from([
            ("customer_code".to_string(), "CustNo".to_string()),
            ("company_name".to_string(), "Name".to_string()),
            ("contact_phone".to_string(), "Tel".to_string()),
            ("device_series".to_string(), "Series".to_string()),
            ("remarks".to_string(), "Note".to_string()),
        ]);
        assert_eq!(check_customer_mapping(&mapping), Ok(()));
        let record = json!({"CustNo": "C000001", "Name": "甲公司", "Tel": 13800138000u64,
            "Series": ["X", "N"], "Note": "  ", "Other": 1});
        assert_eq!(
            customer_texts(&record, &mapping),
            vec![
                (Field::CustomerCode, Some("C000001".into())),
                (Field::CompanyName, Some("甲公司".into())),
                (Field::ContactPhone, Some("13800138000".into())),
                (Field::DeviceSeries, Some("X、N".into())),
                (Field::Remarks, None),
            ]
        );
        let no_code = BTreeMap::from([("company_name".to_string(), "Name".to_string())]);
        assert!(check_customer_mapping(&no_code).unwrap_err().contains("customer_code"));
        let unknown = BTreeMap::from([("colour".to_string(), "Farbe".to_string())]);
        assert!(check_customer_mapping(&unknown).unwrap_err().contains("colour"));
        let twice = BTreeMap::from([
            ("customer_code".to_string(), "No".to_string()),
            ("account_id".to_string(), "No".to_string()),
        ]);
        assert!(check_customer_mapping(&twice).is_err());
        assert!(is_newer_version("10", "9"));
        assert!(!is_newer_version("9", "10"));
        assert!(!is_newer_version("7", "7"));
        assert!(is_newer_version("2026-12-06T10:00:00Z", "2026-12-06T09:59:59Z"));
    }

    #[test]
    fn a_mapping_renames_drops_and_keeps_fields() {
        let mapping = BTreeMap::from([
            ("bill_no".to_string(), "DocNo".to_string()),
            ("company_name".to_string(), String::new()),
        ]);
        let mapped = map_fields(
            &json!({"bill_no": "B1", "company_name": "甲", "total": "1.00"}),
            &mapping,
        );
        assert_eq!(mapped, json!({"DocNo": "B1", "total": "1.00"}));
    }

    #[test]
    fn a_mapping_naming_an_unknown_field_or_one_name_twice_is_refused() {
        let unknown = BTreeMap::from([("colour".to_string(), "x".to_string())]);
        assert!(check_mapping(DocKind::Bill, &unknown).unwrap_err().contains("colour"));
        let twice = BTreeMap::from([
            ("bill_no".to_string(), "No".to_string()),
            ("customer_code".to_string(), "No".to_string()),
        ]);
        assert!(check_mapping(DocKind::Bill, &twice).unwrap_err().contains("No"));
        let fine = BTreeMap::from([("payment_no".to_string(), "ReceiptNo".to_string())]);
        assert!(check_mapping(DocKind::Receipt, &fine).is_ok());
    }

    #[test]
    fn the_key_names_the_kind_and_the_number() {
        assert_eq!(
            idempotency_key(DocKind::Bill, "B202611-0001"),
            "opcms:bill:B202611-0001"
        );
        assert_eq!(credit_note_no("B202611-0001", 7), "B202611-0001-CN7");
        assert_ne!(
            idempotency_key(DocKind::Bill, "X1"),
            idempotency_key(DocKind::Receipt, "X1")
        );
    }

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        assert_eq!(retry_delay_ms(1000, 1), 1000);
        assert_eq!(retry_delay_ms(1000, 2), 2000);
        assert_eq!(retry_delay_ms(1000, 4), 8000);
        assert_eq!(retry_delay_ms(60_000, 30), 3_600_000);
        assert_eq!(retry_delay_ms(1000, 0), 1000);
    }

    #[test]
    fn statuses_and_kinds_read_back_from_their_codes() {
        for s in SyncStatus::ALL {
            assert_eq!(SyncStatus::parse(s.code()), Some(s));
        }
        for k in DocKind::ALL {
            assert_eq!(DocKind::parse(k.code()), Some(k));
        }
    }
}
