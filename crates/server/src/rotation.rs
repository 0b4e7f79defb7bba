//! `opcms rotate-key`: re-encrypts every encrypted column with the current
//! master key (DESIGN.md §13), so an old key can be retired.
//!
//! Online: it runs beside serving instances, a batch of rows at a time, and
//! writes each value with a compare-and-set (`WHERE col = <old value>`): a
//! value a user changed meanwhile was already written with the current key
//! and is left alone. Resumable: a value already sealed with the current
//! key in the current format is skipped, so running it again after an
//! interruption only does what is left. Only a run that leaves nothing on an
//! old key records the current key as the database's, after which an
//! instance still holding only the old key refuses to start.
//!
//! Procedure: start every instance with the new `OPCMS_MASTER_KEY` and the
//! old one in `OPCMS_PREVIOUS_KEYS`, run `opcms rotate-key`, then drop
//! `OPCMS_PREVIOUS_KEYS`.

use std::fmt;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use crate::audit::{self, Actor, Entry};
use crate::crypto::{Binding, Keyring};
use crate::customers::entity::customer;
use crate::customers::import::record::{self, entity as import_run};
use crate::customers::model::{email_binding, phone_binding};
use crate::erp::entity::customer_link;
use crate::erp::pull::pending_binding;
use crate::notify::entity::notification;
use crate::notify::outbox::recipient_binding;
use crate::pricing::entity::{customer_pricing, version};
use crate::pricing::sealing::{minimum_binding, overrides_binding, rules_binding};
use crate::secrets;
use crate::users::entity as user;
use crate::users::service::contact_binding;

const BATCH: u64 = 500;

/// What one encrypted column's pass did.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct ColumnReport {
    pub column: String,
    /// Values found (NULLs are not values).
    pub values: u64,
    pub rewritten: u64,
    pub already_current: u64,
    /// Changed by someone else between our read and our write: their value
    /// is already on the current key.
    pub changed_meanwhile: u64,
    /// Could not be decrypted with any configured key (logged by row).
    pub unreadable: u64,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct RotationReport {
    pub key_id: String,
    pub columns: Vec<ColumnReport>,
}

impl RotationReport {
    pub fn unreadable(&self) -> u64 {
        self.columns.iter().map(|c| c.unreadable).sum()
    }

    fn column(&mut self, name: &str) -> &mut ColumnReport {
        if let Some(i) = self.columns.iter().position(|c| c.column == name) {
            return &mut self.columns[i];
        }
        self.columns.push(ColumnReport {
            column: name.into(),
            ..Default::default()
        });
        self.columns.last_mut().expect("just pushed")
    }
}

impl fmt::Display for RotationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "current key {}", self.key_id)?;
        for c in &self.columns {
            writeln!(
                f,
                "  {:<40} {:>8} values  {:>8} re-encrypted  {:>8} already current  {:>6} changed meanwhile  {:>6} unreadable",
                c.column, c.values, c.rewritten, c.already_current, c.changed_meanwhile, c.unreadable
            )?;
        }
        Ok(())
    }
}

/// One stored value and what it is bound to.
struct Sealed {
    binding: Binding,
    stored: String,
    /// Import reports written before they were encrypted are plain JSON.
    plain: bool,
}

/// A row's key for the compare-and-set write.
#[derive(Clone, Copy)]
enum RowKey<'a> {
    Id(i64),
    Name(&'a str),
}

#[derive(Clone, Copy)]
struct Target {
    table: &'static str,
    key_column: &'static str,
    column: &'static str,
}

impl Target {
    fn name(&self) -> String {
        format!("{}.{}", self.table, self.column)
    }
}

