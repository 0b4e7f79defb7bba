//! A customer's opt-outs per channel (its page's 通知 tab).

use chrono::Utc;
use opcms_domain::DataScope;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::entity::preference;
use crate::audit::{self, Actor, Entry};
use crate::db::begin_write;
use crate::error::AppResult;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferences {
    pub email: bool,
    pub sms: bool,
}

pub async fn preferences_of(
    db: &impl sea_orm::ConnectionTrait,
    customer_id: i64,
) -> AppResult<NotificationPreferences> {
    let prefs = super::outbox::preferences(db, &[customer_id]).await?;
    let (email, sms) = prefs.get(&customer_id).copied().unwrap_or((true, true));
    Ok(NotificationPreferences { email, sms })
}

/// Sets a customer's channels, audited.
pub async fn set_preferences(
    state: &AppState,
    actor: &Actor,
    scope: &DataScope,
    customer_id: i64,
    input: NotificationPreferences,
) -> AppResult<NotificationPreferences> {
    let txn = begin_write(&state.db).await?;
    crate::customers::service::lock_visible(&txn, scope, customer_id).await?;
    let before = preferences_of(&txn, customer_id).await?;
    let now = Utc::now();
    match preference::Entity::find_by_id(customer_id).one(&txn).await? {
        Some(row) => {
            let mut active: preference::ActiveModel = row.into();
            active.email = Set(input.email);
            active.sms = Set(input.sms);
            active.updated_at = Set(now);
            active.updated_by = Set(actor.user_id);
            active.update(&txn).await?;
        }
        None => {
            preference::ActiveModel {
                customer_id: Set(customer_id),
                email: Set(input.email),
                sms: Set(input.sms),
                updated_at: Set(now),
                updated_by: Set(actor.user_id),
            }
            .insert(&txn)
            .await?;
        }
    }
    audit::record(
        &txn,
        actor,
        Entry {
            action: "customer.notification_preferences",
            entity_type: "customer",
            entity_id: Some(customer_id.to_string()),
            changes: Some(json!({
                "email": {"before": before.email, "after": input.email},
                "sms": {"before": before.sms, "after": input.sms},
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(input)
}
