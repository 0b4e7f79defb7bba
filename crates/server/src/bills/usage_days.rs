//! `GET /bills/{id}/usage-days`: the daily usage records behind each series
//! line of a bill — day, quantity and source (`api:<vendor>`, `import`,
//! `manual`) — so a person sees where every unit billed came from.

use std::collections::BTreeMap;

use opcms_domain::billing::StoredLine;
use opcms_domain::customer::Series;
use opcms_domain::{Fixed4, Period};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::entity::bill;
use crate::error::AppResult;
use crate::usage::entity::record;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageDay {
    pub record_id: i64,
    pub day: chrono::NaiveDate,
    #[schema(value_type = String)]
    pub quantity: Fixed4,
    /// `api:<vendor>`, `import` or `manual`.
    pub source: String,
    /// How many times the record was corrected since it was first written.
    pub revisions: i32,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SeriesDays {
    pub series: Series,
    /// The usage the bill line charges (absent: the bill has no line for
    /// the series, e.g. a draft that could not be priced).
    #[schema(required = true, value_type = Option<String>)]
    pub billed_usage: Option<Decimal>,
    /// Σ of the records today.
    #[schema(value_type = String)]
    pub recorded_usage: Fixed4,
    /// The records today add up to what the bill charges (false when usage
    /// changed after the bill was computed).
    pub matches_bill: bool,
    pub days: Vec<UsageDay>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BillUsageDays {
    pub bill_id: i64,
    #[schema(value_type = String)]
    pub period: Period,
    pub series: Vec<SeriesDays>,
}

pub async fn of_bill(db: &impl ConnectionTrait, row: &bill::Model) -> AppResult<BillUsageDays> {
    let lines: Vec<StoredLine> = serde_json::from_str(&row.lines).unwrap_or_default();
    let records = record::Entity::find()
        .filter(record::Column::CustomerId.eq(row.customer_id))
        .filter(record::Column::Month.eq(row.period))
        .order_by_asc(record::Column::Series)
        .order_by_asc(record::Column::Day)
        .order_by_asc(record::Column::Id)
        .all(db)
        .await?;
    let mut by_series: BTreeMap<&'static str, Vec<record::Model>> = BTreeMap::new();
    for r in records {
        if let Some(series) = Series::parse(&r.series) {
            by_series.entry(series.code()).or_default().push(r);
        }
    }
    let mut out = Vec::new();
    for series in opcms_domain::pricing::BILL_ORDER {
        let billed = lines
            .iter()
            .find(|l| l.series == Some(series) && l.usage.is_some())
            .and_then(|l| l.usage);
        let records = by_series.remove(series.code()).unwrap_or_default();
        if records.is_empty() && billed.is_none() {
            continue;
        }
        let units: i64 = records.iter().map(|r| r.quantity).sum();
        let recorded = Fixed4::from_units(units);
        out.push(SeriesDays {
            series,
            billed_usage: billed,
            recorded_usage: recorded,
            matches_bill: billed.is_some_and(|b| b == recorded.to_decimal()),
            days: records
                .into_iter()
                .map(|r| UsageDay {
                    record_id: r.id,
                    day: r.day,
                    quantity: Fixed4::from_units(r.quantity),
                    source: r.source,
                    revisions: r.revisions,
                })
                .collect(),
        });
    }
    Ok(BillUsageDays {
        bill_id: row.id,
        period: Period::from_key(row.period).unwrap_or_else(|| Period::of_date(crate::calendar::business_today())),
        series: out,
    })
}