/// Re-encrypts everything with the keyring's current key.
pub async fn rotate(db: &DatabaseConnection, keyring: &Keyring) -> anyhow::Result<RotationReport> {
    let mut report = RotationReport {
        key_id: keyring.current_key_id().into(),
        columns: Vec::new(),
    };
    rotate_secrets(db, keyring, &mut report).await?;
    rotate_table(db, keyring, &mut report, |after| customers(db, after)).await?;
    rotate_table(db, keyring, &mut report, |after| versions(db, after)).await?;
    rotate_table(db, keyring, &mut report, |after| overrides(db, after)).await?;
    rotate_table(db, keyring, &mut report, |after| import_reports(db, after)).await?;
    rotate_table(db, keyring, &mut report, |after| staff_contacts(db, after)).await?;
    rotate_table(db, keyring, &mut report, |after| recipients(db, after)).await?;
    rotate_table(db, keyring, &mut report, |after| erp_conflicts(db, after)).await?;
    if report.unreadable() == 0 {
        secrets::record_master_key(db, keyring).await?;
    }
    audit::record(
        db,
        &Actor {
            name: "opcms rotate-key".into(),
            ..Actor::system()
        },
        Entry {
            action: "system.rotate_key",
            entity_type: "master_key",
            entity_id: Some(keyring.current_key_id().into()),
            changes: Some(serde_json::to_value(&report.columns)?),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("cannot audit the rotation: {e:?}"))?;
    Ok(report)
}

/// Writes one value anew if it is not on the current key.
async fn reseal(
    db: &DatabaseConnection,
    keyring: &Keyring,
    target: &Target,
    row: RowKey<'_>,
    sealed: Sealed,
    report: &mut RotationReport,
) -> anyhow::Result<()> {
    let counts = report.column(&target.name());
    counts.values += 1;
    if !sealed.plain && keyring.is_current(&sealed.stored) {
        counts.already_current += 1;
        return Ok(());
    }
    let plain = if sealed.plain {
        Ok(sealed.stored.clone())
    } else {
        keyring.decrypt(&sealed.binding, &sealed.stored)
    };
    let plain = match plain {
        Ok(plain) => plain,
        Err(err) => {
            let row = match row {
                RowKey::Id(id) => id.to_string(),
                RowKey::Name(name) => name.to_string(),
            };
            tracing::error!(column = %target.name(), row, error = %err, "cannot decrypt; left as it is");
            counts.unreadable += 1;
            return Ok(());
        }
    };
    let fresh = keyring.encrypt(&sealed.binding, &plain)?;
    let key = match row {
        RowKey::Id(id) => Expr::col(Alias::new(target.key_column)).eq(id),
        RowKey::Name(name) => Expr::col(Alias::new(target.key_column)).eq(name),
    };
    let update = Query::update()
        .table(Alias::new(target.table))
        .value(Alias::new(target.column), fresh)
        .and_where(key)
        .and_where(Expr::col(Alias::new(target.column)).eq(sealed.stored))
        .to_owned();
    let written = db.execute(&update).await?.rows_affected();
    if written == 1 {
        counts.rewritten += 1;
    } else {
        counts.changed_meanwhile += 1;
    }
    Ok(())
}

async fn rotate_secrets(db: &DatabaseConnection, keyring: &Keyring, report: &mut RotationReport) -> anyhow::Result<()> {
    let target = Target {
        table: "app_secrets",
        key_column: "name",
        column: "value",
    };
    for name in secrets::ENCRYPTED {
        if let Some(row) = secrets::entity::Entity::find_by_id(name).one(db).await? {
            let sealed = Sealed {
                binding: secrets::binding(name),
                stored: row.value,
                plain: false,
            };
            reseal(db, keyring, &target, RowKey::Name(name), sealed, report).await?;
        }
    }
    Ok(())
}

/// One row's encrypted values and where they go.
struct Row {
    key: i64,
    values: Vec<(Target, Sealed)>,
}

/// Walks a table in key order, a batch at a time (`fetch` gives the rows
/// after a key), resealing every value.
async fn rotate_table<F, Fut>(
    db: &DatabaseConnection,
    keyring: &Keyring,
    report: &mut RotationReport,
    fetch: F,
) -> anyhow::Result<()>
where
    F: Fn(i64) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Vec<Row>>>,
{
    let mut after = i64::MIN;
    loop {
        let rows = fetch(after).await?;
        let Some(last) = rows.last() else { break };
        after = last.key;
        for row in rows {
            for (target, sealed) in row.values {
                reseal(db, keyring, &target, RowKey::Id(row.key), sealed, report).await?;
            }
        }
    }
    Ok(())
}

fn bound(binding: Binding, stored: String) -> Sealed {
    Sealed {
        binding,
        stored,
        plain: false,
    }
}

const PHONE: Target = Target {
    table: "customers",
    key_column: "id",
    column: "contact_phone_enc",
};
const EMAIL: Target = Target {
    column: "contact_email_enc",
    ..PHONE
};
const RULES: Target = Target {
    table: "price_plan_versions",
    key_column: "id",
    column: "rules_enc",
};
const MINIMUM: Target = Target {
    column: "minimum_charge_enc",
    ..RULES
};
const OVERRIDES: Target = Target {
    table: "customer_pricing",
    key_column: "customer_id",
    column: "overrides_enc",
};
const REPORT: Target = Target {
    table: "customer_imports",
    key_column: "id",
    column: "report",
};

async fn customers(db: &DatabaseConnection, after: i64) -> anyhow::Result<Vec<Row>> {
    let rows: Vec<(i64, String, Option<String>, Option<String>)> = customer::Entity::find()
        .select_only()
        .columns([
            customer::Column::Id,
            customer::Column::CustomerCode,
            customer::Column::ContactPhoneEnc,
            customer::Column::ContactEmailEnc,
        ])
        .filter(customer::Column::Id.gt(after))
        .filter(
            customer::Column::ContactPhoneEnc
                .is_not_null()
                .or(customer::Column::ContactEmailEnc.is_not_null()),
        )
        .order_by_asc(customer::Column::Id)
        .limit(BATCH)
        .into_tuple()
        .all(db)
        .await?;
    Ok(pair_rows(rows, [(PHONE, phone_binding), (EMAIL, email_binding)]))
}

/// How a column's values are bound, from what they are bound to.
type BindingOf = fn(&str) -> Binding;

/// Rows of (id, what the values are bound to, first value, second value)
/// with the columns and bindings of the two values.
fn pair_rows(rows: Vec<(i64, String, Option<String>, Option<String>)>, targets: [(Target, BindingOf); 2]) -> Vec<Row> {
    let [(first, bind_first), (second, bind_second)] = targets;
    rows.into_iter()
        .map(|(id, bound_to, a, b)| Row {
            key: id,
            values: [
                a.map(|v| (first, bound(bind_first(&bound_to), v))),
                b.map(|v| (second, bound(bind_second(&bound_to), v))),
            ]
            .into_iter()
            .flatten()
            .collect(),
        })
        .collect()
}

async fn versions(db: &DatabaseConnection, after: i64) -> anyhow::Result<Vec<Row>> {
    let rows = version::Entity::find()
        .filter(version::Column::Id.gt(after))
        .order_by_asc(version::Column::Id)
        .limit(BATCH)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| Row {
            key: row.id,
            values: [
                Some((RULES, bound(rules_binding(row.plan_id, row.version), row.rules_enc))),
                row.minimum_charge_enc
                    .map(|v| (MINIMUM, bound(minimum_binding(row.plan_id, row.version), v))),
            ]
            .into_iter()
            .flatten()
            .collect(),
        })
        .collect())
}

