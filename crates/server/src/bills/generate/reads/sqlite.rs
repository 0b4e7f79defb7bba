//! [`GenerationReads`] for a whole period on SQLite: the same rows through
//! packed reads ([`packed`]), on pooled connections beside the run's
//! transaction, so that [`super::side_by_side`] can run two at a time.
//!
//! Reading beside the transaction is sound because it took SQLite's write
//! lock at `BEGIN` (`IMMEDIATE`): no other writer can commit until it ends,
//! so each connection reads the state the transaction sees. The transaction
//! has written only its period's bill counter, which these reads do not
//! touch.

use std::collections::HashMap;

use opcms_domain::billing::{AutoBill, CustomerFacts};
use opcms_domain::customer::Series;
use opcms_domain::pricing::{SeriesMap, Usage};
use opcms_domain::{Fixed4, Period};
use sea_orm::DatabaseConnection;

use super::{GenerationReads, SERIES, TrailingSums, add_usage, auto_bill, customer_facts, slot_of};
use crate::db::packed;
use crate::error::{AppError, AppResult};
use crate::pricing::in_force::Assignment;

#[derive(Clone)]
pub struct Packed {
    db: DatabaseConnection,
}

impl Packed {
    pub fn new(db: DatabaseConnection) -> Packed {
        Packed { db }
    }
}

impl GenerationReads for Packed {
    async fn customers(&self) -> AppResult<Vec<CustomerFacts>> {
        let columns = [
            "id",
            "account_status",
            "series_x",
            "series_n",
            "series_l",
            "payment_terms_days",
        ];
        let rows = packed::read(&self.db, columns, |sql| {
            sql.sql("customers WHERE is_deleted = ").bind(false);
        })
        .await?;
        let mut customers = Vec::with_capacity(rows.len());
        for [id, status, x, n, l, terms] in rows.rows() {
            let has = [x == "1", n == "1", l == "1"];
            customers.push(customer_facts(packed::number(id)?, status, has, packed::number(terms)?));
        }
        Ok(customers)
    }

    async fn usage(&self, period: Period) -> AppResult<HashMap<i64, SeriesMap<Usage>>> {
        let mut usage = HashMap::new();
        for (customer_id, slots) in month_totals(&self.db, period.key()).await? {
            for (series, (units, months)) in SERIES.into_iter().zip(slots) {
                if months > 0 {
                    add_usage(&mut usage, customer_id, series, units);
                }
            }
        }
        Ok(usage)
    }

    async fn trailing(&self, months: &[i32]) -> AppResult<TrailingSums> {
        let mut sums = TrailingSums::default();
        for month in months {
            for (customer_id, slots) in month_totals(&self.db, *month).await? {
                sums.add_slots(
                    customer_id,
                    slots.map(|(units, months)| (Fixed4::from_units(units).into(), months)),
                );
            }
        }
        Ok(sums)
    }

    async fn auto_bills(&self, period: Period) -> AppResult<HashMap<i64, AutoBill>> {
        let columns = [
            "id",
            "customer_id",
            "status",
            "fingerprint",
            "ifnull(usage_key, char(2))",
            "ifnull(late_usage, char(2))",
            "version",
        ];
        let rows = packed::read(&self.db, columns, |sql| {
            sql.sql("bills WHERE period = ")
                .bind(period.key())
                .sql(" AND auto_slot = ")
                .bind(1i16);
        })
        .await?;
        let optional = |field: &str| (field != packed::NULL).then(|| field.to_string());
        let mut existing = HashMap::with_capacity(rows.len());
        for [id, customer_id, status, fingerprint, usage_key, late_usage, version] in rows.rows() {
            existing.insert(
                packed::number(customer_id)?,
                auto_bill(
                    packed::number(id)?,
                    status,
                    fingerprint.to_string(),
                    optional(usage_key),
                    optional(late_usage),
                    packed::number(version)?,
                ),
            );
        }
        Ok(existing)
    }

    /// Every customer's plan assignment, with its sealed overrides.
    async fn assignments(&self) -> AppResult<Vec<Assignment>> {
        let rows = packed::read(
            &self.db,
            ["customer_id", "plan_id", "ifnull(overrides_enc, '')"],
            |sql| {
                sql.sql("customer_pricing");
            },
        )
        .await?;
        rows.rows()
            .map(|[customer_id, plan_id, sealed]| {
                let sealed = (!sealed.is_empty()).then(|| sealed.to_string());
                Ok((packed::number(customer_id)?, packed::number(plan_id)?, sealed))
            })
            .collect()
    }
}

/// One month's usage totals per customer: units and rows (0 or 1) per
/// series slot (X, N, L).
async fn month_totals(db: &DatabaseConnection, month: i32) -> AppResult<Vec<(i64, [(i64, u32); 3])>> {
    let rows = packed::read(db, ["customer_id", "series", "quantity"], |sql| {
        sql.sql("usage_monthly WHERE month = ")
            .bind(month)
            .sql(" AND record_count > 0");
    })
    .await?;
    // A customer's series come one after another (the index's order); a
    // customer seen again later simply gets a second entry, which the
    // callers add up.
    let mut totals: Vec<(i64, [(i64, u32); 3])> = Vec::with_capacity(rows.len() / 2);
    let mut last_field = "";
    for [customer_id, series, units] in rows.rows() {
        let Some(series) = Series::from_code(series) else {
            continue;
        };
        if customer_id != last_field || totals.is_empty() {
            totals.push((packed::number(customer_id)?, Default::default()));
            last_field = customer_id;
        }
        if let Some((_, slots)) = totals.last_mut() {
            let slot = &mut slots[slot_of(series)];
            slot.0 = slot
                .0
                .checked_add(packed::number(units)?)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("usage sum out of range")))?;
            slot.1 += 1;
        }
    }
    Ok(totals)
}
