use chrono::{DateTime, Duration, Utc};
use opcms_domain::account::check_new_password;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use super::entity::refresh_token;
use super::password;
use super::sessions::revoke_all_sessions;
use super::throttle;
use crate::access::Principal;
use crate::audit::{self, Actor, Entry};
use crate::crypto::tokens::{ACCESS_TOKEN_SECS, REFRESH_TOKEN_SECS, hash_refresh_token, new_refresh_token};
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::http::extract::ClientMeta;
use crate::state::AppState;
use crate::users::entity as user;
use crate::users::{UserView, service as users};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Lifetime of the access token in seconds.
    pub expires_in: i64,
    pub token_type: &'static str,
    pub user: UserView,
}

fn invalid_credentials() -> AppError {
    AppError::Unauthorized {
        code: "INVALID_CREDENTIALS",
        message: "用户名或密码错误".into(),
    }
}

fn invalid_refresh() -> AppError {
    AppError::Unauthorized {
        code: "INVALID_REFRESH_TOKEN",
        message: "登录已过期，请重新登录".into(),
    }
}

pub async fn login(
    state: &AppState,
    client: ClientMeta,
    username: &str,
    password_text: String,
) -> AppResult<TokenResponse> {
    let username = username.trim().to_lowercase();
    if username.is_empty() || password_text.is_empty() {
        let mut fields = Vec::new();
        if username.is_empty() {
            fields.push(opcms_domain::FieldError::new("username", "REQUIRED", "请输入用户名"));
        }
        if password_text.is_empty() {
            fields.push(opcms_domain::FieldError::new("password", "REQUIRED", "请输入密码"));
        }
        return Err(AppError::Validation(fields));
    }
    // Longer than any real username: don't store attacker-sized strings.
    let username: String = username.chars().take(64).collect();
    let ip = client.ip.clone().unwrap_or_else(|| "unknown".into());
    let now = Utc::now();
    let limits = throttle::Limits::from_config(&state.config);
    let reservation = throttle::reserve(&state.db, &limits, &username, &ip, now).await?;

    let account = user::Entity::find()
        .filter(user::Column::Username.eq(&username))
        .filter(user::Column::IsDeleted.eq(false))
        .one(&state.db)
        .await?;
    let stored_hash = account
        .as_ref()
        .map_or(password::DUMMY_HASH.to_string(), |u| u.password_hash.clone());
    let matches = password::verify(password_text, stored_hash).await?;
    let actor = Actor {
        user_id: account.as_ref().map(|u| u.id),
        name: username.clone(),
        client,
    };

    let Some(account) = account.filter(|_| matches) else {
        // The reserved attempt stays counted: it was a failure.
        let txn = begin_write(&state.db).await?;
        audit::record(
            &txn,
            &actor,
            Entry {
                action: "auth.login_failed",
                entity_type: "session",
                entity_id: None,
                changes: None,
            },
        )
        .await?;
        txn.commit().await?;
        return Err(invalid_credentials());
    };
    let txn = begin_write(&state.db).await?;
    throttle::succeeded(&txn, reservation).await?;
    if account.status != "active" {
        txn.commit().await?;
        return Err(AppError::Forbidden {
            code: "ACCOUNT_DISABLED",
            message: "账号已停用，请联系管理员".into(),
        });
    }
    let mut row: user::ActiveModel = account.clone().into();
    row.last_login_at = Set(Some(now));
    let account = row.update(&txn).await?;
    let session = Uuid::new_v4().to_string();
    let refresh = start_session(&txn, account.id, &session, now).await?;
    audit::record(
        &txn,
        &actor,
        Entry {
            action: "auth.login",
            entity_type: "session",
            entity_id: Some(account.id.to_string()),
            changes: None,
        },
    )
    .await?;
    txn.commit().await?;
    token_response(state, account, &session, refresh, now)
}

