//! Each customer's months (receivable, collected, received, usage by series)
//! and open money by due date, recomputed from the bills, receipts and usage
//! for the customers a refresh takes; and the sums per sales owner, kept by
//! adding the difference between a customer's old and new facts, so a
//! refresh costs what changed, not the size of the book.
//!
//! Customer 0 stands for the receipts without a customer: they count in the
//! management's 实收 and in nobody's scope.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use opcms_domain::Period;
use opcms_domain::money::Total;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set, Value};

use super::entity::{customer_due, customer_month};
use crate::analytics::facts::{COUNTED, OPEN, Sql, get, sum};
use crate::db::raw::RawSql;
use crate::db::{SplitUnits, bulk};
use crate::error::{AppError, AppResult};

/// The amounts of a customer-month, in the order of the columns.
const AMOUNTS: [&str; 6] = ["receivable", "collected", "received", "usage_x", "usage_n", "usage_l"];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Month {
    owner_id: i64,
    code_key: Vec<u8>,
    bills: i32,
    amounts: [i128; 6],
}

#[derive(Debug, Default)]
struct Facts {
    /// (customer, period) → the month.
    months: BTreeMap<(i64, i32), Month>,
    /// (customer, due date) → (owner, open money).
    dues: BTreeMap<(i64, NaiveDate), (i64, i128)>,
}

/// What the owners' sums must change by.
#[derive(Debug, Default)]
pub(super) struct Deltas {
    months: HashMap<(i64, i32), [i128; 6]>,
    dues: HashMap<(i64, NaiveDate), i128>,
}

impl Deltas {
    fn take(&mut self, facts: &Facts, sign: i128) {
        for ((_, period), m) in &facts.months {
            let slot = self.months.entry((m.owner_id, *period)).or_default();
            for (total, amount) in slot.iter_mut().zip(m.amounts) {
                *total += sign * amount;
            }
        }
        for ((_, due), (owner, open)) in &facts.dues {
            *self.dues.entry((*owner, *due)).or_default() += sign * open;
        }
    }

    /// Adds the differences to `analytics_owner_months` and `_owner_dues`:
    /// each row read, added to in 128 bits and written back split anew (the
    /// refresh holds the cluster's refresh lock, so no other writes it).
    pub(super) async fn apply(self, txn: &DatabaseTransaction) -> AppResult<()> {
        for ((owner, period), amounts) in self.months {
            if amounts.iter().all(|a| *a == 0) {
                continue;
            }
            let key = [("owner_id", Value::from(owner)), ("period", Value::from(period))];
            add_to(txn, "analytics_owner_months", &key, &AMOUNTS, &amounts).await?;
        }
        for ((owner, due), open) in self.dues {
            if open == 0 {
                continue;
            }
            let key = [("owner_id", Value::from(owner)), ("due_date", Value::from(due))];
            add_to(txn, "analytics_owner_dues", &key, &["open"], &[open]).await?;
        }
        Ok(())
    }
}

/// Adds `amounts` to the split `columns` of the row of `table` at `key`,
/// inserting the row when there is none.
async fn add_to(
    txn: &DatabaseTransaction,
    table: &str,
    key: &[(&str, Value); 2],
    columns: &[&str],
    amounts: &[i128],
) -> AppResult<()> {
    let backend = txn.get_database_backend();
    let parts: Vec<String> = columns
        .iter()
        .flat_map(|c| [format!("{c}_hi"), format!("{c}_lo")])
        .collect();
    let where_key = |sql: &mut RawSql| {
        sql.sql(&format!(" WHERE {} = ", key[0].0))
            .bind(key[0].1.clone())
            .sql(&format!(" AND {} = ", key[1].0))
            .bind(key[1].1.clone());
    };
    let mut read = RawSql::new(backend);
    read.sql(&format!("SELECT {} FROM {table}", parts.join(", ")));
    where_key(&mut read);
    let found = txn.query_all_raw(read.build()).await?;
    let mut sums = amounts.to_vec();
    if let Some(row) = found.first() {
        for (i, column) in columns.iter().enumerate() {
            let stored = SplitUnits {
                hi: get(row, &format!("{column}_hi"))?,
                lo: get(row, &format!("{column}_lo"))?,
            };
            sums[i] += stored.total().units();
        }
    }
    let mut values = Vec::with_capacity(parts.len());
    for amount in &sums {
        let split = split(*amount)?;
        values.extend([split.hi, split.lo]);
    }
    if found.is_empty() {
        let mut insert = RawSql::new(backend);
        insert
            .sql(&format!(
                "INSERT INTO {table} ({}, {}, {}) VALUES ",
                key[0].0,
                key[1].0,
                parts.join(", ")
            ))
            .tuple(
                [key[0].1.clone(), key[1].1.clone()]
                    .into_iter()
                    .chain(values.iter().map(|v| Value::from(*v))),
            );
        txn.execute_raw(insert.build()).await?;
    } else {
        let mut update = RawSql::new(backend);
        update.sql(&format!("UPDATE {table} SET "));
        for (i, (part, value)) in parts.iter().zip(&values).enumerate() {
            if i > 0 {
                update.sql(", ");
            }
            update.sql(&format!("{part} = ")).bind(*value);
        }
        where_key(&mut update);
        txn.execute_raw(update.build()).await?;
    }
    Ok(())
}

