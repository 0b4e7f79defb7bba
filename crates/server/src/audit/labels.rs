//! What people call the records an audit page mentions: a customer by name
//! and code, a bill or payment by its number, a user by name, a price plan
//! by its name — never an internal id. Resolved for a page of entries at
//! once (one query per kind of record), as `refs` keyed `"{kind}:{id}"`.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::Value;

use super::entity;
use crate::bills::entity::bill;
use crate::customers::entity::customer;
use crate::error::AppResult;
use crate::payments::entity::payment;
use crate::pricing::entity::plan;
use crate::users::entity as user;

/// The kind of record an entry's own id names, by its entity type.
pub fn kind_of(entity_type: &str) -> Option<&'static str> {
    match entity_type {
        "customer" | "customer_pricing" => Some("customer"),
        "bill" => Some("bill"),
        "payment" => Some("payment"),
        "user" => Some("user"),
        "price_plan" => Some("price_plan"),
        _ => None,
    }
}

/// The kind of record a field of `changes` holds the id of.
fn kind_of_field(field: &str) -> Option<&'static str> {
    match field {
        "customer_id" => Some("customer"),
        "bill_id" => Some("bill"),
        "payment_id" => Some("payment"),
        "plan_id" => Some("price_plan"),
        "sales_owner_id" | "ops_owner_id" | "user_id" | "owner_id" => Some("user"),
        _ => None,
    }
}

fn collect(value: &Value, field: Option<&str>, wanted: &mut BTreeSet<(&'static str, i64)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                // `{"before", "after"}` keeps the field it belongs to.
                let field = if key == "before" || key == "after" {
                    field
                } else {
                    Some(key.as_str())
                };
                collect(inner, field, wanted);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect(item, field, wanted);
            }
        }
        Value::Number(n) => {
            if let (Some(kind), Some(id)) = (field.and_then(kind_of_field), n.as_i64()) {
                wanted.insert((kind, id));
            }
        }
        _ => {}
    }
}

/// The records a value of `changes` names by id, as `(kind, id)`.
pub fn collect_public(value: &Value, field: Option<&str>, wanted: &mut BTreeSet<(&'static str, i64)>) {
    collect(value, field, wanted);
}

/// The records the rows name (their own and those in their changes) → labels.
pub async fn resolve(db: &impl ConnectionTrait, rows: &[entity::Model]) -> AppResult<BTreeMap<String, String>> {
    let mut wanted: BTreeSet<(&'static str, i64)> = BTreeSet::new();
    for row in rows {
        if let (Some(kind), Some(id)) = (
            kind_of(&row.entity_type),
            row.entity_id.as_deref().and_then(|i| i.parse().ok()),
        ) {
            wanted.insert((kind, id));
        }
        if let Some(changes) = row
            .changes
            .as_deref()
            .and_then(|c| serde_json::from_str::<Value>(c).ok())
        {
            collect(&changes, None, &mut wanted);
        }
    }
    let ids = |kind: &str| -> Vec<i64> { wanted.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect() };
    let mut labels = BTreeMap::new();
    for chunk in ids("customer").chunks(500) {
        let found = customer::Entity::find()
            .select_only()
            .columns([
                customer::Column::Id,
                customer::Column::CompanyName,
                customer::Column::CustomerCode,
            ])
            .filter(customer::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple::<(i64, String, String)>()
            .all(db)
            .await?;
        for (id, name, code) in found {
            labels.insert(format!("customer:{id}"), format!("{name}（{code}）"));
        }
    }
    for chunk in ids("bill").chunks(500) {
        let found = bill::Entity::find()
            .select_only()
            .columns([bill::Column::Id, bill::Column::BillNo])
            .filter(bill::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple::<(i64, String)>()
            .all(db)
            .await?;
        labels.extend(found.into_iter().map(|(id, no)| (format!("bill:{id}"), no)));
    }
    for chunk in ids("payment").chunks(500) {
        let found = payment::Entity::find()
            .select_only()
            .columns([payment::Column::Id, payment::Column::PaymentNo])
            .filter(payment::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple::<(i64, String)>()
            .all(db)
            .await?;
        labels.extend(found.into_iter().map(|(id, no)| (format!("payment:{id}"), no)));
    }
    for chunk in ids("user").chunks(500) {
        let found = user::Entity::find()
            .select_only()
            .columns([user::Column::Id, user::Column::DisplayName, user::Column::Username])
            .filter(user::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple::<(i64, String, String)>()
            .all(db)
            .await?;
        labels.extend(
            found
                .into_iter()
                .map(|(id, name, username)| (format!("user:{id}"), format!("{name}（{username}）"))),
        );
    }
    for chunk in ids("price_plan").chunks(500) {
        let found = plan::Entity::find()
            .select_only()
            .columns([plan::Column::Id, plan::Column::Name])
            .filter(plan::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple::<(i64, String)>()
            .all(db)
            .await?;
        labels.extend(found.into_iter().map(|(id, name)| (format!("price_plan:{id}"), name)));
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_changes_are_found_by_field() {
        let changes = serde_json::json!({
            "sales_owner_id": {"before": 3, "after": 4},
            "allocation": {"before": null, "after": {"id": 9, "payment_id": 12, "amount": "1.00"}},
            "allocations": {"before": null, "after": [{"id": 10, "bill_id": 7}]},
            "amount": {"before": "1.00", "after": "2.00"},
        });
        let mut wanted = BTreeSet::new();
        collect(&changes, None, &mut wanted);
        let found: Vec<(&str, i64)> = wanted.into_iter().collect();
        assert_eq!(found, [("bill", 7), ("payment", 12), ("user", 3), ("user", 4)]);
    }
}
