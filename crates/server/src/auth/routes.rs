//! `/api/v1/auth/*`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use opcms_domain::Permission;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service::{self, TokenResponse};
use crate::access::PasswordChangePending;
use crate::error::{AppResult, ErrorBody};
use crate::http::extract::{ApiJson, ClientMeta};
use crate::state::AppState;
use crate::users::UserView;
use crate::users::service as users;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeView {
    #[serde(flatten)]
    pub user: UserView,
    /// What the role may do, e.g. `users.manage`; the UI builds its menu from it.
    pub permissions: Vec<Permission>,
}

/// Sign in. Five failures for one account (or 30 from one IP) within 15
/// minutes lock further attempts with 429 until the window passes.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest, security(()),
    responses((status = 200, body = TokenResponse), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    client: ClientMeta,
    ApiJson(body): ApiJson<LoginRequest>,
) -> AppResult<Json<TokenResponse>> {
    Ok(Json(
        service::login(&state, client, &body.username, body.password).await?,
    ))
}

/// Trade a refresh token for a new pair (the old one stops working).
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshRequest, security(()),
    responses((status = 200, body = TokenResponse), (status = 401, body = ErrorBody)))]
async fn refresh(
    State(state): State<AppState>,
    client: ClientMeta,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> AppResult<Json<TokenResponse>> {
    Ok(Json(service::refresh(&state, client, &body.refresh_token).await?))
}

/// Sign out: revokes the refresh token's session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", request_body = RefreshRequest, security(()),
    responses((status = 204)))]
async fn logout(
    State(state): State<AppState>,
    client: ClientMeta,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> AppResult<StatusCode> {
    service::logout(&state, client, &body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user and their permissions.
#[utoipa::path(get, path = "/auth/me", tag = "auth", responses((status = 200, body = MeView), (status = 401, body = ErrorBody)))]
async fn me(
    State(state): State<AppState>,
    PasswordChangePending(principal): PasswordChangePending,
) -> AppResult<Json<MeView>> {
    let account = users::find(&state.db, principal.user_id).await?;
    Ok(Json(MeView {
        user: account.into(),
        permissions: principal.role.permissions(),
    }))
}

/// Change one's own password. Ends every other session and returns new tokens.
#[utoipa::path(post, path = "/auth/password", tag = "auth", request_body = PasswordRequest,
    responses((status = 200, body = TokenResponse), (status = 400, body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    PasswordChangePending(principal): PasswordChangePending,
    ApiJson(body): ApiJson<PasswordRequest>,
) -> AppResult<Json<TokenResponse>> {
    Ok(Json(
        service::change_password(&state, &principal, body.current_password, body.new_password).await?,
    ))
}