/// An amount as the facts store it: 64-bit units of 0.0001 in two columns.
pub(super) fn split(units: i128) -> AppResult<SplitUnits> {
    SplitUnits::of(Total::from_units(units))
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("analytics sum out of range: {units}")))
}

/// [`split`] of each amount.
pub(super) fn split_each<const N: usize>(amounts: [i128; N]) -> AppResult<[SplitUnits; N]> {
    let mut parts = [SplitUnits { hi: 0, lo: 0 }; N];
    for (part, amount) in parts.iter_mut().zip(amounts) {
        *part = split(amount)?;
    }
    Ok(parts)
}

/// An amount as the snapshot stores it (64-bit units of 0.0001).
pub(super) fn fits(units: i128) -> AppResult<i64> {
    i64::try_from(units)
        .map_err(|_| AppError::Internal(anyhow::anyhow!("analytics sum out of the 64-bit range: {units}")))
}

/// Recomputes the facts of `customers` (0: the receipts without one) and
/// gathers what the owners' sums must change by.
pub(super) async fn refresh(txn: &DatabaseTransaction, customers: &[i64], deltas: &mut Deltas) -> AppResult<()> {
    let new = compute(txn, customers).await?;
    let old = stored(txn, customers).await?;
    deltas.take(&old, -1);
    deltas.take(&new, 1);
    replace(txn, customers, new).await
}

/// `AND ({column} IN (…) OR {column} IS NULL)`: the customers, and the
/// receipts without one when 0 is among them.
fn customers_in(sql: &mut Sql, column: &str, customers: &[i64]) {
    let real: Vec<Value> = customers
        .iter()
        .filter(|id| **id != 0)
        .map(|id| Value::from(*id))
        .collect();
    let none = customers.contains(&0);
    sql.sql(" AND (");
    if real.is_empty() {
        sql.sql("1 = 0");
    } else {
        sql.sql(&format!("{column} IN ")).tuple(real);
    }
    if none {
        sql.sql(&format!(" OR {column} IS NULL"));
    }
    sql.sql(")");
}

async fn compute(txn: &DatabaseTransaction, customers: &[i64]) -> AppResult<Facts> {
    // Who owns each customer now (deleted ones too: their bills still count
    // for management, as the live figures did).
    let mut who: HashMap<i64, (i64, Vec<u8>)> = HashMap::new();
    let mut sql = Sql::new(txn);
    sql.sql("SELECT id, sales_owner_id, customer_code FROM customers WHERE 1 = 1");
    customers_in(&mut sql, "id", customers);
    for row in sql.all(txn).await? {
        let owner: Option<i64> = get(&row, "sales_owner_id")?;
        let code: String = get(&row, "customer_code")?;
        who.insert(get(&row, "id")?, (owner.unwrap_or(0), code.into_bytes()));
    }
    let mut facts = Facts::default();
    fn month<'a>(
        months: &'a mut BTreeMap<(i64, i32), Month>,
        who: &HashMap<i64, (i64, Vec<u8>)>,
        customer: i64,
        period: i32,
    ) -> &'a mut Month {
        months.entry((customer, period)).or_insert_with(|| {
            let (owner_id, code_key) = who.get(&customer).cloned().unwrap_or_default();
            Month {
                owner_id,
                code_key,
                ..Month::default()
            }
        })
    }

    let mut sql = Sql::new(txn);
    sql.sql("SELECT customer_id, period, COUNT(*) AS n")
        .sum("total", "receivable")
        .sum("allocated", "collected")
        .sql(" FROM bills WHERE 1 = 1")
        .statuses_of_few("status", &COUNTED, true);
    customers_in(&mut sql, "customer_id", customers);
    sql.sql(" GROUP BY customer_id, period");
    for row in sql.all(txn).await? {
        let m = month(&mut facts.months, &who, get(&row, "customer_id")?, get(&row, "period")?);
        let bills: i64 = get(&row, "n")?;
        m.bills = i32::try_from(bills).unwrap_or(i32::MAX);
        m.amounts[0] = sum(&row, "receivable")?.units();
        m.amounts[1] = sum(&row, "collected")?.units();
    }

    let mut sql = Sql::new(txn);
    sql.sql("SELECT customer_id, received_at")
        .sum("amount", "received")
        .sql(" FROM payments WHERE is_deleted = ")
        .bind(false);
    customers_in(&mut sql, "customer_id", customers);
    sql.sql(" GROUP BY customer_id, received_at");
    for row in sql.all(txn).await? {
        let customer: Option<i64> = get(&row, "customer_id")?;
        let day: NaiveDate = get(&row, "received_at")?;
        month(
            &mut facts.months,
            &who,
            customer.unwrap_or(0),
            Period::of_date(day).key(),
        )
        .amounts[2] += sum(&row, "received")?.units();
    }

    let mut sql = Sql::new(txn);
    sql.sql("SELECT customer_id, month, series")
        .sum("quantity", "quantity")
        .sql(" FROM usage_records WHERE 1 = 1");
    customers_in(&mut sql, "customer_id", customers);
    sql.sql(" GROUP BY customer_id, month, series");
    for row in sql.all(txn).await? {
        let series: String = get(&row, "series")?;
        let slot = match series.as_str() {
            "X" => 3,
            "N" => 4,
            "L" => 5,
            _ => continue,
        };
        month(&mut facts.months, &who, get(&row, "customer_id")?, get(&row, "month")?).amounts[slot] +=
            sum(&row, "quantity")?.units();
    }

    let mut sql = Sql::new(txn);
    sql.sql("SELECT customer_id, due_date")
        .sum("total - allocated", "open")
        .sql(" FROM bills WHERE 1 = 1")
        .statuses_of_few("status", &OPEN, true);
    customers_in(&mut sql, "customer_id", customers);
    sql.sql(" GROUP BY customer_id, due_date");
    for row in sql.all(txn).await? {
        let customer: i64 = get(&row, "customer_id")?;
        let open = sum(&row, "open")?.units();
        if open != 0 {
            let owner = who.get(&customer).map_or(0, |(owner, _)| *owner);
            facts.dues.insert((customer, get(&row, "due_date")?), (owner, open));
        }
    }
    Ok(facts)
}

