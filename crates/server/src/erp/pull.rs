//! Customer master data from the ERP (the `erp.customers` job; 立即同步 on
//! the 集成 page runs it now). The ERP's change feed is read page by page
//! from the kept cursor; each record becomes a row of the customer import
//! (`customers::import`), so it is checked, planned, recorded (with its
//! report) and written by the same rules as an Excel sheet.
//!
//! What the ERP may not do is overwrite a customer edited here since the
//! last time its values were applied (`erp_customer_links.synced_version`):
//! such a record is a conflict, kept sealed for a person on the 集成 page
//! (`conflicts`), and the rest of the run goes ahead. A customer the ERP
//! sends for the first time that differs from ours is a conflict too: there
//! is no earlier agreement to go by.
//!
//! A feed that repeats or reorders is safe: repeats within a run are taken
//! once, a record not newer (`version_field`) than the one last applied is
//! stale and skipped, and a record equal to what we hold changes nothing.
//! The cursor moves only in the transaction that writes the records.

use std::collections::HashMap;

use chrono::Utc;
use opcms_domain::Role;
use opcms_domain::customer::fields::parse_customer_code;
use opcms_domain::customer::profile::validate;
use opcms_domain::customer::{Field, RawProfile};
use opcms_domain::erp::{customer_texts, is_newer_version};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::client::ErpClient;
use super::entity::{customer_link as link, pull_state};
use crate::audit::Actor;
use crate::config::erp::ErpCustomerPull;
use crate::crypto::{Binding, Keyring};
use crate::customers::entity::customer;
use crate::customers::import::plan::{Action, Issue, IssueStatus};
use crate::customers::import::{Batch, Committed, commit_plan, plan_rows};
use crate::customers::model::raw_from_row;
use crate::db::{begin_write, bulk};
use crate::error::{AppError, AppResult};
use crate::spreadsheet::header::Columns;
use crate::spreadsheet::{Cell, Row};
use crate::state::AppState;
use crate::telemetry::Stopwatch;
use crate::users::entity as user;

/// What a pull run is called in the import history and its report.
pub const RUN_NAME: &str = "ERP 客户资料同步";
/// The feed's row in `erp_pull_state`.
const FEED: &str = "customers";
/// Customers looked up at once.
const CHUNK: usize = 500;

/// One ERP record as the import reads it.
struct Incoming {
    /// The code normalized as a customer's is (or as sent, when invalid:
    /// the import then rejects it).
    key: String,
    version: Option<String>,
    texts: Vec<(Field, Option<String>)>,
    digest: String,
}

/// A field an ERP record would change in a customer edited here.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConflictField {
    /// `company_name`, … (`sales_owner_id` for the 销售负责人 by name).
    pub field: String,
    /// 公司名称, …
    pub label: String,
    #[schema(required = true)]
    pub local: Option<String>,
    #[schema(required = true)]
    pub erp: Option<String>,
}

/// What `pending_enc` holds: the ERP's record and what it would change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub version: Option<String>,
    /// Our field name → the ERP's value as text.
    pub record: Vec<(String, Option<String>)>,
    pub fields: Vec<ConflictField>,
}

pub fn pending_binding(customer_id: i64) -> Binding {
    Binding::new("erp_customer_links", "pending_enc", customer_id)
}

pub fn seal_pending(keyring: &Keyring, customer_id: i64, pending: &Pending) -> AppResult<String> {
    Ok(keyring.encrypt(
        &pending_binding(customer_id),
        &serde_json::to_string(pending).map_err(anyhow::Error::from)?,
    )?)
}

pub fn open_pending(keyring: &Keyring, customer_id: i64, sealed: &str) -> AppResult<Pending> {
    let json = keyring
        .decrypt(&pending_binding(customer_id), sealed)
        .map_err(|e| AppError::Internal(e.context("ERP conflict unreadable (key mismatch)")))?;
    Ok(serde_json::from_str(&json).map_err(anyhow::Error::from)?)
}

/// The import's columns of an ERP row: every profile field (a stored
/// customer's values fill what the ERP does not send, so a row is whole, as
/// the import wants it), and the owners when the ERP sends them.
pub fn row_fields(sends: impl Fn(Field) -> bool) -> Vec<Field> {
    Field::ALL
        .into_iter()
        .filter(|f| !matches!(f, Field::SalesOwner | Field::OpsOwner) || sends(*f))
        .collect()
}

