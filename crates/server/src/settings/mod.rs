//! Business settings (系统设置, DESIGN.md §18) in the database: seeded once
//! from `opcms.toml`, then edited by management. The keys and their rules
//! live in `opcms_domain::settings`; this module stores and audits them.
//!
//! Every reader loads them fresh (one small query): with several instances
//! on one database a cached copy would go stale.

pub mod entity;
pub mod routes;

use std::collections::BTreeMap;

use chrono::Utc;
use opcms_domain::settings::{CompanyInfo, KEYS, Settings, SettingsUpdate, UsageLimitsSetting};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde_json::Value;

use crate::audit::{self, Actor, Entry};
use crate::config::Config;
use crate::db::begin_write;
use crate::error::{AppError, AppResult, is_unique_violation};
use entity::setting;

/// The settings as stored now.
pub async fn load(db: &impl ConnectionTrait) -> AppResult<Settings> {
    Ok(Settings::from_stored(&stored(db).await?))
}

async fn stored(db: &impl ConnectionTrait) -> AppResult<BTreeMap<String, Value>> {
    let rows = setting::Entity::find().all(db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| serde_json::from_str(&row.value).ok().map(|value| (row.key, value)))
        .collect())
}

/// What `opcms.toml` and the environment still say about business settings:
/// the values that seed the table once.
pub fn seed_values(config: &Config) -> Settings {
    let billing = &config.billing;
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let limit = |value: Option<opcms_domain::Fixed4>| value.map(|q| q.to_string());
    Settings {
        company: CompanyInfo {
            name: text(&billing.company_name),
            address: text(&billing.company_address),
            phone: text(&billing.company_phone),
            tax_id: text(&billing.company_tax_id),
            bank_name: text(&billing.bank_name),
            bank_account: text(&billing.bank_account),
            payment_note: text(&billing.payment_note),
        },
        bill_trial_customers: billing.bill_trial_customers,
        usage_limits: UsageLimitsSetting {
            x: limit(config.usage_limits.x),
            n: limit(config.usage_limits.n),
            l: limit(config.usage_limits.l),
        },
        usage_discard_closed: config.usage_discard_closed,
        ..Settings::default()
    }
}

/// Writes every key the table lacks, from the file's values or the defaults.
/// Several instances may start at once: a key another one wrote first is
/// left as it is. A file value that differs from the stored one is noted in
/// the log, since the database now wins.
pub async fn seed(db: &impl ConnectionTrait, config: &Config) -> AppResult<()> {
    let present = stored(db).await?;
    let seeds = seed_values(config).to_stored();
    let defaults = Settings::default().to_stored();
    let now = Utc::now();
    for key in KEYS {
        let Some(value) = seeds.get(key) else { continue };
        match present.get(key) {
            Some(current) => {
                if current != value && defaults.get(key) != Some(value) {
                    tracing::info!(
                        key,
                        "opcms.toml sets {key}, but the settings table already holds a value: the table wins (edit it in 系统设置)"
                    );
                }
            }
            None => {
                let row = setting::ActiveModel {
                    key: Set(key.to_string()),
                    value: Set(value.to_string()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    updated_by: Set(None),
                };
                match row.insert(db).await {
                    Ok(_) => {}
                    Err(err) if is_unique_violation(&err) => {}
                    Err(err) => return Err(err.into()),
                }
            }
        }
    }
    Ok(())
}

/// Applies a partial change (all keys checked, all or nothing), writes the
/// keys that changed and audits them with before and after.
pub async fn update(db: &sea_orm::DatabaseConnection, actor: &Actor, input: SettingsUpdate) -> AppResult<Settings> {
    let txn = begin_write(db).await?;
    let present = stored(&txn).await?;
    let before = Settings::from_stored(&present);
    let after = before.apply(input).map_err(AppError::Validation)?;
    let changes = before.changes(&after);
    if changes.is_empty() {
        txn.commit().await?;
        return Ok(after);
    }
    let values = after.to_stored();
    let now = Utc::now();
    for key in changes.keys() {
        let Some(value) = values.get(key) else { continue };
        let row = setting::ActiveModel {
            key: Set(key.clone()),
            value: Set(value.to_string()),
            created_at: Set(now),
            updated_at: Set(now),
            updated_by: Set(actor.user_id),
        };
        if present.contains_key(key) {
            let mut row = row;
            row.created_at = sea_orm::ActiveValue::NotSet;
            row.update(&txn).await?;
        } else {
            row.insert(&txn).await?;
        }
    }
    audit::record(
        &txn,
        actor,
        Entry {
            action: "settings.update",
            entity_type: "settings",
            entity_id: None,
            changes: Some(Value::Object(changes)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}
