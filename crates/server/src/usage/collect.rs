//! Collections: fetch one day from a source, write it in one transaction,
//! and keep a log of every run. `POST /usage/collect` calls this now; the
//! scheduler will call the same [`collect`] for yesterday every night.

use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use opcms_domain::usage::DayWindow;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, NotSet, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde::Serialize;
use serde_json::json;

use super::entity::run;
use super::source::{FetchError, UsageSource};
use super::source::{Incoming, clip};
use super::store::{self, Delivery, OnExisting, Tally};
use crate::audit::Actor;
use crate::error::{AppError, AppResult};
use crate::http::pagination::PageRequest;
use crate::state::AppState;
use crate::users::{UserRef, display_names};

/// Longest error text kept on a run.
const ERROR_CHARS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Manual,
    Schedule,
    Rerun,
}

impl Trigger {
    fn code(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Schedule => "schedule",
            Trigger::Rerun => "rerun",
        }
    }
}

/// A run as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunView {
    pub id: i64,
    pub source: String,
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    /// `running` | `succeeded` | `failed`
    #[schema(value_type = CollectionStatus)]
    pub status: String,
    /// `manual` | `schedule` | `rerun`
    #[schema(value_type = CollectionTrigger)]
    pub trigger: String,
    pub pages: i32,
    pub attempts: i32,
    pub fetched: i32,
    pub accepted: i32,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub quarantined: i32,
    /// Discarded by rule: usage of closed customers (`usage_discard_closed`).
    pub discarded: i32,
    #[schema(required = true)]
    pub error: Option<String>,
    pub started_at: chrono::DateTime<Utc>,
    #[schema(required = true)]
    pub finished_at: Option<chrono::DateTime<Utc>>,
    #[schema(required = true)]
    pub duration_ms: Option<i64>,
    #[schema(required = true)]
    pub triggered_by: Option<UserRef>,
}

/// What started a collection run.
/// The field holds the code as a string; this names the codes in the
/// OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum CollectionTrigger {
    Manual,
    Schedule,
    Rerun,
}

/// A collection run's state.
/// The field holds the code as a string; this names the codes in the
/// OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum CollectionStatus {
    Running,
    Succeeded,
    Failed,
}

/// Collects `day` from the named source, or from every configured source.
pub async fn collect(
    state: &AppState,
    actor: &Actor,
    day: NaiveDate,
    source: Option<&str>,
    trigger: Trigger,
) -> AppResult<Vec<RunView>> {
    if day > crate::calendar::business_today() {
        return Err(AppError::field("date", "OUT_OF_RANGE", "不能采集未来日期的用量"));
    }
    let sources = chosen(state, source)?;
    collect_day(state, actor, day, &sources, trigger).await
}

/// `day` from each of `sources` in turn: one run each.
async fn collect_day(
    state: &AppState,
    actor: &Actor,
    day: NaiveDate,
    sources: &[Arc<dyn UsageSource>],
    trigger: Trigger,
) -> AppResult<Vec<RunView>> {
    let mut runs = Vec::with_capacity(sources.len());
    for source in sources {
        let id = run_one(state, actor, source.as_ref(), day, trigger).await?;
        runs.push(find(&state.db, id).await?);
    }
    Ok(runs)
}

/// Most days one range collection may cover (a quarter).
pub const MAX_RANGE_DAYS: i64 = 92;

/// Collects every day of `from..=to` in turn (a backfill): one run per day
/// and source, each its own transaction, a failed day not stopping the
/// next. The work runs in its own task, so a client that stops waiting
/// does not cut a day short; the collection log shows the progress.
pub async fn collect_range(
    state: &AppState,
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
    source: Option<String>,
) -> AppResult<Vec<RunView>> {
    if from > to {
        return Err(AppError::field("to", "OUT_OF_RANGE", "结束日期不能早于开始日期"));
    }
    if (to - from).num_days() + 1 > MAX_RANGE_DAYS {
        return Err(AppError::field(
            "to",
            "OUT_OF_RANGE",
            format!("一次最多采集 {MAX_RANGE_DAYS} 天，请缩小日期范围"),
        ));
    }
    if to > crate::calendar::business_today() {
        return Err(AppError::field("to", "OUT_OF_RANGE", "不能采集未来日期的用量"));
    }
    // Refuse an unknown source or none configured before starting; the
    // sources (a client each) are built once for all the days.
    let sources = chosen(state, source.as_deref())?;
    let (state, actor) = (state.clone(), actor.clone());
    // The days run in a task of their own, on the request's clock.
    let task = tokio::spawn(crate::calendar::current().scope(async move {
        let mut runs = Vec::new();
        for day in from.iter_days().take_while(|d| *d <= to) {
            runs.extend(collect_day(&state, &actor, day, &sources, Trigger::Manual).await?);
        }
        Ok::<_, AppError>(runs)
    }));
    task.await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("range collection task: {e}")))?
}