/// `fields`' texts: the ERP's where it sent one, else the stored customer's.
pub fn filled(
    fields: &[Field],
    erp: &[(Field, Option<String>)],
    stored: Option<&customer::Model>,
    keyring: &Keyring,
) -> Vec<(Field, Option<String>)> {
    let local: Option<RawProfile> = stored.map(|c| raw_from_row(c, keyring));
    fields
        .iter()
        .map(|&field| {
            let sent = erp.iter().find(|(f, _)| *f == field).and_then(|(_, t)| t.clone());
            let text = sent.or_else(|| local.as_ref().and_then(|l| l.text_of(field)));
            (field, text)
        })
        .collect()
}

pub fn columns_for(fields: &[Field]) -> Columns<Field> {
    Columns {
        header_index: 0,
        header_row: 1,
        fields: fields.iter().copied().enumerate().collect(),
        headers: fields.iter().map(|f| f.header().to_string()).collect(),
        warnings: Vec::new(),
    }
}

/// A record's texts as a sheet row (numbered as a report's row would be).
pub fn row_of(number: u32, texts: &[(Field, Option<String>)]) -> Row {
    Row {
        number,
        cells: texts
            .iter()
            .map(|(_, text)| text.clone().map_or(Cell::Empty, Cell::Text))
            .collect(),
    }
}

fn digest(texts: &[(Field, Option<String>)]) -> String {
    let mut hash = Sha256::new();
    for (field, text) in texts {
        hash.update(field.name().as_bytes());
        hash.update([0]);
        if let Some(text) = text {
            hash.update([1]);
            hash.update(text.trim().as_bytes());
        }
        hash.update([0xff]);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Default, Serialize)]
struct Counts {
    fetched: usize,
    /// Not an object, or without a customer code.
    unreadable: usize,
    /// The same customer again in this run (the newest kept).
    repeated: usize,
    /// Not newer than the version last applied.
    stale: usize,
    /// The ERP record a person chose to keep our values against.
    kept_local: usize,
    created: usize,
    updated: usize,
    unchanged: usize,
    rejected: usize,
    conflicts: usize,
}

