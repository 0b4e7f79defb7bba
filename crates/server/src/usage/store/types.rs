//! What a usage write is given and what it answers: where a batch comes
//! from ([`Delivery`]), what to do with a second record for a customer,
//! series and day ([`OnExisting`]), one outcome per record ([`Outcome`])
//! and their counts ([`Tally`]).

use opcms_domain::usage::{DayWindow, QuarantineReason, SanityLimits};
use serde::Serialize;

use crate::audit::Actor;
use crate::usage::entity::record;

/// Rows per multi-row statement: well under every backend's bind limit.
pub(super) const CHUNK: usize = 500;

/// The lock a write takes when it looks for other records of the same
/// customer, series and day ([`OnExisting::Report`] / [`OnExisting::Correct`]):
/// entry and import take it besides their own source's lock, so two of them
/// racing for one key take turns and the second sees the first's record.
pub const KEY_LOCK: &str = "usage:keys";

/// What a write does with a record that would be new while the same
/// customer, series and day already has a stored record (from another source,
/// or under another source id). A record whose own `(source, source_id)` is
/// stored is always updated in place, whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExisting {
    /// Store it as one more record (collections, quarantine; entry with
    /// `add: true`; an import's `add`).
    Add,
    /// Write nothing for it: [`Outcome::Conflict`] names the records there
    /// (entry without `add`; an import's `skip` and its dry run).
    Report,
    /// Correct the one record there instead (a revision kept); when there
    /// are several, nothing is written ([`Outcome::Conflict`]).
    Correct,
    /// Keep it in quarantine (`USAGE_EXISTS`) until a person accepts it as
    /// a second record or discards it, when a record there came from a person
    /// (`manual`, `import`); other collections' records do not count
    /// (collections: a vendor cannot be asked).
    Quarantine,
}

/// A stored record a new one would double (the `USAGE_EXISTS` details).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ExistingRecord {
    pub id: i64,
    pub source: String,
    pub source_id: String,
    pub quantity: String,
    /// The record's `revisions`: `PATCH /usage/{id}` with this `version`
    /// corrects it only if nobody changed it meanwhile.
    pub version: i32,
}

impl ExistingRecord {
    pub(super) fn of(stored: &record::Model) -> ExistingRecord {
        ExistingRecord {
            id: stored.id,
            source: stored.source.clone(),
            source_id: stored.source_id.clone(),
            quantity: opcms_domain::usage::quantity_text(opcms_domain::Fixed4::from_units(stored.quantity)),
            version: stored.revisions,
        }
    }
}

/// Where a batch comes from and why.
pub struct Delivery<'a> {
    /// `api:<name>`, `import` or `manual`.
    pub source: &'a str,
    pub window: DayWindow,
    pub limits: SanityLimits,
    /// Kept on revisions: `redelivery`, `import`, `entry`, `quarantine`.
    pub cause: &'static str,
    pub reason: Option<&'a str>,
    pub run_id: Option<i64>,
    pub actor: &'a Actor,
    /// What the audit entry adds about the batch (file name, run id).
    pub context: serde_json::Value,
    /// A new record for a customer, series and day that already has one.
    pub on_existing: OnExisting,
    /// Usage of a closed customer is discarded at once (config
    /// `usage_discard_closed`), not left pending in quarantine.
    pub discard_closed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Created {
        record_id: i64,
    },
    Updated {
        record_id: i64,
    },
    Unchanged {
        record_id: i64,
    },
    Quarantined {
        quarantine_id: i64,
        reason: QuarantineReason,
        message: String,
    },
    /// Kept in quarantine as already discarded, by rule (a closed customer).
    Discarded {
        quarantine_id: i64,
        reason: QuarantineReason,
        message: String,
    },
    /// Not written: the customer, series and day already has these records.
    Conflict {
        existing: Vec<ExistingRecord>,
    },
}

impl Outcome {
    pub fn record_id(&self) -> Option<i64> {
        match self {
            Outcome::Created { record_id } | Outcome::Updated { record_id } | Outcome::Unchanged { record_id } => {
                Some(*record_id)
            }
            Outcome::Quarantined { .. } | Outcome::Discarded { .. } | Outcome::Conflict { .. } => None,
        }
    }
}

/// Counts of a write, in the API's names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub accepted: u32,
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub quarantined: u32,
    /// Discarded by rule (usage of closed customers, `usage_discard_closed`).
    pub discarded: u32,
    /// Not written: the customer, series and day already had a record.
    pub conflicts: u32,
}

impl Tally {
    /// Counts distinct records: copies of one record within a batch (a
    /// vendor repeating a page) count once.
    pub fn of(outcomes: &[Outcome]) -> Tally {
        let mut tally = Tally::default();
        let mut seen = std::collections::HashSet::new();
        for outcome in outcomes {
            let key = match outcome {
                Outcome::Quarantined { quarantine_id, .. } | Outcome::Discarded { quarantine_id, .. } => {
                    (1, *quarantine_id)
                }
                Outcome::Conflict { existing } => (2, existing.first().map_or(0, |e| e.id)),
                other => (0, other.record_id().unwrap_or_default()),
            };
            if !seen.insert(key) {
                continue;
            }
            match outcome {
                Outcome::Created { .. } => tally.created += 1,
                Outcome::Updated { .. } => tally.updated += 1,
                Outcome::Unchanged { .. } => tally.unchanged += 1,
                Outcome::Quarantined { .. } => tally.quarantined += 1,
                Outcome::Discarded { .. } => tally.discarded += 1,
                Outcome::Conflict { .. } => tally.conflicts += 1,
            }
        }
        tally.accepted = tally.created + tally.updated + tally.unchanged;
        tally
    }
}

/// Records of a batch that share a quarantine key: one entry, the last
/// delivered values.
pub(super) struct Rejected {
    pub(super) last: usize,
    pub(super) indexes: Vec<usize>,
    pub(super) reason: QuarantineReason,
    pub(super) message: String,
    /// Discarded at once by rule ([`Delivery::discard_closed`]).
    pub(super) discard: bool,
}
