//! What a usage write writes, on the caller's transaction: the source's
//! lock, new and corrected records (a revision kept for each correction),
//! the kept monthly and daily totals moved by the same deltas, and the
//! quarantine entries of records that could not be accepted.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, Utc};
use opcms_domain::customer::Series;
use opcms_domain::usage::{CheckedUsage, CustomerMatch};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, NotSet, QueryFilter, QuerySelect,
};

use super::reads::month_key;
use super::types::{CHUNK, Delivery, Rejected};
use crate::audit::Actor;
use crate::db::raw::RawSql;
use crate::error::AppResult;
use crate::usage::entity::{quarantine, record, revision, write_lock};
use crate::usage::source::{CustomerRef, Incoming, clip};

/// Takes the source's write lock for the rest of the transaction (a row
/// lock on MySQL/PostgreSQL; SQLite's write lock is already held).
pub(super) async fn lock_source(db: &impl ConnectionTrait, source: &str) -> AppResult<()> {
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

pub(super) fn new_record(
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
pub(super) async fn insert_records(
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

pub(super) async fn update_record(
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

/// Net changes of the kept totals, as (quantity units, record count):
/// `usage_monthly` per customer, series and month, and `usage_daily` per day
/// and series over all customers (the all-customer chart).
#[derive(Default)]
pub(super) struct MonthlyDeltas {
    monthly: HashMap<(i32, i64, Series), (i64, i64)>,
    daily: HashMap<(NaiveDate, Series), (i64, i64)>,
}

impl MonthlyDeltas {
    pub(super) fn add(&mut self, usage: &CheckedUsage) {
        self.change(
            month_key(usage.day),
            usage.customer_id,
            usage.day,
            usage.series,
            usage.quantity.units(),
            1,
        );
    }

    pub(super) fn remove(&mut self, stored: &record::Model) {
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
    pub(super) async fn apply(self, db: &impl ConnectionTrait) -> AppResult<()> {
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
pub(super) async fn write_quarantine(
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

pub(super) async fn bump_occurrences(db: &impl ConnectionTrait, id: i64, now: chrono::DateTime<Utc>) -> AppResult<()> {
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
