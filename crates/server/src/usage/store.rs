//! The one way usage gets written. Every source (collection, file, entry,
//! quarantine resolution) hands its records to [`write`], inside a
//! transaction the caller commits (or rolls back, for a dry run):
//!
//! 1. the source's write lock is taken, so two writers of one source take
//!    turns and never both count one record;
//! 2. each record's customer is looked up and the record is judged by
//!    `opcms_domain::usage::check`;
//! 3. accepted records are inserted, or update the stored record with the
//!    same `(source, source_id)` (a revision kept), or are unchanged;
//! 4. the monthly totals move by the same deltas;
//! 5. the others go to quarantine (the same entry when delivered again);
//! 6. one audit entry sums the write up.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, Utc};
use opcms_domain::Period;
use opcms_domain::customer::{AccountStatus, Series};
use opcms_domain::usage::{
    CheckRules, CheckedUsage, CustomerMatch, DayWindow, QuarantineReason, RawUsage, SanityLimits, check,
    natural_source_id,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    NotSet, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::entity::{account_link, quarantine, record, revision, write_lock};
use crate::audit::{self, Actor};
use crate::customers::entity::customer;
use crate::db::begin_write;
use crate::db::raw::RawSql;
use crate::error::AppResult;

/// Rows per multi-row statement: well under every backend's bind limit.
const CHUNK: usize = 500;

/// How a record names its customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerRef {
    Id(i64),
    /// A platform account (`customers.account_id`, or a person's mapping).
    Account(String),
    /// A customer code (客户编号), as files name customers.
    Code(String),
    None,
}

impl CustomerRef {
    /// How the reference reads to a person (and in quarantine).
    pub fn shown(&self) -> Option<String> {
        match self {
            CustomerRef::Id(id) => Some(format!("#{id}")),
            CustomerRef::Account(a) => Some(a.clone()),
            CustomerRef::Code(c) => Some(c.clone()),
            CustomerRef::None => None,
        }
    }
}

/// One record as a source delivered it.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub customer: CustomerRef,
    pub raw: RawUsage,
    /// The source's own id for the record; the natural key when absent.
    pub source_id: Option<String>,
    /// The record as received, kept in quarantine for a person to read.
    pub original: serde_json::Value,
    /// A person confirmed an over-limit quantity (quarantine `accept`).
    pub limit_confirmed: bool,
    /// The quarantine entry this record comes from (a re-check), so that a
    /// record still failing stays that entry whatever was corrected.
    pub quarantine_key: Option<String>,
}

/// The lock a write takes when it looks for other records of the same
/// customer, series and day ([`OnExisting::Report`] / [`OnExisting::Correct`]):
/// entry and import take it besides their own source's lock, so two of them
/// racing for one key take turns and the second sees the first's record.
pub const KEY_LOCK: &str = "usage:keys";

/// What a write does with a record that would be new while the same
/// customer, series and day already has a stored record (from another source,
/// or under another source id). A record whose own `(source, source_id)` is
/// stored is always updated in place, whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExisting {
    /// Store it as one more record (collections, quarantine; entry with
    /// `add: true`; an import's `add`).
    Add,
    /// Write nothing for it: [`Outcome::Conflict`] names the records there
    /// (entry without `add`; an import's `skip` and its dry run).
    Report,
    /// Correct the one record there instead (a revision kept); when there
    /// are several, nothing is written ([`Outcome::Conflict`]).
    Correct,
    /// Keep it in quarantine (`USAGE_EXISTS`) until a person accepts it as
    /// a second record or discards it, when a record there came from a person
    /// (`manual`, `import`); other collections' records do not count
    /// (collections: a vendor cannot be asked).
    Quarantine,
}

/// A stored record a new one would double (the `USAGE_EXISTS` details).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ExistingRecord {
    pub id: i64,
    pub source: String,
    pub source_id: String,
    pub quantity: String,
    /// The record's `revisions`: `PATCH /usage/{id}` with this `version`
    /// corrects it only if nobody changed it meanwhile.
    pub version: i32,
}

impl ExistingRecord {
    fn of(stored: &record::Model) -> ExistingRecord {
        ExistingRecord {
            id: stored.id,
            source: stored.source.clone(),
            source_id: stored.source_id.clone(),
            quantity: opcms_domain::usage::quantity_text(opcms_domain::Fixed4::from_units(stored.quantity)),
            version: stored.revisions,
        }
    }
}

/// Where a batch comes from and why.
pub struct Delivery<'a> {
    /// `api:<name>`, `import` or `manual`.
    pub source: &'a str,
    pub window: DayWindow,
    pub limits: SanityLimits,
    /// Kept on revisions: `redelivery`, `import`, `entry`, `quarantine`.
    pub cause: &'static str,
    pub reason: Option<&'a str>,
    pub run_id: Option<i64>,
    pub actor: &'a Actor,
    /// What the audit entry adds about the batch (file name, run id).
    pub context: serde_json::Value,
    /// A new record for a customer, series and day that already has one.
    pub on_existing: OnExisting,
    /// Usage of a closed customer is discarded at once (config
    /// `usage_discard_closed`), not left pending in quarantine.
    pub discard_closed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Created {
        record_id: i64,
    },
    Updated {
        record_id: i64,
    },
    Unchanged {
        record_id: i64,
    },
    Quarantined {
        quarantine_id: i64,
        reason: QuarantineReason,
        message: String,
    },
    /// Kept in quarantine as already discarded, by rule (a closed customer).
    Discarded {
        quarantine_id: i64,
        reason: QuarantineReason,
        message: String,
    },
    /// Not written: the customer, series and day already has these records.
    Conflict {
        existing: Vec<ExistingRecord>,
    },
}