async fn overrides(db: &DatabaseConnection, after: i64) -> anyhow::Result<Vec<Row>> {
    let rows: Vec<(i64, Option<String>)> = customer_pricing::Entity::find()
        .select_only()
        .columns([
            customer_pricing::Column::CustomerId,
            customer_pricing::Column::OverridesEnc,
        ])
        .filter(customer_pricing::Column::CustomerId.gt(after))
        .order_by_asc(customer_pricing::Column::CustomerId)
        .limit(BATCH)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(customer_id, stored)| Row {
            key: customer_id,
            values: stored
                .map(|v| (OVERRIDES, bound(overrides_binding(customer_id), v)))
                .into_iter()
                .collect(),
        })
        .collect())
}

async fn import_reports(db: &DatabaseConnection, after: i64) -> anyhow::Result<Vec<Row>> {
    // Fewer at a time: reports can be large.
    let rows: Vec<(i64, String)> = import_run::Entity::find()
        .select_only()
        .columns([import_run::Column::Id, import_run::Column::Report])
        .filter(import_run::Column::Id.gt(after))
        .order_by_asc(import_run::Column::Id)
        .limit(50)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, stored)| Row {
            key: id,
            values: (!stored.is_empty())
                .then(|| {
                    let sealed = Sealed {
                        binding: record::report_binding(id),
                        plain: stored.starts_with('{'),
                        stored,
                    };
                    (REPORT, sealed)
                })
                .into_iter()
                .collect(),
        })
        .collect())
}

