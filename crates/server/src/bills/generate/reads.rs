//! What a generation run reads, in set queries: the customers, the period's
//! usage, the trailing months' usage, the live auto bills and the plan
//! assignments through [`GenerationReads`] (one implementation per way of
//! reading: [`portable`] on every backend, [`sqlite`]'s packed reads for a
//! whole period on SQLite), then the pending quarantine and the prices in
//! force on the run's transaction. Each kind of row becomes its domain type
//! in one function here, whichever implementation read it.

pub mod portable;
pub mod sqlite;

use std::collections::{HashMap, HashSet};
use std::future::Future;

use opcms_domain::billing::{AutoBill, BillStatus, CustomerFacts, CustomerInputs, Trailing, trailing_months};
use opcms_domain::customer::{AccountStatus, Series};
use opcms_domain::money::Total;
use opcms_domain::pricing::{SeriesMap, Usage};
use opcms_domain::{DataScope, Fixed4, Period};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, QueryResult};

use crate::bills::model::Skipped;
use crate::crypto::Keyring;
use crate::db::raw::RawSql;
use crate::error::{AppError, AppResult};
use crate::pricing::in_force::{Assignment, CustomerPricing, resolve};
use crate::telemetry::Stopwatch;

/// Values per `IN (…)`: far below every backend's parameter limit.
pub const CHUNK: usize = 500;

/// The reads of a generation run that differ by how they read. Every method
/// answers the same types whichever implementation runs.
pub trait GenerationReads {
    /// Live customers.
    fn customers(&self) -> impl Future<Output = AppResult<Vec<CustomerFacts>>> + Send;
    /// The period's usage totals per customer.
    fn usage(&self, period: Period) -> impl Future<Output = AppResult<HashMap<i64, SeriesMap<Usage>>>> + Send;
    /// The usage of these months (`yyyymm` keys), summed per customer.
    fn trailing(&self, months: &[i32]) -> impl Future<Output = AppResult<TrailingSums>> + Send;
    /// The period's live auto bills, by customer.
    fn auto_bills(&self, period: Period) -> impl Future<Output = AppResult<HashMap<i64, AutoBill>>> + Send;
    /// Plan assignments, with their sealed overrides.
    fn assignments(&self) -> impl Future<Output = AppResult<Vec<Assignment>>> + Send;
}

/// What the [`GenerationReads`] of a run gave.
#[derive(Default)]
pub struct Rows {
    pub customers: Vec<CustomerFacts>,
    pub usage: HashMap<i64, SeriesMap<Usage>>,
    pub trailing: TrailingSums,
    pub existing: HashMap<i64, AutoBill>,
    pub assignments: Vec<Assignment>,
}

/// Everything a period's generation decides from.
pub struct Inputs {
    pub customers: Vec<CustomerFacts>,
    usage: HashMap<i64, SeriesMap<Usage>>,
    trailing: HashMap<i64, SeriesMap<Trailing>>,
    pricings: HashMap<i64, CustomerPricing>,
    quarantine: HashMap<i64, u64>,
    pub existing: HashMap<i64, AutoBill>,
}

/// A customer without usage in the period.
const NO_USAGE: &SeriesMap<Usage> = &SeriesMap::new();

impl Inputs {
    /// One customer's share of the inputs, as the domain decides from it.
    pub fn of<'a>(&'a self, customer: &'a CustomerFacts, named: bool) -> CustomerInputs<'a> {
        CustomerInputs {
            customer,
            usage: self.usage.get(&customer.id).unwrap_or(NO_USAGE),
            trailing: self.trailing.get(&customer.id),
            pricing: self.pricings.get(&customer.id).map(CustomerPricing::in_force),
            pending_quarantine: self.quarantine.get(&customer.id).copied().unwrap_or(0),
            existing: self.existing.get(&customer.id),
            named,
        }
    }
}