impl Outcome {
    pub fn record_id(&self) -> Option<i64> {
        match self {
            Outcome::Created { record_id } | Outcome::Updated { record_id } | Outcome::Unchanged { record_id } => {
                Some(*record_id)
            }
            Outcome::Quarantined { .. } | Outcome::Discarded { .. } | Outcome::Conflict { .. } => None,
        }
    }
}

/// Counts of a write, in the API's names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub accepted: u32,
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub quarantined: u32,
    /// Discarded by rule (usage of closed customers, `usage_discard_closed`).
    pub discarded: u32,
    /// Not written: the customer, series and day already had a record.
    pub conflicts: u32,
}

impl Tally {
    /// Counts distinct records: copies of one record within a batch (a
    /// vendor repeating a page) count once.
    pub fn of(outcomes: &[Outcome]) -> Tally {
        let mut tally = Tally::default();
        let mut seen = std::collections::HashSet::new();
        for outcome in outcomes {
            let key = match outcome {
                Outcome::Quarantined { quarantine_id, .. } | Outcome::Discarded { quarantine_id, .. } => {
                    (1, *quarantine_id)
                }
                Outcome::Conflict { existing } => (2, existing.first().map_or(0, |e| e.id)),
                other => (0, other.record_id().unwrap_or_default()),
            };
            if !seen.insert(key) {
                continue;
            }
            match outcome {
                Outcome::Created { .. } => tally.created += 1,
                Outcome::Updated { .. } => tally.updated += 1,
                Outcome::Unchanged { .. } => tally.unchanged += 1,
                Outcome::Quarantined { .. } => tally.quarantined += 1,
                Outcome::Discarded { .. } => tally.discarded += 1,
                Outcome::Conflict { .. } => tally.conflicts += 1,
            }
        }
        tally.accepted = tally.created + tally.updated + tally.unchanged;
        tally
    }
}