/// The configured sources, built for one collection: a client each, cheap
/// next to the fetches (the configuration itself was checked at start).
///
/// `name` picks one (404 when there is none of that name); without it, all
/// of them, and none configured is a 409.
fn chosen(state: &AppState, name: Option<&str>) -> AppResult<Vec<Arc<dyn UsageSource>>> {
    let configured = super::configured_sources(&state.config).map_err(AppError::Internal)?;
    match name {
        Some(name) => {
            let source = configured.into_iter().find(|s| s.name() == name);
            let source = source.ok_or_else(|| AppError::NotFound {
                message: format!("用量数据源「{name}」不存在"),
            })?;
            Ok(vec![source])
        }
        None if configured.is_empty() => Err(AppError::conflict(
            "NO_USAGE_SOURCE",
            "尚未配置用量数据源（opcms.toml 的 [[usage_sources]] 或 OPCMS_USAGE_SOURCES）",
        )),
        None => Ok(configured),
    }
}

/// One source, one day: log the start, fetch every page, write them in one
/// transaction with the run's counts, or log why not. Answers the run id.
async fn run_one(
    state: &AppState,
    actor: &Actor,
    source: &dyn UsageSource,
    day: NaiveDate,
    trigger: Trigger,
) -> AppResult<i64> {
    let started = Instant::now();
    let started_at = Utc::now();
    let row = run::ActiveModel {
        id: NotSet,
        source: Set(source.name().to_string()),
        day: Set(day),
        status: Set("running".into()),
        trigger_kind: Set(trigger.code().into()),
        pages: Set(0),
        attempts: Set(0),
        fetched: Set(0),
        created: Set(0),
        updated: Set(0),
        unchanged: Set(0),
        quarantined: Set(0),
        discarded: Set(0),
        error: Set(None),
        started_at: Set(started_at),
        finished_at: Set(None),
        duration_ms: Set(None),
        triggered_by: Set(actor.user_id),
    }
    .insert(&state.db)
    .await?;
    let run_id = row.id;

    let fetched = source.fetch_usage(day).await;
    let outcome = match fetched {
        Err(error) => Err(error),
        Ok(fetched) => {
            let source_code = format!("api:{}", source.name());
            let written = write_day(state, actor, &source_code, day, run_id, &fetched.records).await;
            match written {
                Ok(tally) => Ok((fetched.pages, fetched.attempts, fetched.records.len(), tally)),
                Err(e) => {
                    tracing::error!(source = source.name(), %day, error = ?e, "writing collected usage failed");
                    Err(FetchError {
                        message: "写入数据库失败，本次采集未保存任何记录".into(),
                        pages: fetched.pages,
                        attempts: fetched.attempts,
                    })
                }
            }
        }
    };
    let finished_at = Utc::now();
    let duration_ms = started.elapsed().as_millis() as i64;
    let mut update = run::Entity::update_many()
        .col_expr(run::Column::FinishedAt, Expr::value(finished_at))
        .col_expr(run::Column::DurationMs, Expr::value(duration_ms));
    match outcome {
        Ok((pages, attempts, fetched, tally)) => {
            update = update
                .col_expr(run::Column::Status, Expr::value("succeeded"))
                .col_expr(run::Column::Pages, Expr::value(pages as i32))
                .col_expr(run::Column::Attempts, Expr::value(attempts as i32))
                .col_expr(run::Column::Fetched, Expr::value(fetched as i32))
                .col_expr(run::Column::Created, Expr::value(tally.created as i32))
                .col_expr(run::Column::Updated, Expr::value(tally.updated as i32))
                .col_expr(run::Column::Unchanged, Expr::value(tally.unchanged as i32))
                .col_expr(run::Column::Quarantined, Expr::value(tally.quarantined as i32))
                .col_expr(run::Column::Discarded, Expr::value(tally.discarded as i32));
        }
        Err(error) => {
            tracing::warn!(source = source.name(), %day, error = %error.message, "usage collection failed");
            update = update
                .col_expr(run::Column::Status, Expr::value("failed"))
                .col_expr(run::Column::Pages, Expr::value(error.pages as i32))
                .col_expr(run::Column::Attempts, Expr::value(error.attempts as i32))
                .col_expr(run::Column::Error, Expr::value(clip(&error.message, ERROR_CHARS)));
        }
    }
    update.filter(run::Column::Id.eq(run_id)).exec(&state.db).await?;
    Ok(run_id)
}

