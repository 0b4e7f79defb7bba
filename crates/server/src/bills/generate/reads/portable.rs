//! [`GenerationReads`] in plain SQL on the run's transaction: MariaDB and
//! PostgreSQL always, SQLite for runs that name their customers. A reader
//! covers the whole period or one chunk of named customers.

use std::collections::HashMap;

use opcms_domain::billing::{AutoBill, CustomerFacts};
use opcms_domain::customer::Series;
use opcms_domain::pricing::{SeriesMap, Usage};
use opcms_domain::{Fixed4, Period};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use super::{GenerationReads, TrailingSums, add_usage, auto_bill, customer_facts, get, id_filter};
use crate::db::raw::RawSql;
use crate::error::AppResult;
use crate::pricing::in_force::{Assignment, assignments};

pub struct Portable<'a> {
    txn: &'a DatabaseTransaction,
    /// One chunk of the named customers; `None`: every customer.
    ids: Option<&'a [i64]>,
}

impl<'a> Portable<'a> {
    pub fn new(txn: &'a DatabaseTransaction, ids: Option<&'a [i64]>) -> Portable<'a> {
        Portable { txn, ids }
    }

    fn sql(&self) -> RawSql {
        RawSql::new(self.txn.get_database_backend())
    }
}

impl GenerationReads for Portable<'_> {
    async fn customers(&self) -> AppResult<Vec<CustomerFacts>> {
        let mut sql = self.sql();
        sql.sql(
            "SELECT id, account_status, series_x, series_n, series_l, payment_terms_days FROM customers \
             WHERE is_deleted = ",
        )
        .bind(false);
        id_filter(&mut sql, "id", self.ids);
        // Drafts are numbered in this order: by id on every backend (a
        // PostgreSQL heap returns updated rows in another order).
        sql.sql(" ORDER BY id");
        let mut customers = Vec::new();
        for row in self.txn.query_all_raw(sql.build()).await? {
            let status: String = get(&row, 1)?;
            let has = [get::<bool>(&row, 2)?, get::<bool>(&row, 3)?, get::<bool>(&row, 4)?];
            customers.push(customer_facts(get(&row, 0)?, &status, has, get(&row, 5)?));
        }
        Ok(customers)
    }

    async fn usage(&self, period: Period) -> AppResult<HashMap<i64, SeriesMap<Usage>>> {
        let mut sql = self.sql();
        sql.sql("SELECT customer_id, series, quantity FROM usage_monthly WHERE month = ")
            .bind(period.key())
            .sql(" AND record_count > 0");
        id_filter(&mut sql, "customer_id", self.ids);
        let mut usage = HashMap::new();
        for row in self.txn.query_all_raw(sql.build()).await? {
            let series: String = get(&row, 1)?;
            let Some(series) = Series::parse(&series) else { continue };
            add_usage(&mut usage, get(&row, 0)?, series, get(&row, 2)?);
        }
        Ok(usage)
    }

    /// One read per month, each row one month of a customer's series (the
    /// primary key), summed here. Not a `GROUP BY` over the months: at
    /// 100,000 customers its 300,000 groups outgrow MariaDB's in-memory
    /// temporary table (16 MB by default) and the read went to disk, 12 s
    /// instead of under one.
    async fn trailing(&self, months: &[i32]) -> AppResult<TrailingSums> {
        let mut sums = TrailingSums::default();
        for month in months {
            let mut sql = self.sql();
            sql.sql("SELECT customer_id, series, quantity FROM usage_monthly WHERE month = ")
                .bind(*month)
                .sql(" AND record_count > 0");
            id_filter(&mut sql, "customer_id", self.ids);
            for row in self.txn.query_all_raw(sql.build()).await? {
                let series: String = get(&row, 1)?;
                let Some(series) = Series::parse(&series) else { continue };
                let units: i64 = get(&row, 2)?;
                sums.add(get(&row, 0)?, series, Fixed4::from_units(units).into(), 1);
            }
        }
        Ok(sums)
    }

    async fn auto_bills(&self, period: Period) -> AppResult<HashMap<i64, AutoBill>> {
        let mut sql = self.sql();
        sql.sql(
            "SELECT id, customer_id, status, fingerprint, usage_key, late_usage, version FROM bills \
             WHERE period = ",
        )
        .bind(period.key())
        .sql(" AND auto_slot = ")
        .bind(1i16);
        id_filter(&mut sql, "customer_id", self.ids);
        let mut existing = HashMap::new();
        for row in self.txn.query_all_raw(sql.build()).await? {
            let status: String = get(&row, 2)?;
            existing.insert(
                get(&row, 1)?,
                auto_bill(
                    get(&row, 0)?,
                    &status,
                    get(&row, 3)?,
                    get(&row, 4)?,
                    get(&row, 5)?,
                    get(&row, 6)?,
                ),
            );
        }
        Ok(existing)
    }

    async fn assignments(&self) -> AppResult<Vec<Assignment>> {
        assignments(self.txn, self.ids).await
    }
}
