//! The audit log: every write records who, when, what, the before/after of
//! changed fields and the client IP, inside the same transaction as the write
//! itself, so a write and its audit entry commit or vanish together.

pub mod entity;
pub mod labels;
pub mod routes;
pub mod view;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::{Map, Value, json};

use crate::error::AppResult;
use crate::http::extract::ClientMeta;
use crate::http::pagination::{Page, PageRequest};

/// Who did it: a user, or `system` for jobs.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
    pub client: ClientMeta,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            name: "system".into(),
            client: ClientMeta::default(),
        }
    }
}

/// Field names whose values never reach the audit log.
const MASKED_FIELDS: &[&str] = &[
    "password",
    "password_hash",
    "contact_phone",
    "contact_email",
    "token",
    "refresh_token",
];
const MASK: &str = "***";

pub struct Entry<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<String>,
    /// `{"field": {"before": …, "after": …}}`, usually from [`diff`].
    pub changes: Option<Value>,
}

pub async fn record(db: &impl ConnectionTrait, actor: &Actor, entry: Entry<'_>) -> AppResult<()> {
    row(actor, entry, Utc::now()).insert(db).await?;
    Ok(())
}

/// Many entries in few statements (imports write thousands at once).
pub async fn record_many(db: &impl ConnectionTrait, actor: &Actor, entries: Vec<Entry<'_>>) -> AppResult<()> {
    let now = Utc::now();
    let rows: Vec<entity::ActiveModel> = entries.into_iter().map(|entry| row(actor, entry, now)).collect();
    crate::db::bulk::insert(db, rows).await?;
    Ok(())
}

fn row(actor: &Actor, entry: Entry<'_>, at: chrono::DateTime<Utc>) -> entity::ActiveModel {
    entity::ActiveModel {
        id: NotSet,
        at: Set(at),
        actor_id: Set(actor.user_id),
        actor_name: Set(actor.name.clone()),
        action: Set(entry.action.into()),
        entity_type: Set(entry.entity_type.into()),
        entity_id: Set(entry.entity_id),
        changes: Set(entry.changes.map(|c| c.to_string())),
        ip: Set(actor.client.ip.clone()),
        request_id: Set(actor.client.request_id.clone()),
    }
}

/// Records that a list left the system as a file (who, which list, which
/// format): exports carry personal and money data.
pub async fn record_export(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: &'static str,
    entity_type: &'static str,
    csv: bool,
) -> AppResult<()> {
    record(
        db,
        actor,
        Entry {
            action,
            entity_type,
            entity_id: None,
            changes: Some(serde_json::json!({"format": if csv { "csv" } else { "xlsx" }})),
        },
    )
    .await
}

/// One record's audit entries, newest first: the history a customer's or a
/// bill's page shows.
pub async fn trail(
    db: &impl ConnectionTrait,
    entity_type: &str,
    entity_id: i64,
    page: PageRequest,
) -> AppResult<Page<view::AuditLogView>> {
    let select = entity::Entity::find()
        .filter(entity::Column::EntityType.eq(entity_type))
        .filter(entity::Column::EntityId.eq(entity_id.to_string()));
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_desc(entity::Column::At)
        .order_by_desc(entity::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    Ok(Page::new(view::AuditLogView::page(db, rows).await?, total, page))
}

/// The changed top-level fields between two JSON objects, masked where secret.
/// Pass `Value::Null` as `before` for a creation and as `after` for a deletion.
pub fn diff(before: &Value, after: &Value) -> Value {
    let empty = Map::new();
    let before_fields = before.as_object().unwrap_or(&empty);
    let after_fields = after.as_object().unwrap_or(&empty);
    let mut changes = Map::new();
    let names = before_fields
        .keys()
        .chain(after_fields.keys().filter(|k| !before_fields.contains_key(*k)));
    for name in names {
        let old = before_fields.get(name).unwrap_or(&Value::Null);
        let new = after_fields.get(name).unwrap_or(&Value::Null);
        if old != new {
            let masked = |v: &Value| {
                if MASKED_FIELDS.contains(&name.as_str()) && !v.is_null() {
                    json!(MASK)
                } else {
                    v.clone()
                }
            };
            changes.insert(name.clone(), json!({"before": masked(old), "after": masked(new)}));
        }
    }
    Value::Object(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_fields_are_listed() {
        let changes = diff(&json!({"a": 1, "b": 2}), &json!({"a": 1, "b": 3, "c": 4}));
        assert_eq!(
            changes,
            json!({"b": {"before": 2, "after": 3}, "c": {"before": null, "after": 4}})
        );
    }

    #[test]
    fn secrets_are_masked_on_both_sides() {
        let changes = diff(&json!({"password_hash": "x"}), &json!({"password_hash": "y"}));
        assert_eq!(changes, json!({"password_hash": {"before": "***", "after": "***"}}));
    }
}
