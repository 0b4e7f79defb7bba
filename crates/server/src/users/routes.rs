//! `/api/v1/users` (management only).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use opcms_domain::Permission;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service::{self, NewUser, UserFilter, UserPatch, UserView};
use super::teams::{self, TeamInput, TeamView};
use crate::access::Principal;
use crate::audit::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageParams, PageRequest};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(list_teams, create_team))
        .routes(routes!(rename_team, delete_team))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Matches username or display name.
    pub q: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
}

/// List staff accounts.
#[utoipa::path(get, path = "/users", tag = "users", params(PageParams, UserQuery),
    responses((status = 200, body = Page<UserView>), (status = 403, body = ErrorBody)))]
async fn list_users(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<UserQuery>,
    page: PageRequest,
) -> AppResult<Json<Page<UserView>>> {
    principal.require(Permission::UsersManage)?;
    let filter = UserFilter {
        q: query.q,
        role: query.role,
        status: query.status,
    };
    Ok(Json(service::list(&state.db, &state.keyring, filter, page).await?))
}

/// Create a staff account; the user must change the password at first login.
#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<NewUser>,
) -> AppResult<(StatusCode, Json<UserView>)> {
    principal.require(Permission::UsersManage)?;
    let created = service::create(&state.db, Some(&state.keyring), &Actor::from(&principal), input).await?;
    Ok((
        StatusCode::CREATED,
        Json(service::view_with_contacts(&state.keyring, created)),
    ))
}

#[utoipa::path(get, path = "/users/{id}", tag = "users",
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<UserView>> {
    principal.require(Permission::UsersManage)?;
    Ok(Json(service::view_with_contacts(
        &state.keyring,
        service::find(&state.db, id).await?,
    )))
}

/// Change name, role or status, or reset the password.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", request_body = UserPatch,
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> AppResult<Json<UserView>> {
    principal.require(Permission::UsersManage)?;
    let updated = service::update(&state.db, &state.keyring, &Actor::from(&principal), id, patch).await?;
    Ok(Json(service::view_with_contacts(&state.keyring, updated)))
}

/// The sales teams with their member counts.
#[utoipa::path(get, path = "/teams", tag = "users",
    responses((status = 200, body = Vec<TeamView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_teams(State(state): State<AppState>, principal: Principal) -> AppResult<Json<Vec<TeamView>>> {
    principal.require(Permission::UsersManage)?;
    Ok(Json(teams::list(&state.db).await?))
}

/// Create a sales team (names are unique).
#[utoipa::path(post, path = "/teams", tag = "users", request_body = TeamInput,
    responses((status = 201, body = TeamView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn create_team(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<TeamInput>,
) -> AppResult<(StatusCode, Json<TeamView>)> {
    principal.require(Permission::UsersManage)?;
    let created = teams::create(&state.db, &Actor::from(&principal), input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Rename a sales team.
#[utoipa::path(patch, path = "/teams/{id}", tag = "users", request_body = TeamInput,
    responses((status = 200, body = TeamView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn rename_team(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<TeamInput>,
) -> AppResult<Json<TeamView>> {
    principal.require(Permission::UsersManage)?;
    Ok(Json(
        teams::rename(&state.db, &Actor::from(&principal), id, input).await?,
    ))
}

/// Delete a sales team; its members stay, without a team.
#[utoipa::path(delete, path = "/teams/{id}", tag = "users",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_team(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    principal.require(Permission::UsersManage)?;
    teams::delete(&state.db, &Actor::from(&principal), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