async fn stored(txn: &DatabaseTransaction, customers: &[i64]) -> AppResult<Facts> {
    let mut facts = Facts::default();
    let months = customer_month::Entity::find()
        .filter(customer_month::Column::CustomerId.is_in(customers.iter().copied()))
        .all(txn)
        .await?;
    for row in months {
        facts.months.insert(
            (row.customer_id, row.period),
            Month {
                owner_id: row.owner_id,
                code_key: row.code_key,
                bills: row.bills,
                amounts: [
                    (row.receivable_hi, row.receivable_lo),
                    (row.collected_hi, row.collected_lo),
                    (row.received_hi, row.received_lo),
                    (row.usage_x_hi, row.usage_x_lo),
                    (row.usage_n_hi, row.usage_n_lo),
                    (row.usage_l_hi, row.usage_l_lo),
                ]
                .map(|(hi, lo)| SplitUnits { hi, lo }.total().units()),
            },
        );
    }
    let dues = customer_due::Entity::find()
        .filter(customer_due::Column::CustomerId.is_in(customers.iter().copied()))
        .all(txn)
        .await?;
    for row in dues {
        let open = SplitUnits {
            hi: row.open_hi,
            lo: row.open_lo,
        };
        facts
            .dues
            .insert((row.customer_id, row.due_date), (row.owner_id, open.total().units()));
    }
    Ok(facts)
}

async fn replace(txn: &DatabaseTransaction, customers: &[i64], facts: Facts) -> AppResult<()> {
    customer_month::Entity::delete_many()
        .filter(customer_month::Column::CustomerId.is_in(customers.iter().copied()))
        .exec(txn)
        .await?;
    customer_due::Entity::delete_many()
        .filter(customer_due::Column::CustomerId.is_in(customers.iter().copied()))
        .exec(txn)
        .await?;
    let mut months = Vec::with_capacity(facts.months.len());
    for ((customer_id, period), m) in facts.months {
        let [receivable, collected, received, usage_x, usage_n, usage_l] = split_each(m.amounts)?;
        months.push(customer_month::ActiveModel {
            customer_id: Set(customer_id),
            period: Set(period),
            owner_id: Set(m.owner_id),
            code_key: Set(m.code_key),
            bills: Set(m.bills),
            receivable_hi: Set(receivable.hi),
            receivable_lo: Set(receivable.lo),
            collected_hi: Set(collected.hi),
            collected_lo: Set(collected.lo),
            received_hi: Set(received.hi),
            received_lo: Set(received.lo),
            usage_x_hi: Set(usage_x.hi),
            usage_x_lo: Set(usage_x.lo),
            usage_n_hi: Set(usage_n.hi),
            usage_n_lo: Set(usage_n.lo),
            usage_l_hi: Set(usage_l.hi),
            usage_l_lo: Set(usage_l.lo),
        });
    }
    bulk::insert(txn, months).await?;
    let mut dues = Vec::with_capacity(facts.dues.len());
    for ((customer_id, due_date), (owner_id, open)) in facts.dues {
        let open = split(open)?;
        dues.push(customer_due::ActiveModel {
            customer_id: Set(customer_id),
            due_date: Set(due_date),
            owner_id: Set(owner_id),
            open_hi: Set(open.hi),
            open_lo: Set(open.lo),
        });
    }
    bulk::insert(txn, dues).await?;
    Ok(())
}
