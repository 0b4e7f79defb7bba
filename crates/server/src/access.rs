//! The one access mechanism every route uses: who is calling (from the Bearer
//! token, checked against the database on every request so a disabled user,
//! a changed password or a signed-out session takes effect at once), what their role permits, and
//! which customers' records they may see.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use opcms_domain::{DataScope, Permission, Role, ScopeSetting};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::audit::Actor;
use crate::auth::sessions::session_is_live;
use crate::error::AppError;
use crate::http::extract::{ClientMeta, bearer_token, client_meta};
use crate::state::AppState;
use crate::users::entity as user;

/// A signed-in user who may use the API. Rejects users who still have to
/// change their password; see [`PasswordChangePending`] for the few routes
/// they may use.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub must_change_password: bool,
    pub client: ClientMeta,
    /// Whose customers the user may see, as set for the user (or the role's
    /// default), with the team's members read on this request.
    pub data_scope: DataScope,
}

impl Principal {
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.role.can(permission) {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }

    pub fn scope(&self) -> DataScope {
        self.data_scope.clone()
    }
}

fn unauthorized(code: &'static str, message: &str) -> AppError {
    AppError::Unauthorized {
        code,
        message: message.into(),
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, AppError> {
    let token = bearer_token(&parts.headers).ok_or_else(|| unauthorized("UNAUTHENTICATED", "请先登录"))?;
    let claims = state
        .keys
        .verify_access(token)
        .ok_or_else(|| unauthorized("INVALID_TOKEN", "登录已过期或凭证无效，请重新登录"))?;
    let account = user::Entity::find_by_id(claims.user_id)
        .one(&state.db)
        .await?
        .filter(|u| !u.is_deleted)
        .ok_or_else(|| unauthorized("INVALID_TOKEN", "登录已过期或凭证无效，请重新登录"))?;
    if account.status != "active" {
        return Err(unauthorized("ACCOUNT_DISABLED", "账号已停用，请联系管理员"));
    }
    if account.token_version != claims.token_version || !session_is_live(&state.db, account.id, &claims.session).await?
    {
        return Err(unauthorized("INVALID_TOKEN", "登录已失效，请重新登录"));
    }
    let role = Role::parse(&account.role)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("user {} has unknown role {}", account.id, account.role)))?;
    let setting = scope_setting(&account, role);
    let data_scope = data_scope(&state.db, &account, setting).await?;
    Ok(Principal {
        data_scope,
        user_id: account.id,
        username: account.username,
        display_name: account.display_name,
        role,
        must_change_password: account.must_change_password,
        client: client_meta(parts, state.config.trust_forwarded_for),
    })
}

/// The scope set for a user, or the role's default.
pub fn scope_setting(account: &user::Model, role: Role) -> ScopeSetting {
    account
        .data_scope
        .as_deref()
        .and_then(ScopeSetting::parse)
        .unwrap_or(role.default_scope())
}

/// A user's data scope now: a team scope lists the team's current members.
async fn data_scope(
    db: &impl ConnectionTrait,
    account: &user::Model,
    setting: ScopeSetting,
) -> Result<DataScope, AppError> {
    let members = match (setting, account.team_id) {
        (ScopeSetting::Team, Some(team)) => {
            user::Entity::find()
                .select_only()
                .column(user::Column::Id)
                .filter(user::Column::TeamId.eq(team))
                .filter(user::Column::IsDeleted.eq(false))
                .into_tuple::<i64>()
                .all(db)
                .await?
        }
        _ => Vec::new(),
    };
    Ok(DataScope::of(setting, account.id, &members))
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let principal = authenticate(parts, state).await?;
        if principal.must_change_password {
            return Err(AppError::Forbidden {
                code: "PASSWORD_CHANGE_REQUIRED",
                message: "首次登录或密码被重置后须先修改密码".into(),
            });
        }
        Ok(principal)
    }
}

/// A signed-in user who may still have to change their password: accepted
/// only by `me`, `password` and `logout`.
pub struct PasswordChangePending(pub Principal);

impl FromRequestParts<AppState> for PasswordChangePending {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        authenticate(parts, state).await.map(PasswordChangePending)
    }
}

/// What the audit log records of a signed-in caller.
impl From<&Principal> for Actor {
    fn from(p: &Principal) -> Actor {
        Actor {
            user_id: Some(p.user_id),
            name: p.username.clone(),
            client: p.client.clone(),
        }
    }
}
