//! Analytics snapshots (issue 25, DESIGN.md §9): the figures precomputed so
//! that the dashboard and the lists answer at 100,000 customers.
//!
//! - `analytics_changes`: customers whose figures must be recomputed. Written
//!   by triggers on every table the figures read, in the writer's own
//!   transaction, so no write path can forget to mark what it changed.
//! - `analytics_customer_months` / `_customer_dues`: each customer's month
//!   (receivable, collected, received, usage by series) and open money by
//!   due date; `analytics_owner_months` / `_owner_dues` sum them per sales
//!   owner (0 = none), kept by adding each refresh's difference.
//! - `analytics_state`: the one row a refresh locks.
//! - `analytics_snapshots`: which list snapshots exist (segments of a
//!   period, churn and credit on a day); `analytics_segment_rows`,
//!   `analytics_churn_rows`, `analytics_credit_rows` hold their rows, and
//!   `analytics_tier_cuts` where the value tiers end for a scope.
//!
//! `code_key` is the customer code as bytes: ties rank by code, and bytes
//! compare the same on every backend (a text column would follow MySQL's or
//! PostgreSQL's collation, which orders `-` and `_` unlike Rust).

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

use super::schema::index;
use crate::db::columns::{fixed4, id, string, text, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables whose rows the figures read, with the column naming the customer.
const MARKED: [(&str, &str); 5] = [
    ("customers", "id"),
    ("bills", "customer_id"),
    ("payments", "customer_id"),
    ("payment_allocations", "customer_id"),
    ("usage_records", "customer_id"),
];

fn big(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().not_null().to_owned()
}

fn code_key() -> ColumnDef {
    ColumnDef::new(Alias::new("code_key"))
        .var_binary(64)
        .not_null()
        .to_owned()
}

/// The columns every list snapshot row carries: who, and what to search.
pub(super) fn customer_columns() -> Vec<ColumnDef> {
    vec![
        big("customer_id"),
        big("owner_id"),
        code_key(),
        string("customer_code", 64),
        string("company_name", 255),
        string("search", 320),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("analytics_state")
                    .if_not_exists()
                    .col(ColumnDef::new("id").integer().not_null().primary_key())
                    .col(big("generation"))
                    .to_owned(),
            )
            .await?;
        let mut changes = Table::create();
        changes
            .table("analytics_changes")
            .if_not_exists()
            .col(id("id"))
            .col(ColumnDef::new("customer_id").big_integer().null());
        manager.create_table(changes).await?;

        let mut months = Table::create();
        months
            .table("analytics_customer_months")
            .if_not_exists()
            .col(big("customer_id"))
            .col(ColumnDef::new("period").integer().not_null())
            .col(big("owner_id"))
            .col(code_key())
            .col(ColumnDef::new("bills").integer().not_null())
            .primary_key(Index::create().col("customer_id").col("period"));
        for column in ["receivable", "collected", "received", "usage_x", "usage_n", "usage_l"] {
            months.col(fixed4(Alias::new(column)));
        }
        manager.create_table(months).await?;
        index(
            manager,
            "ix_analytics_customer_months_top",
            "analytics_customer_months",
            &["period", "receivable"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_analytics_customer_months_owner",
            "analytics_customer_months",
            &["owner_id", "period"],
            false,
        )
        .await?;

        let mut owner_months = Table::create();
        owner_months
            .table("analytics_owner_months")
            .if_not_exists()
            .col(big("owner_id"))
            .col(ColumnDef::new("period").integer().not_null())
            .primary_key(Index::create().col("owner_id").col("period"));
        for column in ["receivable", "collected", "received", "usage_x", "usage_n", "usage_l"] {
            owner_months.col(fixed4(Alias::new(column)));
        }
        manager.create_table(owner_months).await?;

        for (table, who) in [
            ("analytics_customer_dues", "customer_id"),
            ("analytics_owner_dues", "owner_id"),
        ] {
            let mut dues = Table::create();
            dues.table(Alias::new(table))
                .if_not_exists()
                .col(big(who))
                .col(ColumnDef::new("due_date").date().not_null())
                .col(fixed4("open"))
                .primary_key(Index::create().col(Alias::new(who)).col("due_date"));
            if who == "customer_id" {
                dues.col(big("owner_id"));
            }
            manager.create_table(dues).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("analytics_snapshots")
                    .if_not_exists()
                    .col(string("view", 16))
                    .col(string("snap_key", 16))
                    .col(ColumnDef::new("rules").string_len(64).null())
                    .col(timestamp(db, "built_at").not_null())
                    .primary_key(Index::create().col("view").col("snap_key"))
                    .to_owned(),
            )
            .await?;

        let mut segments = Table::create();
        segments
            .table("analytics_segment_rows")
            .if_not_exists()
            .col(ColumnDef::new("period").integer().not_null());
        for column in customer_columns() {
            segments.col(column);
        }
        segments
            .col(fixed4("revenue_12m"))
            .col(fixed4("last3"))
            .col(fixed4("earlier3"))
            .col(string("trend", 8))
            .col(ColumnDef::new("growth").string_len(24).null())
            .primary_key(Index::create().col("period").col("customer_id"));
        manager.create_table(segments).await?;
        // In rank order (revenue descending, code ascending): the page and
        // the tier cuts read the rows already sorted.
        manager
            .create_index(
                Index::create()
                    .name("ix_analytics_segment_rows_rank")
                    .table("analytics_segment_rows")
                    .col("period")
                    .col((Alias::new("revenue_12m"), IndexOrder::Desc))
                    .col("code_key")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("analytics_tier_cuts")
                    .if_not_exists()
                    .col(ColumnDef::new("period").integer().not_null())
                    .col(string("scope_key", 80))
                    .col(ColumnDef::new("a_revenue").big_integer().null())
                    .col(ColumnDef::new("a_code").var_binary(64).null())
                    .col(ColumnDef::new("b_revenue").big_integer().null())
                    .col(ColumnDef::new("b_code").var_binary(64).null())
                    .col(big("count_a"))
                    .col(big("count_b"))
                    .col(big("count_c"))
                    // Σ over the scope may pass 64 bits: decimal text.
                    .col(string("total_revenue", 48))
                    .primary_key(Index::create().col("period").col("scope_key"))
                    .to_owned(),
            )
            .await?;

        let mut churn = Table::create();
        churn
            .table("analytics_churn_rows")
            .if_not_exists()
            .col(ColumnDef::new("as_of").date().not_null());
        for column in customer_columns() {
            churn.col(column);
        }
        churn
            .col(string("account_status", 16))
            .col(string("risk", 8))
            .col(ColumnDef::new("risk_rank").small_integer().not_null())
            .col(text("flags").not_null())
            .primary_key(Index::create().col("as_of").col("customer_id"));
        manager.create_table(churn).await?;
        index(
            manager,
            "ix_analytics_churn_rows_rank",
            "analytics_churn_rows",
            &["as_of", "risk_rank", "code_key"],
            false,
        )
        .await?;

        let mut credit = Table::create();
        credit
            .table("analytics_credit_rows")
            .if_not_exists()
            .col(ColumnDef::new("as_of").date().not_null());
        for column in customer_columns() {
            credit.col(column);
        }
        credit
            .col(ColumnDef::new("score").integer().null())
            .col(string("grade", 8))
            .col(ColumnDef::new("on_time").string_len(24).null())
            .col(ColumnDef::new("late_days").string_len(24).null())
            .col(ColumnDef::new("overdue_ratio").string_len(24).null())
            .col(ColumnDef::new("tenure_months").integer().not_null())
            .col(ColumnDef::new("window_bills").integer().not_null())
            .primary_key(Index::create().col("as_of").col("customer_id"));
        manager.create_table(credit).await?;
        index(
            manager,
            "ix_analytics_credit_rows_rank",
            "analytics_credit_rows",
            &["as_of", "code_key"],
            false,
        )
        .await?;

        let conn = manager.get_connection();
        for statement in create_triggers(db) {
            conn.execute_unprepared(&statement).await?;
        }
        // The row a refresh locks: one refresher at a time, on any backend.
        conn.execute_unprepared("INSERT INTO analytics_state (id, generation) VALUES (1, 0)")
            .await?;
        // What exists already is unknown to the snapshots: every customer
        // (and the receipts without one) is to be computed.
        for statement in MARK_EVERYTHING {
            conn.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        let conn = manager.get_connection();
        for drop in drop_triggers(db) {
            conn.execute_unprepared(&drop).await?;
        }
        if db == DbBackend::Postgres {
            for function in ["analytics_mark_customer_id", "analytics_mark_id"] {
                conn.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {function}()"))
                    .await?;
            }
        }
        for table in [
            "analytics_credit_rows",
            "analytics_churn_rows",
            "analytics_tier_cuts",
            "analytics_segment_rows",
            "analytics_snapshots",
            "analytics_owner_dues",
            "analytics_customer_dues",
            "analytics_owner_months",
            "analytics_customer_months",
            "analytics_changes",
            "analytics_state",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

fn trigger_name(table: &str, event: &str) -> String {
    format!("analytics_mark_{table}_{event}")
}

/// Drops the triggers of [`create_triggers`]. A restore (crate::backup)
/// loads without them and marks every customer once afterwards, rather than
/// once per loaded row.
pub fn drop_triggers(db: DbBackend) -> Vec<String> {
    let mut statements = Vec::new();
    for (table, _) in MARKED {
        for event in ["insert", "update", "delete"] {
            let name = trigger_name(table, event);
            statements.push(match db {
                DbBackend::Postgres => format!("DROP TRIGGER IF EXISTS {name} ON {table}"),
                _ => format!("DROP TRIGGER IF EXISTS {name}"),
            });
        }
    }
    statements
}

/// What a database whose snapshots know nothing yet needs: every customer
/// (and the receipts without one) marked to be computed.
pub const MARK_EVERYTHING: [&str; 2] = [
    "INSERT INTO analytics_changes (customer_id) SELECT id FROM customers",
    "INSERT INTO analytics_changes (customer_id) VALUES (NULL)",
];

/// One trigger per table and event marking the customer of the row before
/// and after (a receipt moved to another customer changes both).
pub fn create_triggers(db: DbBackend) -> Vec<String> {
    let mut statements = Vec::new();
    if db == DbBackend::Postgres {
        for (function, column) in [
            ("analytics_mark_customer_id", "customer_id"),
            ("analytics_mark_id", "id"),
        ] {
            statements.push(format!(
                "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$ BEGIN \
                 IF TG_OP <> 'INSERT' THEN INSERT INTO analytics_changes (customer_id) VALUES (OLD.{column}); END IF; \
                 IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.{column} IS DISTINCT FROM OLD.{column}) THEN \
                 INSERT INTO analytics_changes (customer_id) VALUES (NEW.{column}); END IF; \
                 RETURN NULL; END $$ LANGUAGE plpgsql"
            ));
        }
    }
    for (table, column) in MARKED {
        for event in ["insert", "update", "delete"] {
            let name = trigger_name(table, event);
            let rows = match event {
                "insert" => format!("SELECT NEW.{column}"),
                "delete" => format!("SELECT OLD.{column}"),
                // UNION: one row when the customer did not change.
                _ => format!("SELECT NEW.{column} UNION SELECT OLD.{column}"),
            };
            let upper = event.to_uppercase();
            statements.push(match db {
                DbBackend::Postgres => {
                    let function = if column == "id" {
                        "analytics_mark_id"
                    } else {
                        "analytics_mark_customer_id"
                    };
                    format!("CREATE TRIGGER {name} AFTER {upper} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()")
                }
                DbBackend::MySql => format!(
                    "CREATE TRIGGER {name} AFTER {upper} ON {table} FOR EACH ROW \
                     INSERT INTO analytics_changes (customer_id) {rows}"
                ),
                _ => format!(
                    "CREATE TRIGGER IF NOT EXISTS {name} AFTER {upper} ON {table} FOR EACH ROW BEGIN \
                     INSERT INTO analytics_changes (customer_id) {rows}; END"
                ),
            });
        }
    }
    statements
}
