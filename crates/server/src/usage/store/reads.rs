//! What a usage write reads before it decides: each record's customer, the
//! stored records with the same `(source, source_id)`, and the stored
//! records of the same customer, series and day.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use opcms_domain::Period;
use opcms_domain::customer::{AccountStatus, Series};
use opcms_domain::usage::{CheckedUsage, CustomerMatch};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::types::CHUNK;
use crate::customers::entity::customer;
use crate::error::AppResult;
use crate::usage::entity::{account_link, record};
use crate::usage::source::CustomerRef;

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
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();

    let codes: Vec<String> = refs
        .clone()
        .filter_map(|r| match r {
            CustomerRef::Code(c) => Some(c.clone()),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
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

pub(super) async fn existing_records<'a>(
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

/// A record's customer, series and day: the key no usage may be billed
/// twice for without someone saying so.
pub(super) type DayKey = (i64, &'static str, NaiveDate);

pub(super) fn day_key(usage: &CheckedUsage) -> DayKey {
    (usage.customer_id, usage.series.code(), usage.day)
}

/// The stored records (every source) of the given records' customers,
/// series and days, by that key, oldest first.
pub(super) async fn same_day_records<'a>(
    db: &impl ConnectionTrait,
    wanted: impl Iterator<Item = &'a CheckedUsage>,
) -> AppResult<HashMap<DayKey, Vec<record::Model>>> {
    let wanted: HashSet<DayKey> = wanted.map(day_key).collect();
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

pub(super) fn month_key(day: NaiveDate) -> i32 {
    Period::of_date(day).key()
}