/// One run: the feed from the kept cursor, applied. The counts for the
/// jobs page; an unreachable or unreadable ERP fails the run (the job
/// retries) with the cursor where it was.
pub async fn run(state: &AppState, actor: &Actor) -> AppResult<Value> {
    let Some(erp) = state.config.erp.as_ref() else {
        // Counts are numbers (the jobs page names each): a run with nothing to do.
        return Ok(json!({"not_configured": 1}));
    };
    let Some(pull) = erp.customers.as_ref() else {
        return Ok(json!({"not_configured": 1}));
    };
    match pull_once(state, actor, erp, pull).await {
        Ok(counts) => Ok(counts),
        Err(error) => {
            let message = match &error {
                AppError::Unavailable { message, .. } => message.clone(),
                other => format!("ERP 客户资料同步失败：{other}"),
            };
            tracing::warn!(error = %message, "ERP customer pull failed");
            let now = Utc::now();
            let failed = pull_state::Entity::insert(pull_state::ActiveModel {
                name: Set(FEED.to_string()),
                feed_cursor: Set(None),
                last_success_at: Set(None),
                last_counts: Set(None),
                last_error: Set(Some(message)),
                last_error_at: Set(Some(now)),
                updated_at: Set(now),
            })
            .on_conflict(
                OnConflict::column(pull_state::Column::Name)
                    .update_columns([
                        pull_state::Column::LastError,
                        pull_state::Column::LastErrorAt,
                        pull_state::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(&state.db)
            .await;
            if let Err(e) = failed {
                tracing::warn!(error = %e, "recording the ERP pull failure failed");
            }
            Err(error)
        }
    }
}

/// The last run's outcome and the cursor.
pub async fn outcome(db: &impl ConnectionTrait) -> AppResult<Option<pull_state::Model>> {
    Ok(pull_state::Entity::find_by_id(FEED.to_string()).one(db).await?)
}

async fn pull_once(
    state: &AppState,
    actor: &Actor,
    erp: &crate::config::ErpConfig,
    pull: &ErpCustomerPull,
) -> AppResult<Value> {
    let mut watch = Stopwatch::start();
    let client = ErpClient::new(erp.clone()).map_err(AppError::Internal)?;
    let start = outcome(&state.db).await?.and_then(|s| s.feed_cursor);
    let (records, cursor) = fetch(&client, pull, start.clone()).await?;
    watch.lap("fetch");
    let mut counts = Counts {
        fetched: records.len(),
        ..Counts::default()
    };
    let mut incoming = read(records, pull, &mut counts);

    let txn = begin_write(&state.db).await?;
    let keys: Vec<String> = incoming.iter().map(|i| i.key.clone()).collect();
    let stored = stored_by_code(&txn, &keys).await?;
    let ids: Vec<i64> = stored.values().map(|c| c.id).collect();
    let links = links_of(&txn, &ids).await?;
    incoming.retain(|inc| {
        let Some(link) = stored.get(&inc.key).and_then(|c| links.get(&c.id)) else {
            return true;
        };
        if let (Some(version), Some(known)) = (&inc.version, &link.erp_version)
            && !is_newer_version(version, known)
            && link.pending_digest.as_deref() != Some(inc.digest.as_str())
        {
            counts.stale += 1;
            return false;
        }
        if link.kept_digest.as_deref() == Some(inc.digest.as_str()) {
            counts.kept_local += 1;
            return false;
        }
        true
    });
    let fields = row_fields(|f| pull.fields.contains_key(f.name()));
    let columns = columns_for(&fields);
    let rows: Vec<Row> = incoming
        .iter()
        .enumerate()
        .map(|(i, inc)| {
            let texts = filled(&fields, &inc.texts, stored.get(&inc.key), &state.keyring);
            row_of(u32::try_from(i).unwrap_or(u32::MAX - 2) + 2, &texts)
        })
        .collect();
    let mut plan = plan_rows(&txn, state, Role::Management, &rows, &columns, None).await?;
    watch.lap("check and plan");

    // Updates of customers edited here since the ERP's last values become
    // conflicts; everything else the plan does is applied.
    let now = Utc::now();
    let mut conflicts: Vec<link::ActiveModel> = Vec::new();
    let mut applied: HashMap<String, Option<String>> = HashMap::new();
    let mut kept_rows = Vec::with_capacity(plan.rows.len());
    let mut conflict_issues = Vec::new();
    for planned in std::mem::take(&mut plan.rows) {
        let inc = &incoming[(planned.row - 2) as usize];
        if let Action::Update { existing } = &planned.action {
            let clean = links
                .get(&existing.id)
                .is_some_and(|l| l.synced_version == existing.version);
            if !clean {
                let fields = differing(state, existing, &planned.profile, planned.owners, inc).await?;
                conflict_issues.push(Issue {
                    row: planned.row,
                    status: IssueStatus::Rejected,
                    column: fields.first().map(|f| f.label.clone()).unwrap_or_default(),
                    value: fields.first().and_then(|f| f.erp.clone()).unwrap_or_default(),
                    message: format!(
                        "本地资料已修改，ERP 的新值未覆盖（{}）；请在「集成」页处理冲突",
                        fields.iter().map(|f| f.label.as_str()).collect::<Vec<_>>().join("、")
                    ),
                });
                let pending = Pending {
                    version: inc.version.clone(),
                    record: inc
                        .texts
                        .iter()
                        .map(|(f, t)| (f.name().to_string(), t.clone()))
                        .collect(),
                    fields,
                };
                let old = links.get(&existing.id);
                conflicts.push(link::ActiveModel {
                    id: NotSet,
                    customer_id: Set(existing.id),
                    erp_version: Set(old.and_then(|l| l.erp_version.clone())),
                    synced_version: Set(old.map_or(0, |l| l.synced_version)),
                    pending_enc: Set(Some(seal_pending(&state.keyring, existing.id, &pending)?)),
                    pending_digest: Set(Some(inc.digest.clone())),
                    conflict_at: Set(Some(now)),
                    kept_digest: Set(old.and_then(|l| l.kept_digest.clone())),
                    updated_at: Set(now),
                });
                continue;
            }
        }
        let code = match &planned.action {
            Action::Create { code } => code.clone(),
            Action::Update { existing } => existing.customer_code.clone(),
            Action::Unchanged => planned.profile.customer_code.clone().unwrap_or_else(|| inc.key.clone()),
        };
        applied.insert(code, inc.version.clone());
        kept_rows.push(planned);
    }
    plan.rows = kept_rows;
    counts.conflicts = conflict_issues.len();
    plan.rejected += conflict_issues.len();
    plan.issues.extend(conflict_issues);
    plan.issues.sort_by_key(|i| i.row);
    counts.rejected = plan.rejected - counts.conflicts;

    let Committed {
        import_id,
        created,
        updated,
        unchanged,
    } = commit_plan(
        &txn,
        state,
        actor,
        Batch {
            file_name: RUN_NAME,
            dry_run: false,
            columns: &columns,
            rows: &rows,
        },
        &mut plan,
        &mut watch,
    )
    .await?;
    (counts.created, counts.updated, counts.unchanged) = (created, updated, unchanged);

    // The applied customers are in step with the ERP at their new version.
    let codes: Vec<String> = applied.keys().cloned().collect();
    let now_stored = stored_by_code(&txn, &codes).await?;
    let mut rows_out = conflicts;
    for (code, version) in &applied {
        let Some(now) = now_stored.get(code) else {
            continue;
        };
        rows_out.push(link::ActiveModel {
            id: NotSet,
            customer_id: Set(now.id),
            erp_version: Set(version.clone()),
            synced_version: Set(now.version),
            pending_enc: Set(None),
            pending_digest: Set(None),
            conflict_at: Set(None),
            kept_digest: Set(None),
            updated_at: Set(Utc::now()),
        });
    }
    let replaced: Vec<i64> = rows_out
        .iter()
        .filter_map(|r| match &r.customer_id {
            Set(id) => Some(*id),
            _ => None,
        })
        .collect();
    for chunk in replaced.chunks(CHUNK) {
        link::Entity::delete_many()
            .filter(link::Column::CustomerId.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
    }
    bulk::insert(&txn, rows_out).await?;
    let mut value = serde_json::to_value(&counts).map_err(anyhow::Error::from)?;
    if let Value::Object(map) = &mut value {
        map.insert("import_id".into(), json!(import_id));
    }
    pull_state::Entity::insert(pull_state::ActiveModel {
        name: Set(FEED.to_string()),
        feed_cursor: Set(cursor),
        last_success_at: Set(Some(now)),
        last_counts: Set(Some(value.to_string())),
        last_error: Set(None),
        last_error_at: Set(None),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(pull_state::Column::Name)
            .update_columns([
                pull_state::Column::FeedCursor,
                pull_state::Column::LastSuccessAt,
                pull_state::Column::LastCounts,
                pull_state::Column::LastError,
                pull_state::Column::LastErrorAt,
                pull_state::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(&txn)
    .await?;
    txn.commit().await?;
    watch.lap("commit");
    tracing::info!(
        fetched = counts.fetched,
        created,
        updated,
        unchanged,
        conflicts = counts.conflicts,
        stale = counts.stale,
        phases = %watch.summary(),
        "ERP customer pull finished"
    );
    Ok(value)
}

/// The feed from `cursor` on: pages until one is short or empty, the cursor
/// stops moving, or `max_records` are in hand.
async fn fetch(
    client: &ErpClient,
    pull: &ErpCustomerPull,
    mut cursor: Option<String>,
) -> AppResult<(Vec<Value>, Option<String>)> {
    let mut records = Vec::new();
    loop {
        let (page, next) = client
            .customers_page(pull, cursor.as_deref())
            .await
            .map_err(|e| AppError::Unavailable {
                code: "ERP_UNAVAILABLE",
                message: format!("拉取 ERP 客户资料失败：{}", e.message),
            })?;
        let taken = page.len();
        records.extend(page);
        let moved = match next {
            Some(next) if Some(&next) != cursor.as_ref() => {
                cursor = Some(next);
                true
            }
            _ => false,
        };
        if !moved || taken < pull.page_size as usize || records.len() >= pull.max_records as usize {
            break;
        }
    }
    Ok((records, cursor))
}

/// The records as import rows, one per customer code: of repeats, the
/// newest by version (or the later in the feed).
fn read(records: Vec<Value>, pull: &ErpCustomerPull, counts: &mut Counts) -> Vec<Incoming> {
    let mut out: Vec<Incoming> = Vec::with_capacity(records.len());
    let mut at: HashMap<String, usize> = HashMap::new();
    for record in records {
        if !record.is_object() {
            counts.unreadable += 1;
            continue;
        }
        let texts = customer_texts(&record, &pull.fields);
        let Some(code): Option<String> = texts
            .iter()
            .find(|(f, _)| *f == Field::CustomerCode)
            .and_then(|(_, t)| t.clone())
        else {
            counts.unreadable += 1;
            continue;
        };
        let key = parse_customer_code(&code).unwrap_or_else(|| code.trim().to_uppercase());
        let version = pull
            .version_field
            .as_ref()
            .and_then(|f| record.get(f))
            .and_then(|v| match v {
                Value::String(s) if !s.trim().is_empty() => Some(s.trim().chars().take(64).collect()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            });
        let incoming = Incoming {
            key: key.clone(),
            version,
            digest: digest(&texts),
            texts,
        };
        match at.get(&key) {
            Some(&i) => {
                counts.repeated += 1;
                let older = match (&out[i].version, &incoming.version) {
                    (Some(held), Some(new)) => is_newer_version(new, held),
                    _ => true,
                };
                if older {
                    out[i] = incoming;
                }
            }
            None => {
                at.insert(key, out.len());
                out.push(incoming);
            }
        }
    }
    out
}

/// Live customers by code.
async fn stored_by_code(db: &impl ConnectionTrait, codes: &[String]) -> AppResult<HashMap<String, customer::Model>> {
    let mut stored = HashMap::new();
    for chunk in codes.chunks(CHUNK) {
        for row in customer::Entity::find()
            .filter(customer::Column::CodeKey.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            if let Some(code) = row.code_key.clone() {
                stored.insert(code, row);
            }
        }
    }
    Ok(stored)
}

async fn links_of(db: &impl ConnectionTrait, ids: &[i64]) -> AppResult<HashMap<i64, link::Model>> {
    let mut links = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        for row in link::Entity::find()
            .filter(link::Column::CustomerId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            links.insert(row.customer_id, row);
        }
    }
    Ok(links)
}

/// What the ERP's record would change in `existing`, with both values as a
/// person reads them.
async fn differing(
    state: &AppState,
    existing: &customer::Model,
    erp: &opcms_domain::customer::Profile,
    owners: (Option<i64>, Option<i64>),
    inc: &Incoming,
) -> AppResult<Vec<ConflictField>> {
    let local: RawProfile = raw_from_row(existing, &state.keyring);
    let erp_text = |field: Field| inc.texts.iter().find(|(f, _)| *f == field).and_then(|(_, t)| t.clone());
    let mut fields: Vec<Field> = match validate(&local) {
        Ok(before) => before.differing_fields(erp),
        // A stored profile the rules no longer accept: show every field sent.
        Err(_) => inc.texts.iter().filter(|(_, t)| t.is_some()).map(|(f, _)| *f).collect(),
    };
    fields.retain(|f| !matches!(f, Field::SalesOwner | Field::OpsOwner));
    let mut out: Vec<ConflictField> = fields
        .into_iter()
        .map(|field| ConflictField {
            field: field.name().to_string(),
            label: field.header().to_string(),
            local: local.text_of(field),
            erp: erp_text(field),
        })
        .collect();
    for (field, now, next) in [
        (Field::SalesOwner, existing.sales_owner_id, owners.0),
        (Field::OpsOwner, existing.ops_owner_id, owners.1),
    ] {
        if now != next {
            out.push(ConflictField {
                field: field.name().to_string(),
                label: field.header().to_string(),
                local: user_name(state, now).await?,
                erp: erp_text(field),
            });
        }
    }
    Ok(out)
}

async fn user_name(state: &AppState, id: Option<i64>) -> AppResult<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    Ok(user::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .map(|u| u.display_name))
}

/// A conflict's ERP record as an import row over `stored` as it is now (for
/// `conflicts::accept`): the columns and the row.
pub fn pending_row(pending: &Pending, stored: &customer::Model, keyring: &Keyring) -> (Columns<Field>, Row) {
    let erp: Vec<(Field, Option<String>)> = pending
        .record
        .iter()
        .filter_map(|(name, text)| Field::from_name(name).map(|f| (f, text.clone())))
        .collect();
    let fields = row_fields(|f| erp.iter().any(|(g, t)| *g == f && t.is_some()));
    let texts = filled(&fields, &erp, Some(stored), keyring);
    (columns_for(&fields), row_of(2, &texts))
}
