//! Column definitions shared by every migration, so that a money column or a
//! timestamp is the same type in every table and on every backend.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

/// Auto-increment 64-bit primary key.
pub fn id(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

/// Money or quantity: a scaled integer in units of 0.0001 (DESIGN.md §2).
/// Exact on every backend, and SQL `SUM` stays exact.
pub fn fixed4(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

/// A UTC instant. PostgreSQL gets `timestamptz`; MySQL gets `DATETIME(6)`
/// rather than `TIMESTAMP`, which ends in 2038 and shifts with the session
/// time zone; SQLite stores text.
pub fn timestamp(backend: DbBackend, name: impl IntoIden) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    match backend {
        DbBackend::MySql => column.custom(Alias::new("DATETIME(6)")),
        _ => column.timestamp_with_time_zone(),
    };
    column.to_owned()
}

pub fn string(name: impl IntoIden, length: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(length).not_null().to_owned()
}

pub fn text(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).text().to_owned()
}

/// The audit columns every business table carries (DESIGN.md §3): who and
/// when created and updated, and the soft-delete pair.
pub fn audit_columns(backend: DbBackend) -> Vec<ColumnDef> {
    vec![
        timestamp(backend, Alias::new("created_at")).not_null().to_owned(),
        ColumnDef::new(Alias::new("created_by")).big_integer().null().to_owned(),
        timestamp(backend, Alias::new("updated_at")).not_null().to_owned(),
        ColumnDef::new(Alias::new("updated_by")).big_integer().null().to_owned(),
        ColumnDef::new(Alias::new("is_deleted"))
            .boolean()
            .not_null()
            .default(false)
            .to_owned(),
        timestamp(backend, Alias::new("deleted_at")).null().to_owned(),
    ]
}
