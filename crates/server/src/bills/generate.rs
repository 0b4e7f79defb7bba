//! `POST /bills/generate`: one auto bill per billable customer and period
//! (DESIGN.md §7). Idempotent and safe under concurrency:
//!
//! - the period's row in `bill_counters` is locked first, so two
//!   generations of one period take turns (the second sees the first's
//!   drafts and has nothing to create);
//! - `UNIQUE(customer_id, period, auto_slot)` refuses a second live auto
//!   bill whatever the code does;
//! - a draft is recomputed and written only when what it was computed from
//!   or to changed (its fingerprint); an issued bill is never changed, only
//!   flagged when its usage changed since (late usage).
//!
//! Everything is read in a few set queries (customers, the month's totals,
//! the trailing months' sums, plan assignments, pending quarantine, the
//! existing bills), priced in memory and written in batches, in one
//! transaction.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::time::Instant;

use chrono::Utc;
use opcms_domain::billing::{
    self, BillStatus, PricedLines, SkipReason, StoredLineKind, Trailing, WarningInputs, billability, priced_lines,
    verify,
};
use opcms_domain::customer::{AccountStatus, Series};
use opcms_domain::money::Total;
use opcms_domain::pricing::{SeriesMap, Usage, price_plan};
use opcms_domain::{DataScope, Fixed4, Period};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, NotSet, QueryResult, SqlErr,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::entity::{bill, run};
use super::numbers::{ensure_counter, lock_period, take_numbers};
use crate::audit::{self, Actor, Entry};
use crate::calendar::current_period;
use crate::db::raw::RawSql;
use crate::db::{begin_write, read_wide_sum, wide_sum_sql};
use crate::db::{bulk, packed};
use crate::error::{AppError, AppResult};
use crate::parallel;
use crate::pricing::customer::{Assignment, CustomerPricing, all_customer_pricings, customer_pricings_for, resolve};
use crate::state::AppState;
use crate::telemetry::Stopwatch;