/// Writes a batch; one outcome per incoming record, in order. Records of
/// the batch with the same `source_id` are one record (the last wins).
/// `db` is a transaction opened by [`begin`] for this source.
pub async fn write(
    db: &impl ConnectionTrait,
    delivery: &Delivery<'_>,
    incoming: &[Incoming],
) -> AppResult<Vec<Outcome>> {
    lock_source(db, delivery.source).await?;
    if delivery.on_existing != OnExisting::Add {
        lock_source(db, KEY_LOCK).await?;
    }
    let matches = match_customers(db, incoming.iter().map(|i| &i.customer)).await?;
    let mut outcomes: Vec<Option<Outcome>> = vec![None; incoming.len()];

    // Judge every record; group the accepted by their idempotency key.
    let mut accepted: BTreeMap<String, (CheckedUsage, Vec<usize>)> = BTreeMap::new();
    let mut rejected: BTreeMap<String, Rejected> = BTreeMap::new();
    for (index, item) in incoming.iter().enumerate() {
        let rules = CheckRules {
            window: delivery.window,
            limits: delivery.limits,
            limit_confirmed: item.limit_confirmed,
        };
        let found = &matches[index];
        match check(found, &item.raw, &rules) {
            Ok(usage) => {
                let key = item
                    .source_id
                    .clone()
                    .unwrap_or_else(|| natural_source_id(usage.customer_id, usage.series, usage.day));
                let entry = accepted.entry(key).or_insert((usage, Vec::new()));
                entry.0 = usage;
                entry.1.push(index);
            }
            Err(rejection) => {
                let entry = rejected.entry(quarantine_key(item)).or_insert_with(|| Rejected {
                    last: index,
                    indexes: Vec::new(),
                    reason: rejection.reason,
                    message: String::new(),
                    discard: false,
                });
                entry.discard = delivery.discard_closed && rejection.reason == QuarantineReason::CustomerClosed;
                entry.last = index;
                entry.indexes.push(index);
                entry.reason = rejection.reason;
                entry.message = rejection.message;
            }
        }
    }

    let now = Utc::now();
    let existing = existing_records(db, delivery.source, accepted.keys()).await?;
    let others = match delivery.on_existing {
        OnExisting::Add => HashMap::new(),
        OnExisting::Report | OnExisting::Correct | OnExisting::Quarantine => {
            same_day_records(
                db,
                accepted
                    .iter()
                    .filter(|(key, _)| !existing.contains_key(*key))
                    .map(|(_, (usage, _))| usage),
            )
            .await?
        }
    };
    let mut totals = MonthlyDeltas::default();
    let mut new_rows = Vec::new();
    for (key, (usage, indexes)) in &accepted {
        let outcome = match existing.get(key) {
            Some(stored) if same_usage(stored, usage) => Outcome::Unchanged { record_id: stored.id },
            Some(stored) => {
                update_record(db, delivery.actor, delivery.cause, delivery.reason, stored, usage, now).await?;
                totals.remove(stored);
                totals.add(usage);
                Outcome::Updated { record_id: stored.id }
            }
            None => match (delivery.on_existing, others.get(&day_key(usage))) {
                (OnExisting::Add, _) | (_, None) => {
                    totals.add(usage);
                    new_rows.push(new_record(delivery, key, usage, now));
                    Outcome::Created { record_id: 0 }
                }
                // Another collection's record is another stream (two vendors
                // both count, docs/decisions.md); a person's is not.
                (OnExisting::Quarantine, Some(there)) if there.iter().all(|r| r.source.starts_with("api:")) => {
                    totals.add(usage);
                    new_rows.push(new_record(delivery, key, usage, now));
                    Outcome::Created { record_id: 0 }
                }
                (OnExisting::Correct, Some(there)) if there.len() == 1 => {
                    let stored = &there[0];
                    if stored.quantity == usage.quantity.units() {
                        Outcome::Unchanged { record_id: stored.id }
                    } else {
                        let corrected = CheckedUsage {
                            customer_id: stored.customer_id,
                            day: stored.day,
                            series: usage.series,
                            quantity: usage.quantity,
                        };
                        update_record(
                            db,
                            delivery.actor,
                            delivery.cause,
                            delivery.reason,
                            stored,
                            &corrected,
                            now,
                        )
                        .await?;
                        totals.remove(stored);
                        totals.add(&corrected);
                        Outcome::Updated { record_id: stored.id }
                    }
                }
                (OnExisting::Quarantine, Some(there)) => {
                    let Some(&last) = indexes.last() else {
                        continue;
                    };
                    let named: Vec<String> = there
                        .iter()
                        .map(|r| {
                            format!(
                                "#{}（{} {}）",
                                r.id,
                                source_label(&r.source),
                                ExistingRecord::of(r).quantity
                            )
                        })
                        .collect();
                    rejected.insert(
                        quarantine_key(&incoming[last]),
                        Rejected {
                            last,
                            indexes: indexes.clone(),
                            reason: QuarantineReason::UsageExists,
                            message: format!(
                                "该客户、系列、日期已有记录 {}，为免重复计费未写入：确认接受则另存一条，或丢弃",
                                named.join("、")
                            ),
                            discard: false,
                        },
                    );
                    continue;
                }
                (_, Some(there)) => Outcome::Conflict {
                    existing: there.iter().map(ExistingRecord::of).collect(),
                },
            },
        };
        for index in indexes {
            outcomes[*index] = Some(outcome.clone());
        }
    }
    let created_ids = insert_records(db, delivery.source, new_rows).await?;
    for (key, (_, indexes)) in &accepted {
        if let Some(id) = created_ids.get(key) {
            for index in indexes {
                outcomes[*index] = Some(Outcome::Created { record_id: *id });
            }
        }
    }
    totals.apply(db).await?;

    let quarantined = write_quarantine(db, delivery, incoming, &matches, &rejected, now).await?;
    for (key, entry) in &rejected {
        for index in &entry.indexes {
            let (quarantine_id, reason, message) = (quarantined[key], entry.reason, entry.message.clone());
            outcomes[*index] = Some(if entry.discard {
                Outcome::Discarded {
                    quarantine_id,
                    reason,
                    message,
                }
            } else {
                Outcome::Quarantined {
                    quarantine_id,
                    reason,
                    message,
                }
            });
        }
    }
    let outcomes: Vec<Outcome> = outcomes
        .into_iter()
        .map(|o| o.ok_or_else(|| anyhow::anyhow!("usage write left a record without an outcome")))
        .collect::<Result<_, _>>()?;

    let tally = Tally::of(&outcomes);
    if tally.created + tally.updated + tally.quarantined + tally.discarded > 0 {
        let mut changes = json!({
            "source": delivery.source,
            "records": incoming.len(),
            "created": tally.created,
            "updated": tally.updated,
            "unchanged": tally.unchanged,
            "quarantined": tally.quarantined,
            "discarded": tally.discarded,
        });
        if let (Some(target), Some(extra)) = (changes.as_object_mut(), delivery.context.as_object()) {
            target.extend(extra.clone());
        }
        audit::record(
            db,
            delivery.actor,
            audit::Entry {
                action: "usage.write",
                entity_type: "usage",
                entity_id: Some(delivery.source.to_string()),
                changes: Some(changes),
            },
        )
        .await?;
    }
    Ok(outcomes)
}

/// Records of a batch that share a quarantine key: one entry, the last
/// delivered values.
struct Rejected {
    last: usize,
    indexes: Vec<usize>,
    reason: QuarantineReason,
    message: String,
    /// Discarded at once by rule ([`Delivery::discard_closed`]).
    discard: bool,
}

