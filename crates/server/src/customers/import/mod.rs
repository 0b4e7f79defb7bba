//! Customer import (DESIGN.md §4): a spreadsheet in, a report out. Parsing
//! is `crate::spreadsheet`, the rules are the domain's (the same as the
//! API's), planning is [`plan`], and this module writes the plan in one
//! transaction and keeps the record and report of every run.

pub mod columns;
pub mod original;
pub mod plan;
pub mod price_plan;
pub mod record;
pub mod report;
pub mod routes;

use chrono::Utc;
use opcms_domain::customer::Field;
use sea_orm::ActiveValue::Set;
use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, NotSet, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use serde_json::Value;

use self::plan::{Action, Issue, IssueStatus, Owners, Plan, PlannedRow};
pub use self::record::ImportCounts;
use crate::access::Principal;
use crate::audit::{self, Actor, Entry};
use crate::customers::entity::{customer, status_history};
use crate::customers::model::{apply_profile, audit_view, new_row};
use crate::customers::search_index;
use crate::customers::service::{db_error, highest_generated_code};
use crate::db::{begin_bulk_write, bulk};
use crate::error::{AppError, AppResult};
use crate::parallel;
use crate::spreadsheet::header::Columns;
use crate::spreadsheet::{self, Limits, header};
use crate::state::AppState;
use crate::telemetry::Stopwatch;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    pub import_id: i64,
    pub dry_run: bool,
    pub file_name: String,
    pub counts: ImportCounts,
    /// Customers created, updated, left as they were (what a dry run would do).
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub issues: Vec<Issue>,
    pub file_warnings: Vec<String>,
    /// The `.xlsx` of the rows with problems; null when there are none.
    #[schema(required = true)]
    pub report_url: Option<String>,
    /// The uploaded file was kept in file storage (下载原文件); false when
    /// the storage was unavailable: the import itself is done all the same.
    pub original_kept: bool,
}

/// The least of the 18 headers a sheet must show to be taken for a
/// customer list.
const MIN_HEADER_MATCHES: usize = 2;

pub async fn run(
    state: &AppState,
    principal: &Principal,
    actor: &Actor,
    file_name: String,
    bytes: Vec<u8>,
    dry_run: bool,
) -> AppResult<ImportResult> {
    let mut watch = Stopwatch::start();
    let limits = Limits::from_config(&state.config);
    // Parsing a large workbook is CPU work; keep it off the async workers.
    let original = bytes::Bytes::from(bytes);
    let parsed = original.clone();
    let sheet = tokio::task::spawn_blocking(move || spreadsheet::read(&parsed, &limits))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("import parser task: {e}")))??;
    let mut columns =
        header::locate(&sheet, &columns::HEADERS, MIN_HEADER_MATCHES).ok_or_else(|| AppError::Unprocessable {
            code: "NO_HEADER_ROW",
            message: "没有找到表头行：请确认表格中有一行列名，如 客户编号、公司名称（可下载导入模板对照）".into(),
        })?;
    if columns.column_of(Field::CompanyName).is_none() {
        return Err(AppError::Unprocessable {
            code: "MISSING_COLUMN",
            message: "缺少必需的列「公司名称」".into(),
        });
    }
    let plan_column = price_plan::locate(&mut columns);
    let data = spreadsheet::data_rows(&sheet, &columns, state.config.import_max_rows)?;
    watch.lap("parse");

    // Plan and write in one transaction, so what was checked is what is written.
    let txn = begin_bulk_write(&state.db).await?;
    let mut plan = plan_rows(&txn, state, principal.role, data, &columns, plan_column).await?;
    watch.lap("check and plan");
    let Committed {
        import_id,
        created,
        updated,
        unchanged,
    } = commit_plan(
        &txn,
        state,
        actor,
        Batch {
            file_name: &file_name,
            dry_run,
            columns: &columns,
            rows: data,
        },
        &mut plan,
        &mut watch,
    )
    .await?;
    txn.commit().await?;
    watch.lap("commit");
    let original_kept = original::keep(state, actor, import_id, &original).await;
    watch.lap("keep original");
    tracing::info!(
        rows = plan.total,
        created,
        updated,
        unchanged,
        dry_run,
        phases = %watch.summary(),
        "customer import finished"
    );
    if !dry_run && created + updated > 0 {
        // Planner statistics after a bulk change; the caller need not wait.
        let db = state.db.clone();
        tokio::spawn(async move {
            if let Err(error) = crate::db::refresh_statistics(&db).await {
                tracing::warn!(%error, "refreshing statistics after an import failed");
            }
        });
    }

    let imported_with_warnings = plan.with_warnings;
    Ok(ImportResult {
        import_id,
        dry_run,
        file_name,
        counts: ImportCounts {
            total: plan.total,
            imported: plan.total - plan.rejected - imported_with_warnings,
            imported_with_warnings,
            rejected: plan.rejected,
        },
        created,
        updated,
        unchanged,
        report_url: (!plan.issues.is_empty()).then(|| format!("/api/v1/customers/import/{import_id}/report.xlsx")),
        issues: plan.issues,
        file_warnings: columns.warnings,
        original_kept,
    })
}

