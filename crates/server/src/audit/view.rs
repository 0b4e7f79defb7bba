//! How an audit entry is shown: the row, its changes as JSON, and the labels
//! people know the records by (resolved for a whole page at once).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{entity, labels};
use crate::error::AppResult;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditLogView {
    pub id: i64,
    pub at: DateTime<Utc>,
    #[schema(required = true)]
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub entity_type: String,
    #[schema(required = true)]
    pub entity_id: Option<String>,
    /// `{"field": {"before", "after"}}`
    #[schema(required = true, value_type = Option<Object>)]
    pub changes: Option<serde_json::Value>,
    #[schema(required = true)]
    pub ip: Option<String>,
    #[schema(required = true)]
    pub request_id: Option<String>,
    /// What people call the record: a customer's name and code, a bill's
    /// or payment's number, a user's name (null when it has none or is gone).
    #[schema(required = true)]
    pub entity_label: Option<String>,
    /// Labels of the records the changes name by id (`customer_id`,
    /// `bill_id`, `payment_id`, `plan_id`, `*_owner_id`), keyed
    /// `"{customer|bill|payment|price_plan|user}:{id}"`.
    pub refs: std::collections::BTreeMap<String, String>,
}

impl AuditLogView {
    /// Views of a page of rows with their labels (a few queries in all).
    pub async fn page(db: &impl sea_orm::ConnectionTrait, rows: Vec<entity::Model>) -> AppResult<Vec<AuditLogView>> {
        let labels = labels::resolve(db, &rows).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut view = AuditLogView::from(row);
                view.entity_label = labels::kind_of(&view.entity_type)
                    .zip(view.entity_id.as_deref())
                    .and_then(|(kind, id)| labels.get(&format!("{kind}:{id}")).cloned());
                let mut wanted = std::collections::BTreeSet::new();
                if let Some(changes) = &view.changes {
                    collect_keys(changes, None, &mut wanted);
                }
                view.refs = labels
                    .iter()
                    .filter(|(key, _)| wanted.contains(key.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                view
            })
            .collect())
    }
}

/// The `"{kind}:{id}"` keys a value of `changes` names.
fn collect_keys(value: &serde_json::Value, field: Option<&str>, keys: &mut std::collections::BTreeSet<String>) {
    let mut found = std::collections::BTreeSet::new();
    labels::collect_public(value, field, &mut found);
    keys.extend(found.into_iter().map(|(kind, id)| format!("{kind}:{id}")));
}

impl From<entity::Model> for AuditLogView {
    fn from(row: entity::Model) -> Self {
        AuditLogView {
            id: row.id,
            at: row.at,
            actor_id: row.actor_id,
            actor_name: row.actor_name,
            action: row.action,
            entity_type: row.entity_type,
            entity_id: row.entity_id,
            changes: row.changes.and_then(|c| serde_json::from_str(&c).ok()),
            ip: row.ip,
            request_id: row.request_id,
            entity_label: None,
            refs: Default::default(),
        }
    }
}