/// Stores a new refresh token in a family and returns the token itself.
async fn start_session(
    db: &impl ConnectionTrait,
    user_id: i64,
    family_id: &str,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let token = new_refresh_token();
    refresh_token::ActiveModel {
        id: NotSet,
        user_id: Set(user_id),
        family_id: Set(family_id.to_string()),
        token_hash: Set(hash_refresh_token(&token)),
        created_at: Set(now),
        expires_at: Set(now + Duration::seconds(REFRESH_TOKEN_SECS)),
        rotated_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

fn token_response(
    state: &AppState,
    account: user::Model,
    session: &str,
    refresh_token: String,
    now: DateTime<Utc>,
) -> AppResult<TokenResponse> {
    Ok(TokenResponse {
        access_token: state
            .keys
            .issue_access(account.id, account.token_version, session, now)?,
        refresh_token,
        expires_in: ACCESS_TOKEN_SECS,
        token_type: "Bearer",
        user: account.into(),
    })
}

async fn revoke_family(db: &impl ConnectionTrait, family_id: &str) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The audit actor for a session event: the session's user by username.
async fn session_actor(db: &impl ConnectionTrait, user_id: i64, client: ClientMeta) -> AppResult<Actor> {
    let name = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map_or_else(|| format!("user#{user_id}"), |u| u.username);
    Ok(Actor {
        user_id: Some(user_id),
        name,
        client,
    })
}

/// Trades a refresh token for a new pair. Each token works once: presenting
/// a rotated one means it was copied, so its whole family is revoked.
pub async fn refresh(state: &AppState, client: ClientMeta, token: &str) -> AppResult<TokenResponse> {
    let now = Utc::now();
    let txn = begin_write(&state.db).await?;
    // Find the row without a lock, then lock it by primary key. A locking
    // read through the unique hash index takes a next-key lock on MySQL, and a
    // second request waiting for it blocks the winner's insert of the new
    // token into that index's gap: a deadlock, and a 500 for one of them.
    let Some(id) = refresh_token::Entity::find()
        .select_only()
        .column(refresh_token::Column::Id)
        .filter(refresh_token::Column::TokenHash.eq(hash_refresh_token(token)))
        .into_tuple::<i64>()
        .one(&txn)
        .await?
    else {
        return Err(invalid_refresh());
    };
    let Some(stored) = refresh_token::Entity::find_by_id(id).lock_exclusive().one(&txn).await? else {
        return Err(invalid_refresh());
    };
    if stored.revoked_at.is_some() || stored.expires_at <= now {
        return Err(invalid_refresh());
    }
    // The conditional update is the arbiter: of two concurrent uses of one
    // token, exactly one sees a row to rotate.
    let rotated = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RotatedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(stored.id))
        .filter(refresh_token::Column::RotatedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    if stored.rotated_at.is_some() || rotated == 0 {
        revoke_family(&txn, &stored.family_id).await?;
        let actor = session_actor(&txn, stored.user_id, client).await?;
        audit::record(
            &txn,
            &actor,
            Entry {
                action: "auth.refresh_reuse_detected",
                entity_type: "session",
                entity_id: Some(stored.user_id.to_string()),
                changes: None,
            },
        )
        .await?;
        txn.commit().await?;
        return Err(invalid_refresh());
    }
    let account = users::find(&txn, stored.user_id).await.map_err(|_| invalid_refresh())?;
    if account.status != "active" {
        return Err(invalid_refresh());
    }
    let new_token = start_session(&txn, account.id, &stored.family_id, now).await?;
    txn.commit().await?;
    token_response(state, account, &stored.family_id, new_token, now)
}

/// Ends the session the refresh token belongs to. Unknown tokens are fine:
/// signing out twice is not an error.
pub async fn logout(state: &AppState, client: ClientMeta, token: &str) -> AppResult<()> {
    let Some(stored) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_refresh_token(token)))
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    let txn = begin_write(&state.db).await?;
    revoke_family(&txn, &stored.family_id).await?;
    let actor = session_actor(&txn, stored.user_id, client).await?;
    audit::record(
        &txn,
        &actor,
        Entry {
            action: "auth.logout",
            entity_type: "session",
            entity_id: Some(stored.user_id.to_string()),
            changes: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn change_password(
    state: &AppState,
    principal: &Principal,
    current_password: String,
    new_password: String,
) -> AppResult<TokenResponse> {
    let account = users::find(&state.db, principal.user_id).await?;
    if !password::verify(current_password.clone(), account.password_hash.clone()).await? {
        return Err(AppError::field("current_password", "WRONG_PASSWORD", "当前密码不正确"));
    }
    check_new_password(
        "new_password",
        &account.username,
        &new_password,
        Some(&current_password),
    )
    .map_err(|e| AppError::Validation(vec![e]))?;
    let hash = password::hash(new_password).await?;
    let now = Utc::now();
    let txn = begin_write(&state.db).await?;
    let mut row: user::ActiveModel = account.clone().into();
    row.password_hash = Set(hash);
    row.must_change_password = Set(false);
    row.token_version = Set(account.token_version + 1);
    row.updated_at = Set(now);
    row.updated_by = Set(Some(principal.user_id));
    let account = row.update(&txn).await?;
    revoke_all_sessions(&txn, account.id).await?;
    let session = Uuid::new_v4().to_string();
    let refresh = start_session(&txn, account.id, &session, now).await?;
    audit::record(
        &txn,
        &Actor::from(principal),
        Entry {
            action: "auth.password_change",
            entity_type: "user",
            entity_id: Some(account.id.to_string()),
            changes: Some(serde_json::json!({"password": {"before": "***", "after": "***"}})),
        },
    )
    .await?;
    txn.commit().await?;
    token_response(state, account, &session, refresh, now)
}