/// The rows of `readers` one read after another: the portable path, one
/// reader per chunk of named customers (or one for the whole period).
pub async fn in_turn<R: GenerationReads>(readers: &[R], period: Period, watch: &mut Stopwatch) -> AppResult<Rows> {
    let months = trailing_keys(period);
    let mut rows = Rows::default();
    for reader in readers {
        rows.customers.extend(reader.customers().await?);
        watch.lap("read customers");
        rows.usage.extend(reader.usage(period).await?);
        watch.lap("read usage");
        rows.trailing.merge(reader.trailing(&months).await?);
        watch.lap("read trailing usage");
        rows.existing.extend(reader.auto_bills(period).await?);
        watch.lap("read existing bills");
    }
    for reader in readers {
        rows.assignments.extend(reader.assignments().await?);
    }
    watch.lap("read plan assignments");
    Ok(rows)
}

/// One read of [`side_by_side`].
#[derive(Clone, Copy)]
enum Read {
    Customers,
    Usage,
    Bills,
    /// One trailing month.
    Trailing(i32),
    Assignments,
}

/// What a [`Read`] gave.
enum Part {
    Customers(Vec<CustomerFacts>),
    Usage(HashMap<i64, SeriesMap<Usage>>),
    Bills(HashMap<i64, AutoBill>),
    Trailing(TrailingSums),
    Assignments(Vec<Assignment>),
}

/// Reads at once in [`side_by_side`]: SQLite's side of each runs on its
/// connection's worker thread, so two keep both cores busy.
const PARALLEL_READS: usize = 2;

/// The rows of a whole period through `reader`, two reads at a time, each a
/// task of its own (so parsing one read's text runs beside the others). The
/// trailing months are most of the rows; one read per month lets the work
/// spread evenly, and the largest reads go first so the last two to finish
/// are small.
pub async fn side_by_side<R>(reader: R, period: Period, watch: &mut Stopwatch) -> AppResult<Rows>
where
    R: GenerationReads + Clone + Send + Sync + 'static,
{
    use futures_util::{StreamExt, TryStreamExt};

    let mut reads = vec![Read::Bills];
    reads.extend(trailing_keys(period).into_iter().map(Read::Trailing));
    reads.extend([Read::Usage, Read::Customers, Read::Assignments]);
    let parts: Vec<Part> = futures_util::stream::iter(reads)
        .map(|read| {
            let reader = reader.clone();
            async move {
                tokio::spawn(async move {
                    Ok::<_, AppError>(match read {
                        Read::Customers => Part::Customers(reader.customers().await?),
                        Read::Usage => Part::Usage(reader.usage(period).await?),
                        Read::Bills => Part::Bills(reader.auto_bills(period).await?),
                        Read::Trailing(month) => Part::Trailing(reader.trailing(&[month]).await?),
                        Read::Assignments => Part::Assignments(reader.assignments().await?),
                    })
                })
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("billing read task: {e}")))?
            }
        })
        .buffer_unordered(PARALLEL_READS)
        .try_collect()
        .await?;
    let mut rows = Rows::default();
    for part in parts {
        match part {
            Part::Customers(customers) => rows.customers = customers,
            Part::Usage(usage) => rows.usage = usage,
            Part::Bills(existing) => rows.existing = existing,
            Part::Trailing(month) => rows.trailing.merge(month),
            Part::Assignments(assignments) => rows.assignments = assignments,
        }
    }
    watch.lap("read customers, usage and bills");
    Ok(rows)
}

/// The rest of the inputs, read on the run's transaction: the pending
/// quarantine (`chunks`: the named customers' chunks, or one `None`) and the
/// prices in force for the assignments read.
pub async fn complete(
    txn: &DatabaseTransaction,
    keyring: &Keyring,
    period: Period,
    chunks: &[Option<&[i64]>],
    rows: Rows,
    watch: &mut Stopwatch,
) -> AppResult<Inputs> {
    let mut quarantine = HashMap::new();
    for ids in chunks {
        quarantine.extend(pending_quarantine(txn, period, *ids).await?);
    }
    watch.lap("read quarantine");
    let pricings = resolve(txn, keyring, rows.assignments, period).await?;
    watch.lap("read prices");
    Ok(Inputs {
        customers: rows.customers,
        usage: rows.usage,
        trailing: rows.trailing.into_trailing()?,
        pricings,
        quarantine,
        existing: rows.existing,
    })
}