/// Rows to import, from a sheet or the ERP's customer feed: what the record
/// and the report of the run are made of.
pub struct Batch<'a> {
    /// The file's name, or what the run is called (`ERP 客户资料同步`).
    pub file_name: &'a str,
    pub dry_run: bool,
    pub columns: &'a Columns<Field>,
    pub rows: &'a [spreadsheet::Row],
}

/// What a written (or checked) plan came to.
pub struct Committed {
    pub import_id: i64,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Checks and plans `rows` in `txn` with the import's rules: the profile
/// rules, owners by name, price plans, duplicates in the rows and against
/// the database, status moves as `role` may make them.
pub async fn plan_rows(
    txn: &DatabaseTransaction,
    state: &AppState,
    role: opcms_domain::Role,
    rows: &[spreadsheet::Row],
    columns: &Columns<Field>,
    plan_column: Option<usize>,
) -> AppResult<Plan> {
    let owners = Owners::load(txn).await?;
    let plans = price_plan::Plans::load(txn, role).await?;
    let mut codes = plan::CodeSequence {
        last: highest_generated_code(txn).await?,
    };
    plan::plan(
        txn,
        &state.keyring,
        role,
        rows,
        columns,
        plan::Names {
            owners: &owners,
            plan_column,
            plans: &plans,
        },
        &mut codes,
    )
    .await
}

/// Records the run with its report and, unless it is a dry run, writes the
/// plan's rows (taking them) and audits the run, all in `txn`.
pub async fn commit_plan(
    txn: &DatabaseTransaction,
    state: &AppState,
    actor: &Actor,
    batch: Batch<'_>,
    plan: &mut Plan,
    watch: &mut Stopwatch,
) -> AppResult<Committed> {
    let (created, updated, unchanged) = tally(plan);
    let priced = plan.rows.iter().filter(|r| r.price_plan.is_some()).count();
    let report = report::stored(&batch.columns.headers, batch.rows, &plan.issues);
    let import_id = record::insert(
        txn,
        &state.keyring,
        actor,
        batch.file_name,
        batch.dry_run,
        plan,
        (created, updated, unchanged),
        report,
    )
    .await?;
    watch.lap("report and record");
    if !batch.dry_run {
        write(txn, state, actor, std::mem::take(&mut plan.rows), import_id, watch).await?;
    }
    audit::record(
        txn,
        actor,
        Entry {
            action: if batch.dry_run {
                "customer.import_check"
            } else {
                "customer.import"
            },
            entity_type: "customer_import",
            entity_id: Some(import_id.to_string()),
            changes: Some(serde_json::json!({
                "file_name": batch.file_name, "total": plan.total, "rejected": plan.rejected,
                "created": created, "updated": updated, "unchanged": unchanged,
                "price_plans": priced,
            })),
        },
    )
    .await?;
    Ok(Committed {
        import_id,
        created,
        updated,
        unchanged,
    })
}

fn tally(plan: &Plan) -> (usize, usize, usize) {
    plan.rows.iter().fold((0, 0, 0), |(c, u, n), row| match row.action {
        Action::Create { .. } => (c + 1, u, n),
        Action::Update { .. } => (c, u + 1, n),
        Action::Unchanged => (c, u, n + 1),
    })
}

/// Writes the plan. Creations are audited as "created by import N, row R"
/// (the row itself holds the values; later changes are audited with
/// before/after), which keeps a 100,000-row import from writing 100 MB of
/// audit text; updates get their full field diff.
async fn write(
    txn: &DatabaseTransaction,
    state: &AppState,
    actor: &Actor,
    rows: Vec<PlannedRow>,
    import_id: i64,
    watch: &mut Stopwatch,
) -> AppResult<()> {
    let now = Utc::now();
    let mut creations = Vec::new();
    let mut updates = Vec::new();
    // (customer, plan) for stored customers; by code for new ones.
    let mut plans: Vec<(i64, i64)> = Vec::new();
    let mut new_plans: HashMap<String, i64> = HashMap::new();
    for mut planned in rows {
        if let Some(plan_id) = planned.price_plan {
            match (&planned.action, planned.customer_id) {
                (Action::Create { code }, _) => {
                    new_plans.insert(code.clone(), plan_id);
                }
                (_, Some(id)) => plans.push((id, plan_id)),
                _ => {}
            }
        }
        match std::mem::replace(&mut planned.action, Action::Unchanged) {
            Action::Create { code } => creations.push((code, planned)),
            Action::Update { existing } => updates.push((existing, planned)),
            Action::Unchanged => {}
        }
    }
    let (created_rows, inserts) = prepare_creations(state, actor, creations, now).await?;
    let mut history = Vec::new();
    let mut entries: Vec<(String, Value, &'static str)> = Vec::new();
    for (existing, planned) in &updates {
        let before = audit_view(existing, &[]);
        let from = existing.account_status.clone();
        let mut row: customer::ActiveModel = (**existing).clone().into();
        apply_profile(&mut row, &planned.profile, &existing.customer_code, &state.keyring)?;
        row.account_status = Set(planned.profile.account_status.code().into());
        row.sales_owner_id = Set(planned.owners.0);
        row.ops_owner_id = Set(planned.owners.1);
        row.version = Set(existing.version + 1);
        row.updated_at = Set(now);
        row.updated_by = Set(actor.user_id);
        let updated = row.update(txn).await.map_err(db_error)?;
        if from != updated.account_status {
            history.push(status_row(actor, updated.id, Some(from), &updated.account_status, now));
        }
        let mut changes = audit::diff(&before, &audit_view(&updated, &[]));
        if let Some(map) = changes.as_object_mut() {
            map.remove("tags");
        }
        entries.push((updated.id.to_string(), changes, "customer.import_update"));
    }
    watch.lap("prepare rows and update");
    // Ids only grow (SQLite's AUTOINCREMENT, MySQL's auto-increment,
    // PostgreSQL's sequence): the new rows are the ones above today's
    // highest id, read back in one range instead of by code.
    let highest_before: Option<i64> = customer::Entity::find()
        .select_only()
        .column_as(customer::Column::Id.max(), "highest")
        .into_tuple()
        .one(txn)
        .await?
        .flatten();
    let search = search_index::BulkInsert::begin(txn).await?;
    bulk::insert(txn, inserts).await.map_err(db_error)?;
    watch.lap("insert");
    search.finish(txn).await?;
    watch.lap("search index");
    if !created_rows.is_empty() {
        let created = customer::Entity::find()
            .select_only()
            .columns([
                customer::Column::CodeKey,
                customer::Column::Id,
                customer::Column::AccountStatus,
            ])
            .filter(customer::Column::Id.gt(highest_before.unwrap_or(0)))
            .order_by_asc(customer::Column::Id)
            .into_tuple::<(Option<String>, i64, String)>()
            .all(txn)
            .await?;
        for (code, id, status) in created {
            // Another writer's committed rows may lie in the range too.
            let Some(row) = code.and_then(|code| created_rows.get(&code).copied().map(|row| (code, row))) else {
                continue;
            };
            let (code, row) = row;
            if let Some(plan_id) = new_plans.get(&code) {
                plans.push((id, *plan_id));
            }
            history.push(status_row(actor, id, None, &status, now));
            let changes = serde_json::json!({"source": "import", "import_id": import_id, "row": row});
            entries.push((id.to_string(), changes, "customer.create"));
        }
    }
    watch.lap("read new ids");
    bulk::insert(txn, history).await?;
    let entries = entries
        .into_iter()
        .map(|(id, changes, action)| Entry {
            action,
            entity_type: "customer",
            entity_id: Some(id),
            changes: Some(changes),
        })
        .collect();
    watch.lap("status history");
    audit::record_many(txn, actor, entries).await?;
    watch.lap("audit");
    for (customer_id, plan_id) in plans {
        crate::pricing::customer::put_plan(txn, &state.keyring, actor, customer_id, plan_id).await?;
    }
    watch.lap("price plans");
    Ok(())
}

/// The new customers' rows, normalized and with their fields encrypted (CPU
/// work, a third of a second at 100,000 rows: off the async workers, over
/// every core), and the sheet row of each new code for the audit entries.
async fn prepare_creations(
    state: &AppState,
    actor: &Actor,
    creations: Vec<(String, PlannedRow)>,
    now: chrono::DateTime<Utc>,
) -> AppResult<(HashMap<String, u32>, Vec<customer::ActiveModel>)> {
    let keyring = state.keyring.clone();
    let actor_id = actor.user_id;
    let payment_terms_days = crate::settings::load(&state.db).await?.payment_terms_days;
    tokio::task::spawn_blocking(move || {
        let rows = parallel::map(&creations, 2_000, |(code, planned)| {
            new_row(
                &planned.profile,
                code,
                planned.owners,
                payment_terms_days,
                actor_id,
                now,
                &keyring,
            )
        })?
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;
        let sheet_rows = creations
            .into_iter()
            .map(|(code, planned)| (code, planned.row))
            .collect();
        Ok((sheet_rows, rows))
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("import row preparation task: {e}")))?
}

fn status_row(
    actor: &Actor,
    customer_id: i64,
    from: Option<String>,
    to: &str,
    at: chrono::DateTime<Utc>,
) -> status_history::ActiveModel {
    status_history::ActiveModel {
        id: NotSet,
        customer_id: Set(customer_id),
        from_status: Set(from),
        to_status: Set(to.to_string()),
        reason: Set("导入".into()),
        actor_id: Set(actor.user_id),
        actor_name: Set(actor.name.clone()),
        at: Set(at),
    }
}

impl IssueStatus {
    pub fn label(self) -> &'static str {
        match self {
            IssueStatus::Warning => "警告",
            IssueStatus::Rejected => "拒绝",
        }
    }
}