/// Opens the transaction of a usage write and takes the write locks of
/// `sources` (sorted: two writers never wait on each other in opposite
/// orders). The lock rows are created first, outside the transaction: two
/// transactions inserting the same missing row can deadlock on MySQL.
pub async fn begin(db: &DatabaseConnection, sources: &[&str]) -> AppResult<DatabaseTransaction> {
    let mut sources: Vec<&str> = sources.to_vec();
    sources.sort_unstable();
    sources.dedup();
    for source in &sources {
        write_lock::Entity::insert(write_lock::ActiveModel {
            source: Set(source.to_string()),
            writes: Set(0),
        })
        .on_conflict_do_nothing_on([write_lock::Column::Source])
        .exec(db)
        .await?;
    }
    let txn = begin_write(db).await?;
    for source in &sources {
        lock_source(&txn, source).await?;
    }
    Ok(txn)
}

/// Every source that ever wrote (the rows of `usage_write_locks`): what a
/// writer correcting other sources' records must lock.
pub async fn known_sources(db: &DatabaseConnection) -> AppResult<Vec<String>> {
    Ok(write_lock::Entity::find()
        .select_only()
        .column(write_lock::Column::Source)
        .into_tuple()
        .all(db)
        .await?)
}

/// Takes the source's write lock for the rest of the transaction (a row
/// lock on MySQL/PostgreSQL; SQLite's write lock is already held).
async fn lock_source(db: &impl ConnectionTrait, source: &str) -> AppResult<()> {
    let updated = write_lock::Entity::update_many()
        .col_expr(write_lock::Column::Writes, Expr::col(write_lock::Column::Writes).add(1))
        .filter(write_lock::Column::Source.eq(source))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(anyhow::anyhow!("usage write for source {source} without store::begin").into());
    }
    Ok(())
}

