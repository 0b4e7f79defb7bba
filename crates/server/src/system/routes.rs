//! `GET/PUT /system/clock`: the test clock. Without `OPCMS_TEST_CLOCK=true`
//! both are 404, as if they did not exist, and the clock is the system's.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, FixedOffset, Utc};
use opcms_domain::{Period, Permission};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::Principal;
use crate::audit::{self, Actor, Entry};
use crate::calendar::china;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::extract::ApiJson;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_clock, set_clock))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClockView {
    /// Now on the business clock, in China time (`2026-03-01T02:00:00+08:00`).
    pub now: DateTime<FixedOffset>,
    /// The business day and month that follow from it.
    pub today: chrono::NaiveDate,
    pub period: String,
    /// Always true: the endpoint exists only while the test clock is on.
    pub test_clock: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetClock {
    /// RFC 3339 with an offset: `2026-03-01T02:00:00+08:00`.
    pub now: Option<String>,
}

/// The test clock's time (404 unless `OPCMS_TEST_CLOCK=true`).
#[utoipa::path(get, path = "/system/clock", tag = "system",
    responses((status = 200, body = ClockView), (status = 404, body = ErrorBody)))]
async fn get_clock(State(state): State<AppState>, _principal: Principal) -> AppResult<Json<ClockView>> {
    test_clock_on(&state)?;
    Ok(Json(view(&state)))
}

/// Sets the test clock (management); it runs on from there, and every
/// business date follows it.
#[utoipa::path(put, path = "/system/clock", tag = "system", request_body = SetClock,
    responses((status = 200, body = ClockView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_clock(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<SetClock>,
) -> AppResult<Json<ClockView>> {
    test_clock_on(&state)?;
    principal.require(Permission::SettingsManage)?;
    let text = input.now.as_deref().map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(AppError::field("now", "REQUIRED", "请填写时间"));
    }
    let now = DateTime::parse_from_rfc3339(text)
        .map_err(|_| {
            AppError::field(
                "now",
                "INVALID_TIME",
                "时间格式应为带时区的 RFC 3339，如 2026-03-01T02:00:00+08:00",
            )
        })?
        .with_timezone(&Utc);
    let before = state.clock.now();
    state.clock.set(now);
    // Jobs due by the new time run now, not at the next tick.
    state.jobs_wake.notify_one();
    // Retries due by the new time go out now.
    state.notify_wake.notify_one();
    audit::record(
        &state.db,
        &Actor::from(&principal),
        Entry {
            action: "system.clock",
            entity_type: "system",
            entity_id: None,
            changes: Some(serde_json::json!({"now": {"before": before.with_timezone(&china()), "after": now.with_timezone(&china())}})),
        },
    )
    .await?;
    Ok(Json(view(&state)))
}

fn test_clock_on(state: &AppState) -> AppResult<()> {
    if state.clock.is_settable() {
        Ok(())
    } else {
        Err(AppError::unknown_route())
    }
}

/// One reading of the clock; the day and month follow from it.
fn view(state: &AppState) -> ClockView {
    let now = state.clock.now().with_timezone(&china());
    ClockView {
        now,
        today: now.date_naive(),
        period: Period::of_date(now.date_naive()).to_string(),
        test_clock: true,
    }
}
