//! What "an empty database" means for `opcms demo`: one that `opcms migrate`
//! or a first `opcms serve` just made. Those may hold the schema, the
//! settings, the database's own secrets, the bootstrap `admin` account and
//! its audit entry, and job bookkeeping; nothing anyone entered. Any customer
//! (deleted ones too), price plan, usage record or quarantined record,
//! bill, payment, or any user besides that one `admin` makes it not empty,
//! and the demo refuses it: it never mixes invented data into real data.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::bills::entity::bill;
use crate::customers::entity::customer;
use crate::payments::entity::payment;
use crate::pricing::entity::plan;
use crate::usage::entity::{quarantine, record};
use crate::users::entity as user;

/// What was found, one line per kind of row; empty when the demo may run.
pub async fn findings(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let mut found = Vec::new();
    let mut note = |count: u64, zh: &str, en: &str| {
        if count > 0 {
            found.push(format!("{count} {zh} / {en}"));
        }
    };
    note(customer::Entity::find().count(db).await?, "个客户", "customers");
    note(plan::Entity::find().count(db).await?, "个定价方案", "price plans");
    note(record::Entity::find().count(db).await?, "条用量记录", "usage records");
    note(
        quarantine::Entity::find().count(db).await?,
        "条异常用量",
        "quarantined usage records",
    );
    note(bill::Entity::find().count(db).await?, "张账单", "bills");
    note(payment::Entity::find().count(db).await?, "笔收款", "payments");
    let others = user::Entity::find()
        .filter(user::Column::Username.ne("admin"))
        .count(db)
        .await?;
    note(others, "个除 admin 以外的用户", "users besides admin");
    Ok(found)
}
