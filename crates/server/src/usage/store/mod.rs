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

pub mod reads;
pub mod types;
pub mod writes;

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use opcms_domain::customer::Series;
use opcms_domain::usage::{CheckRules, CheckedUsage, QuarantineReason, check, natural_source_id, source_label};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QuerySelect};
use serde_json::json;
use sha2::{Digest, Sha256};

pub use self::reads::match_customers;
use self::reads::{day_key, existing_records, same_day_records};
use self::types::Rejected;
pub use self::types::{Delivery, ExistingRecord, KEY_LOCK, OnExisting, Outcome, Tally};
use self::writes::{MonthlyDeltas, insert_records, lock_source, new_record, update_record, write_quarantine};
use super::entity::{record, write_lock};
use super::source::Incoming;
use crate::audit::{self, Actor};
use crate::db::begin_bulk_write;
use crate::error::AppResult;

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
    let txn = begin_bulk_write(db).await?;
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

fn same_usage(stored: &record::Model, usage: &CheckedUsage) -> bool {
    stored.customer_id == usage.customer_id
        && stored.series == usage.series.code()
        && stored.day == usage.day
        && stored.quantity == usage.quantity.units()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::source::CustomerRef;
    use opcms_domain::usage::{RawUsage, RawValue};

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
}
