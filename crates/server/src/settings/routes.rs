//! `GET/PUT /settings` (management): the business settings of DESIGN.md §18.

use axum::Json;
use axum::extract::State;
use opcms_domain::Permission;
use opcms_domain::settings::{Settings, SettingsUpdate};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::Principal;
use crate::audit::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::extract::ApiJson;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings, put_settings))
}

/// Every business setting with its value.
#[utoipa::path(get, path = "/settings", tag = "settings",
    responses((status = 200, body = Settings), (status = 403, body = ErrorBody)))]
async fn get_settings(State(state): State<AppState>, principal: Principal) -> AppResult<Json<Settings>> {
    principal.require(Permission::SettingsManage)?;
    Ok(Json(super::load(&state.db).await?))
}

/// Changes the settings given (partial); every key is checked and a bad one
/// is a 400 naming it, with nothing changed.
#[utoipa::path(put, path = "/settings", tag = "settings", request_body = SettingsUpdate,
    responses((status = 200, body = Settings), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn put_settings(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<SettingsUpdate>,
) -> AppResult<Json<Settings>> {
    principal.require(Permission::SettingsManage)?;
    Ok(Json(super::update(&state.db, &Actor::from(&principal), input).await?))
}