/// Most customers one request may name.
const MAX_CUSTOMER_IDS: usize = 10_000;
/// Values per `IN (…)`: far below every backend's parameter limit.
const CHUNK: usize = 500;
/// Skipped customers kept in a run's record.
const MAX_SKIPPED_KEPT: usize = 1_000;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct GenerateInput {
    /// `YYYY-MM`, not after the current month.
    pub period: Option<String>,
    /// Only these customers (default: every customer).
    pub customer_ids: Option<Vec<i64>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Skipped {
    pub customer_id: i64,
    pub customer_code: String,
    pub company_name: String,
    #[schema(value_type = opcms_domain::billing::SkipReason)]
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunResult {
    pub run_id: i64,
    #[schema(value_type = String)]
    pub period: Period,
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub voided: u32,
    pub kept_issued: u32,
    pub late_usage: u32,
    pub skipped: Vec<Skipped>,
    pub skipped_count: u32,
    /// Drafts of this run carrying at least one warning.
    pub warnings: u32,
    pub duration_ms: u64,
    pub started_at: chrono::DateTime<Utc>,
    pub actor_name: String,
    #[schema(required = true)]
    pub customer_ids: Option<Vec<i64>>,
}

impl RunResult {
    pub fn from_row(row: run::Model) -> RunResult {
        RunResult {
            run_id: row.id,
            period: Period::from_key(row.period).unwrap_or_else(current_period),
            created: row.created as u32,
            updated: row.updated as u32,
            unchanged: row.unchanged as u32,
            voided: row.voided as u32,
            kept_issued: row.kept_issued as u32,
            late_usage: row.late_usage as u32,
            skipped: serde_json::from_str(&row.skipped).unwrap_or_default(),
            skipped_count: row.skipped_count as u32,
            warnings: row.warnings as u32,
            duration_ms: row.duration_ms as u64,
            started_at: row.started_at,
            actor_name: row.actor_name,
            customer_ids: row.customer_filter.and_then(|f| serde_json::from_str(&f).ok()),
        }
    }
}

/// The period of a request: well formed and not in the future.
pub fn billing_period(value: Option<&str>) -> AppResult<Period> {
    let period = Period::field(value, "period", "账期").map_err(|e| AppError::Validation(vec![e]))?;
    if period > current_period() {
        return Err(AppError::field("period", "PERIOD_IN_FUTURE", "账期不能晚于本月"));
    }
    Ok(period)
}

/// What billing needs of a customer.
struct CustomerFacts {
    id: i64,
    status: AccountStatus,
    series: Vec<Series>,
    payment_terms_days: i32,
}

/// An auto bill already there for the period.
struct Existing {
    id: i64,
    status: BillStatus,
    fingerprint: String,
    usage_key: Option<String>,
    late_usage: Option<String>,
    version: i32,
}

/// What one customer's generation decided.
enum Decision {
    Create(Box<Computed>),
    Update(i64, i32, Box<Computed>),
    Unchanged,
    KeepIssued { late: Option<(i64, String)> },
    Void(i64, i32),
    Skip(SkipReason),
    Nothing,
}

struct Computed {
    customer_id: i64,
    plan: Option<(i64, i32)>,
    lines: String,
    subtotal: i64,
    warnings: String,
    warning_count: i32,
    fingerprint: String,
    usage_key: String,
}

pub async fn generate(state: &AppState, actor: &Actor, scope: DataScope, input: GenerateInput) -> AppResult<RunResult> {
    let started = Instant::now();
    let started_at = Utc::now();
    let period = billing_period(input.period.as_deref())?;
    let named = match input.customer_ids {
        None => None,
        Some(ids) => Some(named_customers(state, scope, ids).await?),
    };
    let db = &state.db;
    ensure_counter(db, period).await?;
    let txn = begin_write(db).await?;
    // First statement of the transaction: a MySQL snapshot taken after it
    // sees what a generation that held the lock before us committed.
    lock_period(&txn, period).await?;
    let mut watch = Stopwatch::start();
    let inputs = Inputs::load(&txn, state, period, named.as_deref(), &mut watch).await?;
    let bill_trial = state.config.billing.bill_trial_customers;

    let mut result = RunResult {
        run_id: 0,
        period,
        created: 0,
        updated: 0,
        unchanged: 0,
        voided: 0,
        kept_issued: 0,
        late_usage: 0,
        skipped: Vec::new(),
        skipped_count: 0,
        warnings: 0,
        duration_ms: 0,
        started_at,
        actor_name: actor.name.clone(),
        customer_ids: named.clone(),
    };
    let named_set: Option<HashSet<i64>> = named.as_ref().map(|ids| ids.iter().copied().collect());
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    let mut voids = Vec::new();
    let mut late = Vec::new();
    let mut skipped_ids = Vec::new();
    let (inputs, named_set, decisions) = tokio::task::spawn_blocking(move || {
        let decisions = decide_all(&inputs, bill_trial, named_set.as_ref());
        (inputs, named_set, decisions)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("billing task: {e}")))?;
    let decisions = decisions?;
    let mut seen = HashSet::with_capacity(inputs.customers.len());
    for (customer, decision) in inputs.customers.iter().zip(decisions) {
        seen.insert(customer.id);
        match decision {
            Decision::Create(computed) => {
                result.created += 1;
                result.warnings += u32::from(computed.warning_count > 0);
                creates.push(*computed);
            }
            Decision::Update(id, version, computed) => {
                result.updated += 1;
                result.warnings += u32::from(computed.warning_count > 0);
                updates.push((id, version, computed));
            }
            Decision::Unchanged => result.unchanged += 1,
            Decision::KeepIssued { late: flag } => {
                result.kept_issued += 1;
                if let Some(flag) = flag {
                    result.late_usage += 1;
                    late.push(flag);
                }
            }
            Decision::Void(id, version) => {
                result.voided += 1;
                voids.push((id, version));
            }
            Decision::Skip(reason) => {
                result.skipped_count += 1;
                if skipped_ids.len() < MAX_SKIPPED_KEPT {
                    skipped_ids.push((customer.id, reason));
                }
            }
            Decision::Nothing => {}
        }
    }
    // Drafts of customers deleted since: nothing to bill any more.
    for (customer_id, existing) in &inputs.existing {
        let in_run = named_set.as_ref().is_none_or(|ids| ids.contains(customer_id));
        if in_run && !seen.contains(customer_id) && existing.status == BillStatus::Draft {
            result.voided += 1;
            voids.push((existing.id, existing.version));
        }
    }

    watch.lap("price and verify");
    let run_id = insert_run_placeholder(&txn, period, actor, &named, started_at).await?;
    write_creates(&txn, period, actor, run_id, creates).await?;
    watch.lap("write new bills");
    write_updates(&txn, actor, run_id, updates).await?;
    write_voids(&txn, actor, voids).await?;
    write_late(&txn, late).await?;
    result.skipped = skipped_rows(&txn, &skipped_ids).await?;
    result.run_id = run_id;
    result.duration_ms = started.elapsed().as_millis() as u64;
    finish_run(&txn, run_id, &result).await?;
    audit::record(
        &txn,
        actor,
        Entry {
            action: "bills.generate",
            entity_type: "billing_run",
            entity_id: Some(run_id.to_string()),
            changes: Some(json!({
                "period": period.to_string(),
                "customer_ids": named,
                "created": result.created,
                "updated": result.updated,
                "voided": result.voided,
                "late_usage": result.late_usage,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    watch.lap("commit");
    tracing::info!(
        period = %period,
        created = result.created,
        updated = result.updated,
        unchanged = result.unchanged,
        phases = %watch.summary(),
        "billing run finished"
    );
    Ok(result)
}

/// The customers a request names: each must exist and be in scope (404
/// names the first that is not).
async fn named_customers(state: &AppState, scope: DataScope, ids: Vec<i64>) -> AppResult<Vec<i64>> {
    if ids.is_empty() {
        return Err(AppError::field("customer_ids", "REQUIRED", "请至少选择一个客户"));
    }
    if ids.len() > MAX_CUSTOMER_IDS {
        return Err(AppError::field(
            "customer_ids",
            "TOO_MANY",
            format!("一次最多为 {MAX_CUSTOMER_IDS} 个客户生成账单"),
        ));
    }
    let mut unique: Vec<i64> = ids;
    unique.sort_unstable();
    unique.dedup();
    let mut found = HashSet::with_capacity(unique.len());
    for chunk in unique.chunks(CHUNK) {
        let mut sql = RawSql::new(state.db.get_database_backend());
        sql.sql("SELECT id, sales_owner_id FROM customers WHERE is_deleted = ")
            .bind(false)
            .sql(" AND id IN ")
            .tuple(chunk.iter().map(|id| (*id).into()));
        for row in state.db.query_all_raw(sql.build()).await? {
            let id: i64 = row.try_get_by_index(0)?;
            let owner: Option<i64> = row.try_get_by_index(1)?;
            if scope.admits(owner) {
                found.insert(id);
            }
        }
    }
    if let Some(missing) = unique.iter().find(|id| !found.contains(id)) {
        return Err(AppError::NotFound {
            message: format!("客户 {missing} 不存在或无权访问"),
        });
    }
    Ok(unique)
}

/// Everything a period's generation reads, loaded in set queries.
#[derive(Default)]
pub(super) struct Inputs {
    customers: Vec<CustomerFacts>,
    usage: HashMap<i64, SeriesMap<Usage>>,
    trailing: HashMap<i64, SeriesMap<Trailing>>,
    pricings: HashMap<i64, CustomerPricing>,
    quarantine: HashMap<i64, u64>,
    existing: HashMap<i64, Existing>,
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, index: usize) -> AppResult<T> {
    Ok(row.try_get_by_index(index)?)
}

/// `AND customer_id IN (…)` when the run names customers. Named runs are
/// small; a whole-period run reads ranges by period.
fn id_filter(sql: &mut RawSql, column: &str, ids: Option<&[i64]>) {
    if let Some(ids) = ids {
        sql.sql(" AND ")
            .sql(column)
            .sql(" IN ")
            .tuple(ids.iter().map(|id| (*id).into()));
    }
}

impl Inputs {
    async fn load(
        txn: &DatabaseTransaction,
        state: &AppState,
        period: Period,
        named: Option<&[i64]>,
        watch: &mut Stopwatch,
    ) -> AppResult<Inputs> {
        let backend = txn.get_database_backend();
        if named.is_none() && backend == DbBackend::Sqlite {
            return Self::load_packed(txn, state, period, watch).await;
        }
        let chunks: Vec<Option<&[i64]>> = match named {
            None => vec![None],
            Some(ids) => ids.chunks(CHUNK).map(Some).collect(),
        };
        let mut inputs = Inputs::default();
        let months = trailing_months(period);
        for ids in chunks {
            let mut sql = RawSql::new(backend);
            sql.sql(
                "SELECT id, account_status, series_x, series_n, series_l, payment_terms_days FROM customers \
                 WHERE is_deleted = ",
            )
            .bind(false);
            id_filter(&mut sql, "id", ids);
            for row in txn.query_all_raw(sql.build()).await? {
                let status: String = get(&row, 1)?;
                let mut series = Vec::with_capacity(3);
                for (index, s) in [(2, Series::X), (3, Series::N), (4, Series::L)] {
                    if get::<bool>(&row, index)? {
                        series.push(s);
                    }
                }
                let id = get(&row, 0)?;
                let payment_terms_days = get(&row, 5)?;
                inputs.customers.push(CustomerFacts {
                    id,
                    status: AccountStatus::parse(&status).unwrap_or(AccountStatus::Active),
                    series,
                    payment_terms_days,
                });
            }
            watch.lap("read customers");

            let mut sql = RawSql::new(backend);
            sql.sql("SELECT customer_id, series, quantity FROM usage_monthly WHERE month = ")
                .bind(period.key())
                .sql(" AND record_count > 0");
            id_filter(&mut sql, "customer_id", ids);
            for row in txn.query_all_raw(sql.build()).await? {
                let series: String = get(&row, 1)?;
                let (Some(series), Ok(quantity)) = (
                    Series::parse(&series),
                    Usage::from_fixed4(Fixed4::from_units(get(&row, 2)?)),
                ) else {
                    continue;
                };
                inputs.usage.entry(get(&row, 0)?).or_default().insert(series, quantity);
            }
            watch.lap("read usage");

            let mut sql = RawSql::new(backend);
            sql.sql("SELECT customer_id, series, COUNT(*), ")
                .sql(&wide_sum_sql(backend, "quantity", "q"))
                .sql(" FROM usage_monthly WHERE month IN ")
                .tuple(months.iter().map(|m| (*m).into()))
                .sql(" AND record_count > 0");
            id_filter(&mut sql, "customer_id", ids);
            sql.sql(" GROUP BY customer_id, series");
            for row in txn.query_all_raw(sql.build()).await? {
                let series: String = get(&row, 1)?;
                let Some(series) = Series::parse(&series) else { continue };
                let months: i64 = get(&row, 2)?;
                inputs
                    .trailing
                    .entry(get(&row, 0)?)
                    .or_default()
                    .insert(series, trailing(read_wide_sum(&row, "q")?, months as u32)?);
            }
            watch.lap("read trailing usage");

            inputs.quarantine.extend(pending_quarantine(txn, period, ids).await?);
            watch.lap("read quarantine");

            let mut sql = RawSql::new(backend);
            sql.sql(
                "SELECT id, customer_id, status, fingerprint, usage_key, late_usage, version FROM bills \
                 WHERE period = ",
            )
            .bind(period.key())
            .sql(" AND auto_slot = ")
            .bind(1i16);
            id_filter(&mut sql, "customer_id", ids);
            for row in txn.query_all_raw(sql.build()).await? {
                let status: String = get(&row, 2)?;
                inputs.existing.insert(
                    get(&row, 1)?,
                    Existing {
                        id: get(&row, 0)?,
                        status: BillStatus::parse(&status).unwrap_or(BillStatus::Issued),
                        fingerprint: get(&row, 3)?,
                        usage_key: get(&row, 4)?,
                        late_usage: get(&row, 5)?,
                        version: get(&row, 6)?,
                    },
                );
            }
        }
        watch.lap("read existing bills");
        inputs.pricings = match named {
            None => all_customer_pricings(txn, &state.keyring, period).await?,
            Some(ids) => customer_pricings_for(txn, &state.keyring, ids, period).await?,
        };
        watch.lap("read prices");
        Ok(inputs)
    }
}

/// One of the packed reads of a whole-period generation on SQLite.
#[derive(Clone, Copy)]
enum PackedRead {
    Customers,
    /// The period's usage.
    Usage,
    /// The period's auto bills.
    Bills,
    /// One trailing month's usage.
    Trailing(i32),
    /// Every customer's plan assignment.
    Assignments,
}

/// What a [`PackedRead`] gives, parsed.
enum PackedPart {
    Customers(Vec<CustomerFacts>),
    Usage(HashMap<i64, SeriesMap<Usage>>),
    Bills(HashMap<i64, Existing>),
    /// One trailing month: units and months per series slot (X, N, L).
    Trailing(Vec<(i64, [(i64, u32); 3])>),
    Assignments(Vec<Assignment>),
}

/// Packed reads at once: SQLite's side of each runs on its connection's
/// worker thread, so two keep both cores busy.
const PARALLEL_READS: usize = 2;

impl Inputs {
    /// [`Inputs::load`] for a whole period on SQLite: the same data through
    /// packed reads ([`packed`]), two at a time on separate connections. The
    /// trailing months are most of the rows; one read per month lets the
    /// work spread evenly.
    ///
    /// The reads run beside the transaction, on pooled connections. That is
    /// sound because the transaction took SQLite's write lock at `BEGIN`
    /// (`IMMEDIATE`): no other writer can commit until it ends, so each
    /// connection reads the state the transaction sees. The transaction has
    /// written only its period's bill counter, which these reads do not touch.
    async fn load_packed(
        txn: &DatabaseTransaction,
        state: &AppState,
        period: Period,
        watch: &mut Stopwatch,
    ) -> AppResult<Inputs> {
        use futures_util::{StreamExt, TryStreamExt};

        let db = &state.db;
        // The largest reads first, so the last two to finish are small.
        let mut reads = vec![PackedRead::Bills];
        reads.extend(trailing_months(period).into_iter().map(PackedRead::Trailing));
        reads.extend([PackedRead::Usage, PackedRead::Customers, PackedRead::Assignments]);
        let parts: Vec<PackedPart> = futures_util::stream::iter(reads)
            .map(|read| {
                // A task each, so parsing one read's text runs beside the
                // others rather than in turn with them.
                let db = db.clone();
                async move {
                    tokio::spawn(async move { read_packed(&db, period, read).await })
                        .await
                        .map_err(|e| AppError::Internal(anyhow::anyhow!("billing read task: {e}")))?
                }
            })
            .buffer_unordered(PARALLEL_READS)
            .try_collect()
            .await?;
        let mut inputs = Inputs::default();
        let mut sums: HashMap<i64, [(Total, u32); 3]> = HashMap::new();
        let mut assignments = Vec::new();
        for part in parts {
            match part {
                PackedPart::Assignments(rows) => assignments = rows,
                PackedPart::Customers(customers) => inputs.customers = customers,
                PackedPart::Usage(usage) => inputs.usage = usage,
                PackedPart::Bills(existing) => inputs.existing = existing,
                PackedPart::Trailing(month) => {
                    for (customer_id, slots) in month {
                        let total = sums.entry(customer_id).or_default();
                        for (total, (units, months)) in total.iter_mut().zip(slots) {
                            total.0 += Fixed4::from_units(units);
                            total.1 += months;
                        }
                    }
                }
            }
        }
        inputs.trailing = trailing_from_sums(sums)?;
        watch.lap("read customers, usage and bills");

        inputs.quarantine = pending_quarantine(txn, period, None).await?;
        inputs.pricings = resolve(txn, &state.keyring, assignments, period).await?;
        watch.lap("read quarantine and prices");
        Ok(inputs)
    }
}

async fn read_packed(db: &impl ConnectionTrait, period: Period, read: PackedRead) -> AppResult<PackedPart> {
    Ok(match read {
        PackedRead::Customers => {
            let rows = packed::read(
                db,
                [
                    "id",
                    "account_status",
                    "series_x",
                    "series_n",
                    "series_l",
                    "payment_terms_days",
                ],
                |sql| {
                    sql.sql("customers WHERE is_deleted = ").bind(false);
                },
            )
            .await?;
            let mut customers = Vec::with_capacity(rows.len());
            for [id, status, x, n, l, terms] in rows.rows() {
                let series = [(x, Series::X), (n, Series::N), (l, Series::L)]
                    .into_iter()
                    .filter(|(flag, _)| *flag == "1")
                    .map(|(_, s)| s)
                    .collect();
                customers.push(CustomerFacts {
                    id: packed::number(id)?,
                    status: AccountStatus::parse(status).unwrap_or(AccountStatus::Active),
                    series,
                    payment_terms_days: packed::number(terms)?,
                });
            }
            PackedPart::Customers(customers)
        }
        PackedRead::Usage => {
            let mut usage: HashMap<i64, SeriesMap<Usage>> = HashMap::new();
            for (customer_id, units) in month_totals(db, period.key()).await? {
                let entry = usage.entry(customer_id).or_default();
                for series in [Series::X, Series::N, Series::L] {
                    let (units, months) = units[series_slot(series)];
                    if months > 0
                        && let Ok(quantity) = Usage::from_fixed4(Fixed4::from_units(units))
                    {
                        entry.insert(series, quantity);
                    }
                }
            }
            PackedPart::Usage(usage)
        }
        PackedRead::Trailing(month) => PackedPart::Trailing(month_totals(db, month).await?),
        PackedRead::Assignments => PackedPart::Assignments(read_assignments(db).await?),
        PackedRead::Bills => {
            let rows = packed::read(
                db,
                [
                    "id",
                    "customer_id",
                    "status",
                    "fingerprint",
                    "ifnull(usage_key, char(2))",
                    "ifnull(late_usage, char(2))",
                    "version",
                ],
                |sql| {
                    sql.sql("bills WHERE period = ")
                        .bind(period.key())
                        .sql(" AND auto_slot = ")
                        .bind(1i16);
                },
            )
            .await?;
            let optional = |field: &str| (field != packed::NULL).then(|| field.to_string());
            let mut existing = HashMap::with_capacity(rows.len());
            for [id, customer_id, status, fingerprint, usage_key, late_usage, version] in rows.rows() {
                existing.insert(
                    packed::number(customer_id)?,
                    Existing {
                        id: packed::number(id)?,
                        status: BillStatus::parse(status).unwrap_or(BillStatus::Issued),
                        fingerprint: fingerprint.to_string(),
                        usage_key: optional(usage_key),
                        late_usage: optional(late_usage),
                        version: packed::number(version)?,
                    },
                );
            }
            PackedPart::Bills(existing)
        }
    })
}

/// One month's usage totals per customer: units and rows (0 or 1) per
/// series slot (X, N, L).
async fn month_totals(db: &impl ConnectionTrait, month: i32) -> AppResult<Vec<(i64, [(i64, u32); 3])>> {
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
            let slot = &mut slots[series_slot(series)];
            slot.0 = checked_units(slot.0, packed::number(units)?)?;
            slot.1 += 1;
        }
    }
    Ok(totals)
}

fn checked_units(a: i64, b: i64) -> AppResult<i64> {
    a.checked_add(b)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("usage sum out of range")))
}

/// A series' trailing usage from the sum of its monthly totals: three stored
/// quantities always fit a `Decimal` (well below 2^96 units).
fn trailing(sum: Total, months: u32) -> AppResult<Trailing> {
    let sum = sum
        .to_decimal()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("trailing usage sum out of range")))?;
    Ok(Trailing { sum, months })
}

fn trailing_from_sums(sums: HashMap<i64, [(Total, u32); 3]>) -> AppResult<HashMap<i64, SeriesMap<Trailing>>> {
    sums.into_iter()
        .map(|(customer_id, slots)| {
            let mut by_series = SeriesMap::new();
            for series in [Series::X, Series::N, Series::L] {
                let (sum, months) = slots[series_slot(series)];
                if months > 0 {
                    by_series.insert(series, trailing(sum, months)?);
                }
            }
            Ok((customer_id, by_series))
        })
        .collect()
}

fn series_slot(series: Series) -> usize {
    match series {
        Series::X => 0,
        Series::N => 1,
        Series::L => 2,
    }
}

/// Every customer's plan assignment, with its sealed overrides.
async fn read_assignments(db: &impl ConnectionTrait) -> AppResult<Vec<Assignment>> {
    let rows = packed::read(db, ["customer_id", "plan_id", "ifnull(overrides_enc, '')"], |sql| {
        sql.sql("customer_pricing");
    })
    .await?;
    rows.rows()
        .map(|[customer_id, plan_id, sealed]| {
            let sealed = (!sealed.is_empty()).then(|| sealed.to_string());
            Ok((packed::number(customer_id)?, packed::number(plan_id)?, sealed))
        })
        .collect()
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

/// The three months before `period`, as `yyyymm` keys.
fn trailing_months(period: Period) -> Vec<i32> {
    let mut months = Vec::with_capacity(3);
    let mut current = period;
    for _ in 0..billing::TRAILING_MONTHS {
        match current.previous() {
            Some(previous) => {
                months.push(previous.key());
                current = previous;
            }
            None => break,
        }
    }
    if months.is_empty() {
        months.push(0);
    }
    months
}

/// `X=100;N=5`: the usage a bill is priced from, in bill order.
pub(super) fn usage_key(usage: &SeriesMap<Usage>) -> String {
    let mut key = String::new();
    for (series, quantity) in usage.iter() {
        if !key.is_empty() {
            key.push(';');
        }
        let _ = write!(key, "{}={}", series.code(), quantity);
    }
    key
}

/// [`decide`] for every customer, in order, on every core: pricing and
/// fingerprinting 100,000 customers is CPU work that splits cleanly.
fn decide_all(inputs: &Inputs, bill_trial: bool, named: Option<&HashSet<i64>>) -> AppResult<Vec<Decision>> {
    parallel::map(&inputs.customers, 1_000, |customer| {
        decide(inputs, customer, bill_trial, named)
    })
}

fn decide(inputs: &Inputs, customer: &CustomerFacts, bill_trial: bool, named: Option<&HashSet<i64>>) -> Decision {
    let empty = SeriesMap::new();
    let usage = inputs.usage.get(&customer.id).unwrap_or(&empty);
    let pricing = inputs.pricings.get(&customer.id);
    let existing = inputs.existing.get(&customer.id);
    let key = usage_key(usage);
    if let Some(existing) = existing
        && existing.status != BillStatus::Draft
    {
        let changed = existing.usage_key.as_deref().is_some_and(|billed| billed != key);
        let late = changed.then(|| late_usage_json(existing, &key)).flatten();
        return Decision::KeepIssued {
            late: late.map(|json| (existing.id, json)),
        };
    }
    let has_minimum = pricing
        .and_then(|p| p.pricing.minimum_charge)
        .is_some_and(|m| !m.value().is_zero());
    if let Err(reason) = billability(customer.status, bill_trial, !usage.is_empty(), has_minimum) {
        return match existing {
            Some(draft) => Decision::Void(draft.id, draft.version),
            None if reason != SkipReason::NoUsage && !usage.is_empty() => Decision::Skip(reason),
            None if named.is_some_and(|ids| ids.contains(&customer.id)) => Decision::Skip(reason),
            None => Decision::Nothing,
        };
    }
    let fingerprint = input_fingerprint(inputs, customer, &key, pricing);
    if existing.is_some_and(|draft| draft.fingerprint == fingerprint) {
        return Decision::Unchanged;
    }
    let computed = compute(inputs, customer, usage, pricing, key, fingerprint);
    match existing {
        None => Decision::Create(Box::new(computed)),
        Some(draft) => Decision::Update(draft.id, draft.version, Box::new(computed)),
    }
}

/// Bumped whenever what a draft says for the same inputs changes (pricing,
/// warnings, the stored line shape), so every draft is recomputed once.
const DRAFT_RULES_VERSION: &str = "bills-3";

/// SHA-256 of everything a draft is computed from: the plan version in
/// force (versions never change in place), the customer's overrides, its
/// series and payment terms, the period's usage, the trailing months' usage
/// and the pending quarantine count. A draft whose inputs hash the same is
/// left unread and unwritten: [`compute`] is a pure function of these.
fn input_fingerprint(
    inputs: &Inputs,
    customer: &CustomerFacts,
    usage_key: &str,
    pricing: Option<&CustomerPricing>,
) -> String {
    let mut text = String::with_capacity(160);
    let _ = write!(text, "{DRAFT_RULES_VERSION}|{}|", customer.payment_terms_days);
    for series in &customer.series {
        text.push_str(series.code());
    }
    match pricing {
        Some(p) => {
            let _ = write!(text, "|plan {} v{} #{}|", p.plan_id, p.version.version, p.version.id);
            if !p.overrides.is_empty() {
                text.push_str(&serde_json::to_string(&p.overrides).unwrap_or_default());
            }
        }
        None => text.push_str("|no plan|"),
    }
    text.push_str(usage_key);
    if let Some(trailing) = inputs.trailing.get(&customer.id) {
        for (series, t) in trailing.iter() {
            let _ = write!(text, "|{}:{}/{}", series.code(), t.sum, t.months);
        }
    }
    let _ = write!(text, "|q{}", inputs.quarantine.get(&customer.id).copied().unwrap_or(0));
    hex(&Sha256::digest(text.as_bytes()))
}

/// The late-usage flag of an issued bill, unless it already says this.
fn late_usage_json(existing: &Existing, current: &str) -> Option<String> {
    let previous: Option<serde_json::Value> = existing
        .late_usage
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok());
    if previous.as_ref().and_then(|p| p["current_key"].as_str()) == Some(current) {
        return None;
    }
    let parse = |key: &str| -> HashMap<String, String> {
        key.split(';')
            .filter_map(|pair| pair.split_once('='))
            .map(|(s, q)| (s.to_string(), q.to_string()))
            .collect()
    };
    let billed = parse(existing.usage_key.as_deref().unwrap_or_default());
    let now = parse(current);
    let series: Vec<_> = ["X", "N", "L"]
        .into_iter()
        .filter(|s| billed.get(*s) != now.get(*s))
        .map(|s| {
            json!({
                "series": s,
                "billed": billed.get(s).cloned().unwrap_or_else(|| "0".into()),
                "current": now.get(s).cloned().unwrap_or_else(|| "0".into()),
            })
        })
        .collect();
    Some(
        json!({
            "detected_at": Utc::now(),
            "current_key": current,
            "series": series,
        })
        .to_string(),
    )
}

fn compute(
    inputs: &Inputs,
    customer: &CustomerFacts,
    usage: &SeriesMap<Usage>,
    pricing: Option<&CustomerPricing>,
    usage_key: String,
    fingerprint: String,
) -> Computed {
    // Never a saturated or rounded total: an amount beyond what a bill may
    // hold leaves the draft without lines and with AMOUNT_TOO_LARGE.
    let PricedLines {
        lines,
        subtotal,
        pricing_error,
        amount_too_large,
    } = match pricing {
        Some(p) => priced_lines(price_plan(&p.pricing.rules, p.pricing.minimum_charge, usage)),
        None => PricedLines::default(),
    };
    let empty = SeriesMap::new();
    let line_amounts = lines
        .iter()
        .filter(|l| l.kind == StoredLineKind::Usage)
        .filter_map(|l| l.series.map(|s| (s, l.amount)))
        .collect();
    let warnings = verify(&WarningInputs {
        line_amounts,
        has_plan: pricing.is_some(),
        pricing_error,
        amount_too_large,
        customer_series: customer.series.clone(),
        usage: usage.clone(),
        trailing: inputs.trailing.get(&customer.id).unwrap_or(&empty).clone(),
        total: subtotal.to_decimal(),
        pending_quarantine: inputs.quarantine.get(&customer.id).copied().unwrap_or(0),
    });
    let lines_json = serde_json::to_string(&lines).unwrap_or_else(|_| "[]".into());
    let warnings_json = serde_json::to_string(&warnings).unwrap_or_else(|_| "[]".into());
    let plan = pricing.map(|p| (p.plan_id, p.version.version));
    Computed {
        customer_id: customer.id,
        plan,
        subtotal: subtotal.units(),
        warning_count: warnings.len() as i32,
        lines: lines_json,
        warnings: warnings_json,
        fingerprint,
        usage_key,
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    text
}

async fn insert_run_placeholder(
    txn: &DatabaseTransaction,
    period: Period,
    actor: &Actor,
    named: &Option<Vec<i64>>,
    started_at: chrono::DateTime<Utc>,
) -> AppResult<i64> {
    let row = run::ActiveModel {
        id: NotSet,
        period: Set(period.key()),
        customer_filter: Set(named.as_ref().map(|ids| json!(ids).to_string())),
        created: Set(0),
        updated: Set(0),
        unchanged: Set(0),
        voided: Set(0),
        kept_issued: Set(0),
        late_usage: Set(0),
        skipped_count: Set(0),
        skipped: Set("[]".into()),
        warnings: Set(0),
        duration_ms: Set(0),
        started_at: Set(started_at),
        actor_id: Set(actor.user_id),
        actor_name: Set(actor.name.clone()),
    };
    Ok(run::Entity::insert(row).exec(txn).await?.last_insert_id)
}

async fn finish_run(txn: &DatabaseTransaction, run_id: i64, result: &RunResult) -> AppResult<()> {
    let row = run::ActiveModel {
        id: Set(run_id),
        created: Set(result.created as i32),
        updated: Set(result.updated as i32),
        unchanged: Set(result.unchanged as i32),
        voided: Set(result.voided as i32),
        kept_issued: Set(result.kept_issued as i32),
        late_usage: Set(result.late_usage as i32),
        skipped_count: Set(result.skipped_count as i32),
        skipped: Set(serde_json::to_string(&result.skipped).unwrap_or_else(|_| "[]".into())),
        warnings: Set(result.warnings as i32),
        duration_ms: Set(result.duration_ms as i64),
        ..Default::default()
    };
    run::Entity::update(row).exec(txn).await?;
    Ok(())
}

async fn write_creates(
    txn: &DatabaseTransaction,
    period: Period,
    actor: &Actor,
    run_id: i64,
    creates: Vec<Computed>,
) -> AppResult<()> {
    if creates.is_empty() {
        return Ok(());
    }
    let numbers = take_numbers(txn, period, creates.len()).await?;
    let now = Utc::now();
    let rows: Vec<bill::ActiveModel> = creates
        .into_iter()
        .zip(numbers)
        // Only what a new draft sets: the rest keep their column defaults
        // (NULL, 0), a third fewer values to bind per row.
        .map(|(c, bill_no)| bill::ActiveModel {
            id: NotSet,
            bill_no: Set(bill_no),
            customer_id: Set(c.customer_id),
            period: Set(period.key()),
            kind: Set("auto".into()),
            auto_slot: Set(Some(1)),
            status: Set(BillStatus::Draft.code().into()),
            plan_id: Set(c.plan.map(|p| p.0)),
            plan_version: Set(c.plan.map(|p| p.1)),
            lines: Set(c.lines),
            subtotal: Set(c.subtotal),
            total: Set(c.subtotal),
            warnings: Set(c.warnings),
            warning_count: Set(c.warning_count),
            fingerprint: Set(c.fingerprint),
            usage_key: Set(Some(c.usage_key)),
            run_id: Set(Some(run_id)),
            created_at: Set(now),
            created_by: Set(actor.user_id),
            updated_at: Set(now),
            updated_by: Set(actor.user_id),
            version: Set(1),
            ..Default::default()
        })
        .collect();
    bulk::insert(txn, rows).await.map_err(|e| match e.sql_err() {
        // The unique key caught a second auto bill: never expected behind
        // the period lock, but never written either.
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            AppError::conflict("GENERATION_CONFLICT", "另一个账单生成任务正在处理同一账期，请稍后重试")
        }
        _ => e.into(),
    })?;
    Ok(())
}

async fn write_updates(
    txn: &DatabaseTransaction,
    actor: &Actor,
    run_id: i64,
    updates: Vec<(i64, i32, Box<Computed>)>,
) -> AppResult<()> {
    let now = Utc::now();
    for (id, version, c) in updates {
        let row = bill::ActiveModel {
            id: Set(id),
            plan_id: Set(c.plan.map(|p| p.0)),
            plan_version: Set(c.plan.map(|p| p.1)),
            lines: Set(c.lines),
            subtotal: Set(c.subtotal),
            total: Set(c.subtotal),
            warnings: Set(c.warnings),
            warning_count: Set(c.warning_count),
            fingerprint: Set(c.fingerprint),
            usage_key: Set(Some(c.usage_key)),
            // What was acknowledged is not what the draft says now.
            warnings_ack_by: Set(None),
            warnings_ack_at: Set(None),
            run_id: Set(Some(run_id)),
            updated_at: Set(now),
            updated_by: Set(actor.user_id),
            version: Set(version + 1),
            ..Default::default()
        };
        bill::Entity::update(row).exec(txn).await?;
    }
    Ok(())
}

async fn write_voids(txn: &DatabaseTransaction, actor: &Actor, voids: Vec<(i64, i32)>) -> AppResult<()> {
    let now = Utc::now();
    for (id, version) in voids {
        let row = bill::ActiveModel {
            id: Set(id),
            status: Set(BillStatus::Void.code().into()),
            auto_slot: Set(None),
            voided_at: Set(Some(now)),
            voided_by: Set(actor.user_id),
            void_reason: Set(Some("重新生成时已不需出账".into())),
            updated_at: Set(now),
            updated_by: Set(actor.user_id),
            version: Set(version + 1),
            ..Default::default()
        };
        bill::Entity::update(row).exec(txn).await?;
    }
    Ok(())
}

async fn write_late(txn: &DatabaseTransaction, late: Vec<(i64, String)>) -> AppResult<()> {
    for (id, json) in late {
        let row = bill::ActiveModel {
            id: Set(id),
            late_usage: Set(Some(json)),
            ..Default::default()
        };
        bill::Entity::update(row).exec(txn).await?;
    }
    Ok(())
}

async fn skipped_rows(txn: &DatabaseTransaction, skipped: &[(i64, SkipReason)]) -> AppResult<Vec<Skipped>> {
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