/// Each reference's customer: a live customer by id; by account, a live
/// customer with that platform account, else a person's mapping.
pub async fn match_customers<'a>(
    db: &impl ConnectionTrait,
    refs: impl Iterator<Item = &'a CustomerRef> + Clone,
) -> AppResult<Vec<CustomerMatch>> {
    let mut ids: Vec<i64> = refs
        .clone()
        .filter_map(|r| match r {
            CustomerRef::Id(id) => Some(*id),
            _ => None,
        })
        .collect();
    let accounts: Vec<String> = refs
        .clone()
        .filter_map(|r| match r {
            CustomerRef::Account(a) => Some(a.clone()),
            _ => None,
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();

    let codes: Vec<String> = refs
        .clone()
        .filter_map(|r| match r {
            CustomerRef::Code(c) => Some(c.clone()),
            _ => None,
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut by_code: HashMap<String, i64> = HashMap::new();
    for chunk in codes.chunks(CHUNK) {
        let rows: Vec<(i64, Option<String>)> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .column(customer::Column::CodeKey)
            .filter(customer::Column::CodeKey.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        by_code.extend(rows.into_iter().filter_map(|(id, key)| key.map(|k| (k, id))));
    }
    ids.extend(by_code.values().copied());

    let mut by_account: HashMap<String, i64> = HashMap::new();
    for chunk in accounts.chunks(CHUNK) {
        let rows: Vec<(i64, Option<String>)> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .column(customer::Column::AccountKey)
            .filter(customer::Column::AccountKey.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        by_account.extend(rows.into_iter().filter_map(|(id, key)| key.map(|k| (k, id))));
        let unmatched: Vec<String> = chunk.iter().filter(|a| !by_account.contains_key(*a)).cloned().collect();
        if !unmatched.is_empty() {
            let links = account_link::Entity::find()
                .filter(account_link::Column::AccountId.is_in(unmatched))
                .all(db)
                .await?;
            by_account.extend(links.into_iter().map(|l| (l.account_id, l.customer_id)));
        }
    }
    ids.extend(by_account.values().copied());
    ids.sort_unstable();
    ids.dedup();

    let mut status: HashMap<i64, AccountStatus> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(i64, String)> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .column(customer::Column::AccountStatus)
            .filter(customer::Column::Id.is_in(chunk.to_vec()))
            .filter(customer::Column::IsDeleted.eq(false))
            .into_tuple()
            .all(db)
            .await?;
        for (id, code) in rows {
            let parsed = AccountStatus::parse(&code)
                .ok_or_else(|| anyhow::anyhow!("customer {id} has unknown account status {code}"))?;
            status.insert(id, parsed);
        }
    }
    let found = |id: i64, shown: String| match status.get(&id) {
        Some(s) => CustomerMatch::Found { id, status: *s },
        None => CustomerMatch::Unknown(shown),
    };
    Ok(refs
        .map(|r| match r {
            CustomerRef::Id(id) => found(*id, format!("客户 #{id}")),
            CustomerRef::Account(a) => match by_account.get(a) {
                Some(id) => found(*id, a.clone()),
                None => CustomerMatch::Unknown(a.clone()),
            },
            CustomerRef::Code(c) => match by_code.get(c) {
                Some(id) => found(*id, format!("客户编号 {c}")),
                None => CustomerMatch::Unknown(format!("客户编号 {c}")),
            },
            CustomerRef::None => CustomerMatch::NotGiven,
        })
        .collect())
}

/// A bad record's identity within its source: its own id, else a digest of
/// who, what and when (not how much: a corrected quantity re-delivered is
/// the same entry).
fn quarantine_key(item: &Incoming) -> String {
    if let Some(key) = &item.quarantine_key {
        return key.clone();
    }
    if let Some(id) = &item.source_id {
        return id.clone();
    }
    let who = item.customer.shown().unwrap_or_default();
    let text = format!(
        "{who}\u{1f}{}\u{1f}{}",
        item.raw.series.display().unwrap_or_default(),
        item.raw.day.display().unwrap_or_default()
    );
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("sha:{hex}")
}

async fn existing_records<'a>(
    db: &impl ConnectionTrait,
    source: &str,
    keys: impl Iterator<Item = &'a String>,
) -> AppResult<HashMap<String, record::Model>> {
    let keys: Vec<String> = keys.cloned().collect();
    let mut found = HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(CHUNK) {
        let rows = record::Entity::find()
            .filter(record::Column::Source.eq(source))
            .filter(record::Column::SourceId.is_in(chunk.to_vec()))
            .all(db)
            .await?;
        found.extend(rows.into_iter().map(|r| (r.source_id.clone(), r)));
    }
    Ok(found)
}

/// A source as people read it (in messages).
pub fn source_label(source: &str) -> String {
    match source {
        "manual" => "手工录入".into(),
        "import" => "文件导入".into(),
        other => match other.strip_prefix("api:") {
            Some(name) => format!("接口采集 {name}"),
            None => other.into(),
        },
    }
}

/// A record's customer, series and day: the key no usage may be billed
/// twice for without someone saying so.
type DayKey = (i64, &'static str, NaiveDate);

fn day_key(usage: &CheckedUsage) -> DayKey {
    (usage.customer_id, usage.series.code(), usage.day)
}

/// The stored records (every source) of the given records' customers,
/// series and days, by that key, oldest first.
async fn same_day_records<'a>(
    db: &impl ConnectionTrait,
    wanted: impl Iterator<Item = &'a CheckedUsage>,
) -> AppResult<HashMap<DayKey, Vec<record::Model>>> {
    let wanted: std::collections::HashSet<DayKey> = wanted.map(day_key).collect();
    let mut by_customer: BTreeMap<i64, (NaiveDate, NaiveDate)> = BTreeMap::new();
    for (customer_id, _, day) in &wanted {
        let range = by_customer.entry(*customer_id).or_insert((*day, *day));
        range.0 = Ord::min(range.0, *day);
        range.1 = Ord::max(range.1, *day);
    }
    let (Some(first), Some(last)) = (
        by_customer.values().map(|r| r.0).min(),
        by_customer.values().map(|r| r.1).max(),
    ) else {
        return Ok(HashMap::new());
    };
    let customers: Vec<i64> = by_customer.keys().copied().collect();
    let mut found: HashMap<DayKey, Vec<record::Model>> = HashMap::new();
    for chunk in customers.chunks(CHUNK) {
        let rows = record::Entity::find()
            .filter(record::Column::CustomerId.is_in(chunk.to_vec()))
            .filter(record::Column::Month.between(month_key(first), month_key(last)))
            .filter(record::Column::Day.between(first, last))
            .order_by_asc(record::Column::Id)
            .all(db)
            .await?;
        for row in rows {
            let Some(series) = Series::parse(&row.series) else {
                continue;
            };
            let key = (row.customer_id, series.code(), row.day);
            if wanted.contains(&key) {
                found.entry(key).or_default().push(row);
            }
        }
    }
    Ok(found)
}

fn same_usage(stored: &record::Model, usage: &CheckedUsage) -> bool {
    stored.customer_id == usage.customer_id
        && stored.series == usage.series.code()
        && stored.day == usage.day
        && stored.quantity == usage.quantity.units()
}

fn month_key(day: NaiveDate) -> i32 {
    Period::of_date(day).key()
}

fn new_record(
    delivery: &Delivery<'_>,
    key: &str,
    usage: &CheckedUsage,
    now: chrono::DateTime<Utc>,
) -> record::ActiveModel {
    record::ActiveModel {
        id: NotSet,
        customer_id: Set(usage.customer_id),
        series: Set(usage.series.code().to_string()),
        day: Set(usage.day),
        month: Set(month_key(usage.day)),
        quantity: Set(usage.quantity.units()),
        source: Set(delivery.source.to_string()),
        source_id: Set(key.to_string()),
        revisions: Set(0),
        created_at: Set(now),
        created_by: Set(delivery.actor.user_id),
        updated_at: Set(now),
        updated_by: Set(delivery.actor.user_id),
    }
}

/// Inserts new records and answers their ids by key.
async fn insert_records(
    db: &impl ConnectionTrait,
    source: &str,
    rows: Vec<record::ActiveModel>,
) -> AppResult<HashMap<String, i64>> {
    let mut ids = HashMap::with_capacity(rows.len());
    for chunk in rows.chunks(CHUNK) {
        let keys: Vec<String> = chunk
            .iter()
            .filter_map(|r| match &r.source_id {
                sea_orm::ActiveValue::Set(k) => Some(k.clone()),
                _ => None,
            })
            .collect();
        record::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
        let found: Vec<(i64, String)> = record::Entity::find()
            .select_only()
            .column(record::Column::Id)
            .column(record::Column::SourceId)
            .filter(record::Column::Source.eq(source))
            .filter(record::Column::SourceId.is_in(keys))
            .into_tuple()
            .all(db)
            .await?;
        ids.extend(found.into_iter().map(|(id, key)| (key, id)));
    }
    Ok(ids)
}

async fn update_record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    cause: &str,
    reason: Option<&str>,
    stored: &record::Model,
    usage: &CheckedUsage,
    now: chrono::DateTime<Utc>,
) -> AppResult<()> {
    record::Entity::update_many()
        .col_expr(record::Column::CustomerId, Expr::value(usage.customer_id))
        .col_expr(record::Column::Series, Expr::value(usage.series.code()))
        .col_expr(record::Column::Day, Expr::value(usage.day))
        .col_expr(record::Column::Month, Expr::value(month_key(usage.day)))
        .col_expr(record::Column::Quantity, Expr::value(usage.quantity.units()))
        .col_expr(record::Column::Revisions, Expr::col(record::Column::Revisions).add(1))
        .col_expr(record::Column::UpdatedAt, Expr::value(now))
        .col_expr(record::Column::UpdatedBy, Expr::value(actor.user_id))
        .filter(record::Column::Id.eq(stored.id))
        .exec(db)
        .await?;
    revision::Entity::insert(revision::ActiveModel {
        id: NotSet,
        record_id: Set(stored.id),
        quantity_before: Set(stored.quantity),
        quantity_after: Set(usage.quantity.units()),
        cause: Set(cause.to_string()),
        reason: Set(reason.map(|r| clip(r, 500))),
        changed_at: Set(now),
        changed_by: Set(actor.user_id),
        changed_by_name: Set(clip(&actor.name, 100)),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Sets one stored record's quantity (a person's correction), keeping a
/// revision and the monthly total in step. The caller holds the source lock.
pub async fn set_quantity(
    db: &impl ConnectionTrait,
    actor: &Actor,
    stored: &record::Model,
    quantity: opcms_domain::Fixed4,
    cause: &str,
    reason: Option<&str>,
) -> AppResult<()> {
    let series = Series::parse(&stored.series)
        .ok_or_else(|| anyhow::anyhow!("usage record {} has series {}", stored.id, stored.series))?;
    let usage = CheckedUsage {
        customer_id: stored.customer_id,
        series,
        day: stored.day,
        quantity,
    };
    update_record(db, actor, cause, reason, stored, &usage, Utc::now()).await?;
    let mut totals = MonthlyDeltas::default();
    totals.remove(stored);
    totals.add(&usage);
    totals.apply(db).await
}

/// Net changes of the kept totals, as (quantity units, record count):
/// `usage_monthly` per customer, series and month, and `usage_daily` per day
/// and series over all customers (the all-customer chart).
#[derive(Default)]
pub(crate) struct MonthlyDeltas {
    monthly: HashMap<(i32, i64, Series), (i64, i64)>,
    daily: HashMap<(NaiveDate, Series), (i64, i64)>,
}

impl MonthlyDeltas {
    fn add(&mut self, usage: &CheckedUsage) {
        self.change(
            month_key(usage.day),
            usage.customer_id,
            usage.day,
            usage.series,
            usage.quantity.units(),
            1,
        );
    }

    fn remove(&mut self, stored: &record::Model) {
        let Some(series) = Series::parse(&stored.series) else {
            return;
        };
        self.change(
            stored.month,
            stored.customer_id,
            stored.day,
            series,
            -stored.quantity,
            -1,
        );
    }

    fn change(&mut self, month: i32, customer_id: i64, day: NaiveDate, series: Series, quantity: i64, count: i64) {
        let monthly = self.monthly.entry((month, customer_id, series)).or_default();
        monthly.0 += quantity;
        monthly.1 += count;
        let daily = self.daily.entry((day, series)).or_default();
        daily.0 += quantity;
        daily.1 += count;
    }

    /// A key whose net change is not negative may be new: it is upserted.
    /// A negative change only comes from a stored record, so its row exists
    /// and is updated (an upsert would propose a negative row, which the
    /// `CHECK` refuses on some backends before seeing the conflict). Keys go
    /// in sorted order, so concurrent writers lock rows in the same order.
    async fn apply(self, db: &impl ConnectionTrait) -> AppResult<()> {
        apply_totals(
            db,
            "usage_monthly",
            &["month", "customer_id", "series"],
            self.monthly.into_iter().collect(),
            |(month, customer_id, series)| vec![(*month).into(), (*customer_id).into(), series.code().into()],
        )
        .await?;
        apply_totals(
            db,
            "usage_daily",
            &["day", "series"],
            self.daily.into_iter().collect(),
            |(day, series)| vec![(*day).into(), series.code().into()],
        )
        .await
    }
}

/// Adds `(quantity, record_count)` changes to the rows of a totals table
/// keyed by `keys` (see [`MonthlyDeltas::apply`]).
async fn apply_totals<K: Ord>(
    db: &impl ConnectionTrait,
    table: &str,
    keys: &[&str],
    mut changes: Vec<(K, (i64, i64))>,
    values_of: impl Fn(&K) -> Vec<sea_orm::Value>,
) -> AppResult<()> {
    let backend = db.get_database_backend();
    changes.retain(|(_, (q, n))| *q != 0 || *n != 0);
    changes.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let (grow, shrink): (Vec<_>, Vec<_>) = changes.into_iter().partition(|(_, (q, n))| *q >= 0 && *n >= 0);
    let key_list = keys.join(", ");
    for chunk in grow.chunks(CHUNK) {
        let mut sql = RawSql::new(backend);
        sql.sql(&format!(
            "INSERT INTO {table} ({key_list}, quantity, record_count) VALUES "
        ));
        for (i, (key, (quantity, count))) in chunk.iter().enumerate() {
            if i > 0 {
                sql.sql(", ");
            }
            let mut values = values_of(key);
            values.push((*quantity).into());
            values.push((*count as i32).into());
            sql.tuple(values);
        }
        sql.sql(&match backend {
            DbBackend::MySql => " ON DUPLICATE KEY UPDATE quantity = quantity + VALUES(quantity), \
                 record_count = record_count + VALUES(record_count)"
                .to_string(),
            _ => format!(
                " ON CONFLICT ({key_list}) DO UPDATE SET quantity = {table}.quantity + excluded.quantity, \
                 record_count = {table}.record_count + excluded.record_count"
            ),
        });
        db.execute_raw(sql.build()).await?;
    }
    for (key, (quantity, count)) in shrink {
        let mut sql = RawSql::new(backend);
        sql.sql(&format!("UPDATE {table} SET quantity = quantity + "))
            .bind(quantity)
            .sql(", record_count = record_count + ")
            .bind(count as i32)
            .sql(" WHERE ");
        for (i, (column, value)) in keys.iter().zip(values_of(&key)).enumerate() {
            if i > 0 {
                sql.sql(" AND ");
            }
            sql.sql(&format!("{column} = ")).bind(value);
        }
        db.execute_raw(sql.build()).await?;
    }
    Ok(())
}

/// The note on a record discarded by rule.
pub const AUTO_DISCARD_NOTE: &str = "客户已注销，按配置 usage_discard_closed 自动丢弃";

/// Stores rejected records (the same entry when delivered again) and
/// answers each key's quarantine id.
async fn write_quarantine(
    db: &impl ConnectionTrait,
    delivery: &Delivery<'_>,
    incoming: &[Incoming],
    matches: &[CustomerMatch],
    rejected: &BTreeMap<String, Rejected>,
    now: chrono::DateTime<Utc>,
) -> AppResult<HashMap<String, i64>> {
    let mut ids = HashMap::with_capacity(rejected.len());
    let keys: Vec<String> = rejected.keys().cloned().collect();
    for chunk in keys.chunks(CHUNK) {
        let stored: HashMap<String, quarantine::Model> = quarantine::Entity::find()
            .filter(quarantine::Column::Source.eq(delivery.source))
            .filter(quarantine::Column::SourceKey.is_in(chunk.to_vec()))
            .all(db)
            .await?
            .into_iter()
            .map(|q| (q.source_key.clone(), q))
            .collect();
        let mut new_rows = Vec::new();
        for key in chunk {
            let Rejected {
                last: index,
                reason,
                message,
                discard,
                ..
            } = &rejected[key];
            let (status, resolution, note, resolved_at) = if *discard {
                (
                    "discarded",
                    Some("discarded".to_string()),
                    Some(AUTO_DISCARD_NOTE.to_string()),
                    Some(now),
                )
            } else {
                ("pending", None, None, None)
            };
            let item = &incoming[*index];
            let raw = item.original.to_string();
            match stored.get(key) {
                // Delivered again as it was, after a person dealt with it:
                // their decision stands.
                Some(entry) if entry.status != "pending" && entry.raw == raw => {
                    bump_occurrences(db, entry.id, now).await?;
                    ids.insert(key.clone(), entry.id);
                }
                Some(entry) => {
                    quarantine::Entity::update_many()
                        .col_expr(quarantine::Column::Raw, Expr::value(raw))
                        .col_expr(quarantine::Column::Reason, Expr::value(reason.code()))
                        .col_expr(quarantine::Column::Message, Expr::value(clip(message, 300)))
                        .col_expr(quarantine::Column::Status, Expr::value(status))
                        .col_expr(quarantine::Column::AccountId, Expr::value(account_of(item)))
                        .col_expr(
                            quarantine::Column::CustomerId,
                            Expr::value(customer_of(&matches[*index])),
                        )
                        .col_expr(
                            quarantine::Column::Series,
                            Expr::value(field_text(&item.raw.series, 40)),
                        )
                        .col_expr(quarantine::Column::Day, Expr::value(field_text(&item.raw.day, 40)))
                        .col_expr(
                            quarantine::Column::Quantity,
                            Expr::value(field_text(&item.raw.quantity, 60)),
                        )
                        .col_expr(quarantine::Column::RunId, Expr::value(delivery.run_id))
                        .col_expr(
                            quarantine::Column::Occurrences,
                            Expr::col(quarantine::Column::Occurrences).add(1),
                        )
                        .col_expr(quarantine::Column::UpdatedAt, Expr::value(now))
                        .col_expr(quarantine::Column::ResolvedAt, Expr::value(resolved_at))
                        .col_expr(quarantine::Column::ResolvedBy, Expr::value(Option::<i64>::None))
                        .col_expr(quarantine::Column::Resolution, Expr::value(resolution.clone()))
                        .col_expr(quarantine::Column::ResolutionNote, Expr::value(note.clone()))
                        .col_expr(quarantine::Column::UsageRecordId, Expr::value(Option::<i64>::None))
                        .filter(quarantine::Column::Id.eq(entry.id))
                        .exec(db)
                        .await?;
                    ids.insert(key.clone(), entry.id);
                }
                None => new_rows.push(quarantine::ActiveModel {
                    id: NotSet,
                    source: Set(delivery.source.to_string()),
                    source_key: Set(key.clone()),
                    source_id: Set(item.source_id.as_deref().map(|s| clip(s, 160))),
                    account_id: Set(account_of(item)),
                    customer_id: Set(customer_of(&matches[*index])),
                    series: Set(field_text(&item.raw.series, 40)),
                    day: Set(field_text(&item.raw.day, 40)),
                    quantity: Set(field_text(&item.raw.quantity, 60)),
                    raw: Set(raw),
                    reason: Set(reason.code().to_string()),
                    message: Set(clip(message, 300)),
                    status: Set(status.into()),
                    occurrences: Set(1),
                    run_id: Set(delivery.run_id),
                    created_at: Set(now),
                    updated_at: Set(now),
                    resolved_at: Set(resolved_at),
                    resolved_by: Set(None),
                    resolution: Set(resolution),
                    resolution_note: Set(note),
                    usage_record_id: Set(None),
                }),
            }
        }
        if !new_rows.is_empty() {
            let new_keys: Vec<String> = new_rows
                .iter()
                .filter_map(|r| match &r.source_key {
                    sea_orm::ActiveValue::Set(k) => Some(k.clone()),
                    _ => None,
                })
                .collect();
            quarantine::Entity::insert_many(new_rows)
                .exec_without_returning(db)
                .await?;
            let found: Vec<(i64, String)> = quarantine::Entity::find()
                .select_only()
                .column(quarantine::Column::Id)
                .column(quarantine::Column::SourceKey)
                .filter(quarantine::Column::Source.eq(delivery.source))
                .filter(quarantine::Column::SourceKey.is_in(new_keys))
                .into_tuple()
                .all(db)
                .await?;
            ids.extend(found.into_iter().map(|(id, key)| (key, id)));
        }
    }
    Ok(ids)
}

async fn bump_occurrences(db: &impl ConnectionTrait, id: i64, now: chrono::DateTime<Utc>) -> AppResult<()> {
    quarantine::Entity::update_many()
        .col_expr(
            quarantine::Column::Occurrences,
            Expr::col(quarantine::Column::Occurrences).add(1),
        )
        .col_expr(quarantine::Column::UpdatedAt, Expr::value(now))
        .filter(quarantine::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The upstream account of a bad record (what `map_account` links).
fn account_of(item: &Incoming) -> Option<String> {
    match &item.customer {
        CustomerRef::Account(a) => Some(clip(a, 160)),
        _ => None,
    }
}

fn customer_of(found: &CustomerMatch) -> Option<i64> {
    match found {
        CustomerMatch::Found { id, .. } => Some(*id),
        _ => None,
    }
}

fn field_text(value: &opcms_domain::usage::RawValue, max: usize) -> Option<String> {
    value.display().map(|t| clip(&t, max))
}

/// At most `max` characters (columns are sized; vendors are not).
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].to_string(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opcms_domain::usage::RawValue;

    fn item(account: &str, series: &str, day: &str, quantity: &str) -> Incoming {
        Incoming {
            customer: CustomerRef::Account(account.into()),
            raw: RawUsage {
                series: RawValue::text(series),
                day: RawValue::text(day),
                quantity: RawValue::text(quantity),
            },
            source_id: None,
            original: json!({}),
            limit_confirmed: false,
            quarantine_key: None,
        }
    }

    #[test]
    fn a_bad_record_keeps_its_key_when_its_quantity_is_corrected() {
        assert_eq!(
            quarantine_key(&item("a1", "X", "2026-11-05", "-1")),
            quarantine_key(&item("a1", "X", "2026-11-05", "5"))
        );
        assert_ne!(
            quarantine_key(&item("a1", "X", "2026-11-05", "-1")),
            quarantine_key(&item("a1", "N", "2026-11-05", "-1"))
        );
    }

    #[test]
    fn clip_counts_characters_not_bytes() {
        assert_eq!(clip("用量数据", 2), "用量");
        assert_eq!(clip("ab", 5), "ab");
    }
}
