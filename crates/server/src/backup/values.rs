//! A column value between the database and the archive: read from a row as
//! its [`Kind`] into canonical JSON (the same text whichever backend it came
//! from), and bound back from JSON into a statement.

use anyhow::{Context, anyhow};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use sea_orm::{DbBackend, QueryResult};
use serde_json::Value as Json;

use super::catalog::{Column, Kind};

const TIMESTAMP: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";
const DATE: &str = "%Y-%m-%d";

/// Column `index` of `row` as canonical JSON.
pub fn read(row: &QueryResult, index: usize, column: &Column, backend: DbBackend) -> anyhow::Result<Json> {
    let value = match column.kind {
        // PostgreSQL decodes only the column's own width.
        Kind::Int if backend == DbBackend::Postgres && column.bits == 16 => {
            row.try_get_by_index::<Option<i16>>(index)?.map(Json::from)
        }
        Kind::Int if backend == DbBackend::Postgres && column.bits == 32 => {
            row.try_get_by_index::<Option<i32>>(index)?.map(Json::from)
        }
        Kind::Int => row.try_get_by_index::<Option<i64>>(index)?.map(Json::from),
        Kind::Bool => row.try_get_by_index::<Option<bool>>(index)?.map(Json::from),
        Kind::Text => row.try_get_by_index::<Option<String>>(index)?.map(Json::from),
        Kind::Timestamp => row
            .try_get_by_index::<Option<DateTime<Utc>>>(index)?
            .map(|t| Json::from(t.format(TIMESTAMP).to_string())),
        Kind::Date => row
            .try_get_by_index::<Option<NaiveDate>>(index)?
            .map(|d| Json::from(d.format(DATE).to_string())),
        Kind::Bytes => row
            .try_get_by_index::<Option<Vec<u8>>>(index)?
            .map(|b| Json::from(STANDARD.encode(b))),
    };
    Ok(value.unwrap_or(Json::Null))
}

/// An archived value as a statement parameter for `column`.
pub fn bind(value: &Json, column: &Column, backend: DbBackend) -> anyhow::Result<sea_orm::Value> {
    use sea_orm::Value as V;
    let wrong = || anyhow!("column {} holds {value}, not a {:?} value", column.name, column.kind);
    if value.is_null() {
        if !column.nullable {
            return Err(anyhow!("column {} may not be empty", column.name));
        }
        return Ok(match column.kind {
            Kind::Int => V::BigInt(None),
            Kind::Bool => V::Bool(None),
            Kind::Text => V::String(None),
            Kind::Timestamp => V::ChronoDateTimeUtc(None),
            Kind::Date => V::ChronoDate(None),
            Kind::Bytes => V::Bytes(None),
        });
    }
    Ok(match column.kind {
        Kind::Int => {
            let number = value.as_i64().ok_or_else(wrong)?;
            match (backend, column.bits) {
                (DbBackend::Postgres, 16) => V::SmallInt(Some(i16::try_from(number).map_err(|_| wrong())?)),
                (DbBackend::Postgres, 32) => V::Int(Some(i32::try_from(number).map_err(|_| wrong())?)),
                _ => V::BigInt(Some(number)),
            }
        }
        Kind::Bool => V::Bool(Some(value.as_bool().ok_or_else(wrong)?)),
        Kind::Text => V::String(Some(value.as_str().ok_or_else(wrong)?.to_string())),
        Kind::Timestamp => {
            let text = value.as_str().ok_or_else(wrong)?;
            let naive = NaiveDateTime::parse_from_str(text, TIMESTAMP).map_err(|_| wrong())?;
            V::ChronoDateTimeUtc(Some(naive.and_utc()))
        }
        Kind::Date => {
            let text = value.as_str().ok_or_else(wrong)?;
            V::ChronoDate(Some(NaiveDate::parse_from_str(text, DATE).map_err(|_| wrong())?))
        }
        Kind::Bytes => {
            let text = value.as_str().ok_or_else(wrong)?;
            V::Bytes(Some(STANDARD.decode(text).context("not base64").map_err(|_| wrong())?))
        }
    })
}

/// The id of the master key that sealed `text`, when it is an encrypted
/// value (`v1:`/`v2:`, 8 hex digits, base64url of nonce, data and tag).
pub fn key_id(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("v2:").or_else(|| text.strip_prefix("v1:"))?;
    let (id, sealed) = rest.split_once(':')?;
    let plausible = id.len() == 8
        && id.bytes().all(|b| b.is_ascii_hexdigit())
        && sealed.len() >= 38
        && sealed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plausible.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(kind: Kind, nullable: bool) -> Column {
        Column {
            name: "c".into(),
            kind,
            nullable,
            bits: 64,
        }
    }

    #[test]
    fn archived_values_bind_as_their_kind_and_bad_ones_are_refused() {
        let ts = bind(
            &Json::from("2026-12-04T08:00:00.123456Z"),
            &column(Kind::Timestamp, false),
            DbBackend::Sqlite,
        )
        .unwrap();
        assert!(matches!(ts, sea_orm::Value::ChronoDateTimeUtc(Some(_))));
        assert!(
            bind(
                &Json::from("2026-12-04"),
                &column(Kind::Timestamp, false),
                DbBackend::Sqlite
            )
            .is_err()
        );
        assert!(bind(&Json::from("x"), &column(Kind::Int, false), DbBackend::Sqlite).is_err());
        assert!(bind(&Json::Null, &column(Kind::Int, false), DbBackend::Sqlite).is_err());
        assert!(bind(&Json::from(1i64 << 40), &column(Kind::Int, false), DbBackend::Sqlite).is_ok());
        let mut narrow = column(Kind::Int, false);
        narrow.bits = 32;
        assert!(bind(&Json::from(1i64 << 40), &narrow, DbBackend::Postgres).is_err());
        assert!(bind(&Json::from("@@"), &column(Kind::Bytes, true), DbBackend::Sqlite).is_err());
    }

    #[test]
    fn key_ids_are_found_only_in_sealed_values() {
        let sealed = format!("v2:0a1b2c3d:{}", "A".repeat(40));
        assert_eq!(key_id(&sealed), Some("0a1b2c3d"));
        assert_eq!(key_id("v2: see the contract"), None);
        assert_eq!(key_id("v2:0a1b2c3d:short"), None);
        assert_eq!(key_id("plain text"), None);
    }
}