/// The customers of `ids` that exist and that `scope` admits.
pub async fn visible_customers(db: &DatabaseConnection, scope: &DataScope, ids: &[i64]) -> AppResult<HashSet<i64>> {
    let mut found = HashSet::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let mut sql = RawSql::new(db.get_database_backend());
        sql.sql("SELECT id, sales_owner_id FROM customers WHERE is_deleted = ")
            .bind(false)
            .sql(" AND id IN ")
            .tuple(chunk.iter().map(|id| (*id).into()));
        for row in db.query_all_raw(sql.build()).await? {
            let id: i64 = get(&row, 0)?;
            let owner: Option<i64> = get(&row, 1)?;
            if scope.admits(owner) {
                found.insert(id);
            }
        }
    }
    Ok(found)
}

/// The skipped customers of a run as its record shows them (code, name).
pub async fn skipped_rows(
    txn: &DatabaseTransaction,
    skipped: &[(i64, opcms_domain::billing::SkipReason)],
) -> AppResult<Vec<Skipped>> {
    let mut names = HashMap::with_capacity(skipped.len());
    for chunk in skipped.chunks(CHUNK) {
        let mut sql = RawSql::new(txn.get_database_backend());
        sql.sql("SELECT id, customer_code, company_name FROM customers WHERE id IN ")
            .tuple(chunk.iter().map(|(id, _)| (*id).into()));
        for row in txn.query_all_raw(sql.build()).await? {
            names.insert(get::<i64>(&row, 0)?, (get::<String>(&row, 1)?, get::<String>(&row, 2)?));
        }
    }
    Ok(skipped
        .iter()
        .map(|(id, reason)| {
            let (code, name) = names.remove(id).unwrap_or_default();
            Skipped {
                customer_id: *id,
                customer_code: code,
                company_name: name,
                reason: reason.code().into(),
                message: reason.message().into(),
            }
        })
        .collect())
}

/// Pending quarantined records per customer for the period. They carry the
/// day as received; a pending one with a customer and a day in the period
/// makes the bill suspect.
async fn pending_quarantine(
    txn: &DatabaseTransaction,
    period: Period,
    ids: Option<&[i64]>,
) -> AppResult<HashMap<i64, u64>> {
    let mut sql = RawSql::new(txn.get_database_backend());
    sql.sql("SELECT customer_id, COUNT(*) FROM usage_quarantine WHERE status = ")
        .bind("pending")
        .sql(" AND customer_id IS NOT NULL AND day LIKE ")
        .bind(format!("{period}-%"));
    id_filter(&mut sql, "customer_id", ids);
    sql.sql(" GROUP BY customer_id");
    let mut counts = HashMap::new();
    for row in txn.query_all_raw(sql.build()).await? {
        let count: i64 = get(&row, 1)?;
        counts.insert(get(&row, 0)?, count as u64);
    }
    Ok(counts)
}

/// The months before `period` as `yyyymm` keys; `[0]` (no month) at the
/// start of the calendar, so that `IN (…)` is never empty.
fn trailing_keys(period: Period) -> Vec<i32> {
    let mut months: Vec<i32> = trailing_months(period).into_iter().map(Period::key).collect();
    if months.is_empty() {
        months.push(0);
    }
    months
}

pub(super) fn get<T: sea_orm::TryGetable>(row: &QueryResult, index: usize) -> AppResult<T> {
    Ok(row.try_get_by_index(index)?)
}

/// `AND <column> IN (…)` when the run names customers. Named runs are
/// small; a whole-period run reads ranges by period.
pub(super) fn id_filter(sql: &mut RawSql, column: &str, ids: Option<&[i64]>) {
    if let Some(ids) = ids {
        sql.sql(" AND ")
            .sql(column)
            .sql(" IN ")
            .tuple(ids.iter().map(|id| (*id).into()));
    }
}