async fn write_day(
    state: &AppState,
    actor: &Actor,
    source: &str,
    day: NaiveDate,
    run_id: i64,
    records: &[Incoming],
) -> AppResult<Tally> {
    // The key lock too: a hand entry or a file racing for the same day waits.
    let settings = crate::settings::load(&state.db).await?;
    let txn = store::begin(&state.db, &[source, store::KEY_LOCK]).await?;
    let delivery = Delivery {
        source,
        window: DayWindow::Exactly(day),
        limits: settings.sanity_limits(),
        cause: "redelivery",
        reason: None,
        run_id: Some(run_id),
        actor,
        context: json!({"day": day, "run_id": run_id}),
        on_existing: OnExisting::Quarantine,
        discard_closed: settings.usage_discard_closed,
    };
    let outcomes = store::write(&txn, &delivery, records).await?;
    txn.commit().await?;
    Ok(Tally::of(&outcomes))
}

/// Marks runs left `running` by a process that died as failed; called at
/// start-up, before this process starts runs of its own.
pub async fn fail_interrupted_runs(db: &DatabaseConnection, started_before: chrono::DateTime<Utc>) -> AppResult<u64> {
    let txn = db.begin().await?;
    let result = run::Entity::update_many()
        .col_expr(run::Column::Status, Expr::value("failed"))
        .col_expr(run::Column::Error, Expr::value("服务重启，采集中断，未保存任何记录"))
        .col_expr(run::Column::FinishedAt, Expr::value(Utc::now()))
        .filter(run::Column::Status.eq("running"))
        .filter(run::Column::StartedAt.lt(started_before))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(result.rows_affected)
}

pub async fn find(db: &DatabaseConnection, id: i64) -> AppResult<RunView> {
    let row = run::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("采集记录"))?;
    Ok(views(db, vec![row]).await?.remove(0))
}

pub async fn find_model(db: &DatabaseConnection, id: i64) -> AppResult<run::Model> {
    run::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("采集记录"))
}

#[derive(Debug, Default)]
pub struct RunFilter {
    pub source: Option<String>,
    pub status: Option<String>,
    pub day: Option<NaiveDate>,
    /// Runs of days from…to (inclusive).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

pub async fn list(db: &DatabaseConnection, filter: &RunFilter, page: PageRequest) -> AppResult<(Vec<RunView>, u64)> {
    let mut query = run::Entity::find();
    if let Some(source) = &filter.source {
        query = query.filter(run::Column::Source.eq(source.as_str()));
    }
    if let Some(status) = &filter.status {
        query = query.filter(run::Column::Status.eq(status.as_str()));
    }
    if let Some(day) = filter.day {
        query = query.filter(run::Column::Day.eq(day));
    }
    if let Some(from) = filter.from {
        query = query.filter(run::Column::Day.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(run::Column::Day.lte(to));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(run::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    Ok((views(db, rows).await?, total))
}

async fn views(db: &DatabaseConnection, rows: Vec<run::Model>) -> AppResult<Vec<RunView>> {
    let names = display_names(db, rows.iter().filter_map(|r| r.triggered_by)).await?;
    Ok(rows
        .into_iter()
        .map(|r| RunView {
            id: r.id,
            source: r.source,
            day: r.day,
            status: r.status,
            trigger: r.trigger_kind,
            pages: r.pages,
            attempts: r.attempts,
            fetched: r.fetched,
            accepted: r.created + r.updated + r.unchanged,
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            quarantined: r.quarantined,
            discarded: r.discarded,
            error: r.error,
            started_at: r.started_at,
            finished_at: r.finished_at,
            duration_ms: r.duration_ms,
            triggered_by: r.triggered_by.map(|id| UserRef::named(id, &names)),
        })
        .collect())
}
