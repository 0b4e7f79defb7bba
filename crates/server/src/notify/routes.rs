//! `/notifications`, `/notification-templates`, and a customer's
//! notifications and opt-outs (DESIGN.md §17; docs/api/notifications.md).

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use opcms_domain::Permission;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::channels::ChannelStatus;
use super::log::{NotificationQuery, NotificationView};
use super::opt_out::NotificationPreferences;
use super::templates::{self, TemplateInput, TemplatePreview, TemplatePreviewInput, TemplateView};
use crate::access::Principal;
use crate::audit::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageParams, PageRequest};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(channels))
        .routes(routes!(resend))
        .routes(routes!(notification_attachment))
        .routes(routes!(list_templates))
        .routes(routes!(save_template, reset_template))
        .routes(routes!(preview_template))
        .routes(routes!(customer_notifications))
        .routes(routes!(get_preferences, put_preferences))
}

/// The notification log, newest first, filtered.
#[utoipa::path(get, path = "/notifications", tag = "notifications", params(PageParams, NotificationQuery),
    responses((status = 200, body = Page<NotificationView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_notifications(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<NotificationQuery>,
    page: PageRequest,
) -> AppResult<Json<Page<NotificationView>>> {
    principal.require(Permission::NotificationsView)?;
    let (items, total) = super::log::list(&state, &principal.scope(), &query, page).await?;
    Ok(Json(Page::new(items, total, page)))
}

/// Which channels this installation can send on.
#[utoipa::path(get, path = "/notifications/channels", tag = "notifications",
    responses((status = 200, body = ChannelStatus), (status = 403, body = ErrorBody)))]
async fn channels(State(state): State<AppState>, principal: Principal) -> AppResult<Json<ChannelStatus>> {
    principal.require(Permission::NotificationsView)?;
    Ok(Json(super::channels::channel_status(&state.config)))
}

/// Queues a failed notification again. 409 NOT_RESENDABLE otherwise.
#[utoipa::path(post, path = "/notifications/{id}/resend", tag = "notifications",
    responses((status = 200, body = NotificationView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn resend(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<NotificationView>> {
    principal.require(Permission::NotificationsManage)?;
    Ok(Json(super::log::resend(&state, &Actor::from(&principal), id).await?))
}

/// The attachment a sent e-mail carried (the bill PDF), exactly as sent,
/// from file storage; 404 when none was kept (no attachment, or storage
/// unavailable when it went out), 503 while the storage is down. Audited.
#[utoipa::path(get, path = "/notifications/{id}/attachment", tag = "notifications",
    responses((status = 200, description = "the attachment as sent", content_type = "application/pdf"),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn notification_attachment(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Response> {
    principal.require(Permission::NotificationsView)?;
    super::attachment::download(&state, &Actor::from(&principal), &principal.scope(), id).await
}

/// Every template in force, per event and channel.
#[utoipa::path(get, path = "/notification-templates", tag = "notifications",
    responses((status = 200, body = Vec<TemplateView>), (status = 403, body = ErrorBody)))]
async fn list_templates(State(state): State<AppState>, principal: Principal) -> AppResult<Json<Vec<TemplateView>>> {
    principal.require(Permission::NotificationsView)?;
    Ok(Json(templates::list(&state).await?))
}

/// Saves a template; 400 naming an unknown variable.
#[utoipa::path(put, path = "/notification-templates/{event}/{channel}", tag = "notifications", request_body = TemplateInput,
    responses((status = 200, body = TemplateView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn save_template(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((event, channel)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> AppResult<Json<TemplateView>> {
    principal.require(Permission::NotificationsManage)?;
    let (event, channel) = templates::parse_key(&event, &channel)?;
    Ok(Json(
        templates::save(&state, &Actor::from(&principal), event, channel, input).await?,
    ))
}

/// Back to the built-in template.
#[utoipa::path(delete, path = "/notification-templates/{event}/{channel}", tag = "notifications",
    responses((status = 200, body = TemplateView), (status = 404, body = ErrorBody)))]
async fn reset_template(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((event, channel)): ApiPath<(String, String)>,
) -> AppResult<Json<TemplateView>> {
    principal.require(Permission::NotificationsManage)?;
    let (event, channel) = templates::parse_key(&event, &channel)?;
    Ok(Json(
        templates::reset(&state, &Actor::from(&principal), event, channel).await?,
    ))
}

/// Renders an unsaved template against a real bill.
#[utoipa::path(post, path = "/notification-templates/preview", tag = "notifications", request_body = TemplatePreviewInput,
    responses((status = 200, body = TemplatePreview), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn preview_template(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<TemplatePreviewInput>,
) -> AppResult<Json<TemplatePreview>> {
    principal.require(Permission::NotificationsView)?;
    Ok(Json(templates::preview(&state, input).await?))
}

/// A customer's notifications, newest first (its page's 通知 tab).
#[utoipa::path(get, path = "/customers/{id}/notifications", tag = "notifications", params(PageParams),
    responses((status = 200, body = Page<NotificationView>), (status = 404, body = ErrorBody)))]
async fn customer_notifications(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    page: PageRequest,
) -> AppResult<Json<Page<NotificationView>>> {
    principal.require(Permission::CustomersView)?;
    crate::customers::service::find_visible(&state.db, &principal.scope(), id).await?;
    let query = NotificationQuery {
        customer_id: Some(id),
        ..NotificationQuery::default()
    };
    let (items, total) = super::log::list(&state, &principal.scope(), &query, page).await?;
    Ok(Json(Page::new(items, total, page)))
}

/// Which channels the customer receives.
#[utoipa::path(get, path = "/customers/{id}/notification-preferences", tag = "notifications",
    responses((status = 200, body = NotificationPreferences), (status = 404, body = ErrorBody)))]
async fn get_preferences(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<NotificationPreferences>> {
    principal.require(Permission::CustomersView)?;
    crate::customers::service::find_visible(&state.db, &principal.scope(), id).await?;
    Ok(Json(super::opt_out::preferences_of(&state.db, id).await?))
}

/// Opts the customer in or out per channel (contact editors, sales on its own).
#[utoipa::path(put, path = "/customers/{id}/notification-preferences", tag = "notifications", request_body = NotificationPreferences,
    responses((status = 200, body = NotificationPreferences), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn put_preferences(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<NotificationPreferences>,
) -> AppResult<Json<NotificationPreferences>> {
    principal.require(Permission::CustomersEditContact)?;
    Ok(Json(
        super::opt_out::set_preferences(&state, &Actor::from(&principal), &principal.scope(), id, input).await?,
    ))
}
