//! Maintained totals for the two lists whose totals row summed a million
//! rows per request (issue 28; the mechanism is `crate::db::totals`):
//!
//! - `totals_bills`: bills per period, status, kind and whether they carry
//!   warnings — the bill list's and the month close's totals.
//! - `totals_payments`: live receipts per day received, method, how much is
//!   applied (0 none, 1 part, 2 all) and whether a customer is assigned —
//!   the payment list's totals.
//! - `totals_unapplied`: receipts not fully applied per customer — aging's
//!   unapplied money without reading every receipt.
//!
//! The tables are named `totals_*` so that backups leave them out
//! (`backup::catalog`): a restore's rows fire the triggers as they load.

use sea_orm_migration::prelude::*;

use crate::db::totals::{Key, KeyKind, Totals};

#[derive(DeriveMigrationName)]
pub struct Migration;

pub static BILL_TOTALS: Totals = Totals {
    table: "totals_bills",
    source: "bills",
    counted: None,
    keys: &[
        Key {
            column: "period",
            expr: "{row}.period",
            kind: KeyKind::Int,
        },
        Key {
            column: "status",
            expr: "{row}.status",
            kind: KeyKind::Text(16),
        },
        Key {
            column: "kind",
            expr: "{row}.kind",
            kind: KeyKind::Text(8),
        },
        Key {
            column: "has_warnings",
            expr: "CASE WHEN {row}.warning_count > 0 THEN 1 ELSE 0 END",
            kind: KeyKind::SmallInt,
        },
    ],
    sums: &["subtotal", "credited", "total", "allocated"],
};

/// `applied`: 0 nothing applied, 1 part, 2 all (the list's statuses
/// unapplied, partially_applied, applied).
pub static PAYMENT_TOTALS: Totals = Totals {
    table: "totals_payments",
    source: "payments",
    counted: Some("{row}.is_deleted = FALSE"),
    keys: &[
        Key {
            column: "received_at",
            expr: "{row}.received_at",
            kind: KeyKind::Date,
        },
        Key {
            column: "method",
            expr: "{row}.method",
            kind: KeyKind::Text(16),
        },
        Key {
            column: "applied",
            expr: "CASE WHEN {row}.allocated = 0 THEN 0 WHEN {row}.allocated < {row}.amount THEN 1 ELSE 2 END",
            kind: KeyKind::SmallInt,
        },
        Key {
            column: "assigned",
            expr: "CASE WHEN {row}.customer_id IS NULL THEN 0 ELSE 1 END",
            kind: KeyKind::SmallInt,
        },
    ],
    sums: &["amount", "allocated"],
};

/// Live receipts of a customer with money not yet applied.
pub static UNAPPLIED_TOTALS: Totals = Totals {
    table: "totals_unapplied",
    source: "payments",
    counted: Some("{row}.is_deleted = FALSE AND {row}.customer_id IS NOT NULL AND {row}.allocated < {row}.amount"),
    keys: &[Key {
        column: "customer_id",
        // Never NULL where the row counts; 0 keeps the column NOT NULL for
        // the old row of a change that did not count.
        expr: "COALESCE({row}.customer_id, 0)",
        kind: KeyKind::BigInt,
    }],
    sums: &["amount", "allocated"],
};

/// The tables of this migration.
static ALL: [&Totals; 3] = [&BILL_TOTALS, &PAYMENT_TOTALS, &UNAPPLIED_TOTALS];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for totals in ALL {
            totals.install(manager.get_connection()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for totals in ALL {
            totals.uninstall(manager.get_connection()).await?;
        }
        Ok(())
    }
}
