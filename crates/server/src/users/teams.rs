//! Sales teams (销售团队, DESIGN.md §10): management keeps them on the users
//! page; a user with the `team` data scope sees the customers of every
//! member of their team. Every change is one audited transaction.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, NotSet,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::entity as user;
use crate::audit::{self, Actor, Entry};
use crate::db::begin_write;
use crate::error::{AppError, AppResult, is_unique_violation};

pub mod team {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sales_teams")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The longest team name.
const NAME_MAX: usize = 32;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamView {
    pub id: i64,
    pub name: String,
    /// Users (not deleted) in the team.
    pub members: u64,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamInput {
    pub name: String,
}

fn checked_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(AppError::field(
            "name",
            "INVALID_NAME",
            format!("团队名称须为 1–{NAME_MAX} 个字符"),
        ));
    }
    Ok(name.to_string())
}

fn name_taken(err: sea_orm::DbErr) -> AppError {
    if is_unique_violation(&err) {
        AppError::conflict("TEAM_NAME_TAKEN", "已有同名团队")
    } else {
        err.into()
    }
}

/// Every team with its member count, by name.
pub async fn list(db: &impl ConnectionTrait) -> AppResult<Vec<TeamView>> {
    let teams = team::Entity::find().order_by_asc(team::Column::Name).all(db).await?;
    let counts: Vec<(Option<i64>, i64)> = user::Entity::find()
        .select_only()
        .column(user::Column::TeamId)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(user::Column::IsDeleted.eq(false))
        .filter(user::Column::TeamId.is_not_null())
        .group_by(user::Column::TeamId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(teams
        .into_iter()
        .map(|t| TeamView {
            members: counts
                .iter()
                .find(|(id, _)| *id == Some(t.id))
                .map_or(0, |(_, n)| (*n).max(0) as u64),
            id: t.id,
            name: t.name,
        })
        .collect())
}

/// The team, locked for the rest of the transaction (an assignment waits
/// for a deletion and then sees the team gone).
pub async fn lock(txn: &impl ConnectionTrait, id: i64) -> AppResult<team::Model> {
    team::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| AppError::field("team_id", "UNKNOWN_TEAM", "所选团队不存在"))
}

pub async fn create(db: &DatabaseConnection, actor: &Actor, input: TeamInput) -> AppResult<TeamView> {
    let name = checked_name(&input.name)?;
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let created = team::ActiveModel {
        id: NotSet,
        name: Set(name),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(name_taken)?;
    record(
        &txn,
        actor,
        "team.create",
        created.id,
        json!({"name": {"before": null, "after": created.name}}),
    )
    .await?;
    txn.commit().await?;
    Ok(TeamView {
        id: created.id,
        name: created.name,
        members: 0,
    })
}

pub async fn rename(db: &DatabaseConnection, actor: &Actor, id: i64, input: TeamInput) -> AppResult<TeamView> {
    let name = checked_name(&input.name)?;
    let txn = begin_write(db).await?;
    let before = team::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("团队"))?;
    let mut row: team::ActiveModel = before.clone().into();
    row.name = Set(name);
    row.updated_at = Set(Utc::now());
    let after = row.update(&txn).await.map_err(name_taken)?;
    record(
        &txn,
        actor,
        "team.update",
        id,
        json!({"name": {"before": before.name, "after": after.name}}),
    )
    .await?;
    txn.commit().await?;
    Ok(list(db).await?.into_iter().find(|t| t.id == id).unwrap_or(TeamView {
        id,
        name: after.name,
        members: 0,
    }))
}

/// Deletes a team; its members keep their accounts and lose the team (a
/// `team` scope then shows only their own customers).
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: i64) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let before = team::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("团队"))?;
    let released = user::Entity::update_many()
        .col_expr(user::Column::TeamId, Expr::value(Option::<i64>::None))
        .filter(user::Column::TeamId.eq(id))
        .exec(&txn)
        .await?
        .rows_affected;
    team::Entity::delete_by_id(id).exec(&txn).await?;
    record(
        &txn,
        actor,
        "team.delete",
        id,
        json!({"name": {"before": before.name, "after": null}, "members_released": released}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn record(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    action: &'static str,
    id: i64,
    changes: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        txn,
        actor,
        Entry {
            action,
            entity_type: "sales_team",
            entity_id: Some(id.to_string()),
            changes: Some(changes),
        },
    )
    .await?;
    Ok(())
}