// ---- rows into their domain types, whichever path read them -------------

/// A `customers` row.
pub(super) fn customer_facts(id: i64, status: &str, has: [bool; 3], payment_terms_days: i32) -> CustomerFacts {
    CustomerFacts {
        id,
        status: AccountStatus::parse(status).unwrap_or(AccountStatus::Active),
        series: SERIES
            .into_iter()
            .zip(has)
            .filter(|(_, has)| *has)
            .map(|(s, _)| s)
            .collect(),
        payment_terms_days,
    }
}

/// A `bills` row of a live auto bill.
pub(super) fn auto_bill(
    id: i64,
    status: &str,
    fingerprint: String,
    usage_key: Option<String>,
    late_usage: Option<String>,
    version: i32,
) -> AutoBill {
    AutoBill {
        id,
        status: BillStatus::parse(status).unwrap_or(BillStatus::Issued),
        fingerprint,
        usage_key,
        late_usage,
        version,
    }
}

/// A `usage_monthly` row of the period: `units` of 0.0001 of `series`.
pub(super) fn add_usage(usage: &mut HashMap<i64, SeriesMap<Usage>>, customer_id: i64, series: Series, units: i64) {
    if let Ok(quantity) = Usage::from_fixed4(Fixed4::from_units(units)) {
        usage.entry(customer_id).or_default().insert(series, quantity);
    }
}

/// X, N, L: the slots of [`TrailingSums`] and the flags of [`customer_facts`].
pub(super) const SERIES: [Series; 3] = [Series::X, Series::N, Series::L];

/// The trailing months' usage as it is read: per customer, the total and
/// the months with usage per series slot (X, N, L). A customer may come in
/// several entries (one per month read); [`TrailingSums::into_trailing`]
/// adds them up once every read is in.
#[derive(Default)]
pub struct TrailingSums(Vec<(i64, [(Total, u32); 3])>);

impl TrailingSums {
    /// Adds `months` months of usage totalling `sum` to a customer's series.
    pub(super) fn add(&mut self, customer_id: i64, series: Series, sum: Total, months: u32) {
        if self.0.last().is_none_or(|(last, _)| *last != customer_id) {
            self.0.push((customer_id, Default::default()));
        }
        if let Some((_, slots)) = self.0.last_mut() {
            let slot = &mut slots[slot_of(series)];
            slot.0 += sum;
            slot.1 += months;
        }
    }

    /// [`TrailingSums::add`] for every series of a customer at once.
    pub(super) fn add_slots(&mut self, customer_id: i64, slots: [(Total, u32); 3]) {
        self.0.push((customer_id, slots));
    }

    fn merge(&mut self, other: TrailingSums) {
        self.0.extend(other.0);
    }

    /// Each series' trailing usage: three stored quantities always fit a
    /// `Decimal` (well below 2^96 units).
    fn into_trailing(self) -> AppResult<HashMap<i64, SeriesMap<Trailing>>> {
        let mut sums: HashMap<i64, [(Total, u32); 3]> = HashMap::new();
        for (customer_id, slots) in self.0 {
            let total = sums.entry(customer_id).or_default();
            for (total, (sum, months)) in total.iter_mut().zip(slots) {
                total.0 += sum;
                total.1 += months;
            }
        }
        sums.into_iter()
            .map(|(customer_id, slots)| {
                let mut by_series = SeriesMap::new();
                for (series, (sum, months)) in SERIES.into_iter().zip(slots) {
                    if months > 0 {
                        let sum = sum
                            .to_decimal()
                            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("trailing usage sum out of range")))?;
                        by_series.insert(series, Trailing { sum, months });
                    }
                }
                Ok((customer_id, by_series))
            })
            .collect()
    }
}

pub(super) fn slot_of(series: Series) -> usize {
    match series {
        Series::X => 0,
        Series::N => 1,
        Series::L => 2,
    }
}
