//! Every schema change, in order. Never edit a migration that has shipped:
//! add a new one (expand first, contract later).

use sea_orm_migration::prelude::*;

mod m20261122_000001_foundation;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261122_000001_foundation::Migration)]
    }
}