const STAFF_EMAIL: Target = Target {
    table: "users",
    key_column: "id",
    column: "email_enc",
};
const STAFF_PHONE: Target = Target {
    column: "phone_enc",
    ..STAFF_EMAIL
};
const RECIPIENT: Target = Target {
    table: "notifications",
    key_column: "id",
    column: "recipient_enc",
};

/// Staff addresses for the digests, bound to the username.
async fn staff_contacts(db: &DatabaseConnection, after: i64) -> anyhow::Result<Vec<Row>> {
    let rows: Vec<(i64, String, Option<String>, Option<String>)> = user::Entity::find()
        .select_only()
        .columns([
            user::Column::Id,
            user::Column::Username,
            user::Column::EmailEnc,
            user::Column::PhoneEnc,
        ])
        .filter(user::Column::Id.gt(after))
        .filter(
            user::Column::EmailEnc
                .is_not_null()
                .or(user::Column::PhoneEnc.is_not_null()),
        )
        .order_by_asc(user::Column::Id)
        .limit(BATCH)
        .into_tuple()
        .all(db)
        .await?;
    Ok(pair_rows(
        rows,
        [
            (STAFF_EMAIL, |username| contact_binding("email_enc", username)),
            (STAFF_PHONE, |username| contact_binding("phone_enc", username)),
        ],
    ))
}

/// The outbox's recipients, bound to each row's unique key.
async fn recipients(db: &DatabaseConnection, after: i64) -> anyhow::Result<Vec<Row>> {
    let rows: Vec<(i64, String, Option<String>)> = notification::Entity::find()
        .select_only()
        .columns([
            notification::Column::Id,
            notification::Column::DedupeKey,
            notification::Column::RecipientEnc,
        ])
        .filter(notification::Column::Id.gt(after))
        .filter(notification::Column::RecipientEnc.is_not_null())
        .order_by_asc(notification::Column::Id)
        .limit(BATCH)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, key, sealed)| Row {
            key: id,
            values: sealed
                .map(|v| (RECIPIENT, bound(recipient_binding(&key), v)))
                .into_iter()
                .collect(),
        })
        .collect())
}

const ERP_PENDING: Target = Target {
    table: "erp_customer_links",
    key_column: "customer_id",
    column: "pending_enc",
};

/// The ERP's records waiting in conflicts, bound to their customer.
async fn erp_conflicts(db: &DatabaseConnection, after: i64) -> anyhow::Result<Vec<Row>> {
    let rows: Vec<(i64, Option<String>)> = customer_link::Entity::find()
        .select_only()
        .columns([customer_link::Column::CustomerId, customer_link::Column::PendingEnc])
        .filter(customer_link::Column::CustomerId.gt(after))
        .filter(customer_link::Column::PendingEnc.is_not_null())
        .order_by_asc(customer_link::Column::CustomerId)
        .limit(BATCH)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(customer_id, sealed)| Row {
            key: customer_id,
            values: sealed
                .map(|v| (ERP_PENDING, bound(pending_binding(customer_id), v)))
                .into_iter()
                .collect(),
        })
        .collect())
}
