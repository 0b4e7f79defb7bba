//! Sessions (refresh-token families) as the rest of the server sees them:
//! whether one is still live (checked for every access token) and ending all
//! of a user's at once. Low in the module graph on purpose: `access` and
//! `users` use it without depending on the sign-in service.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::entity::refresh_token;
use crate::error::AppResult;

/// Ends every session of a user (password change, reset, disable).
pub async fn revoke_all_sessions(db: &impl ConnectionTrait, user_id: i64) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Whether a session (refresh-token family) can still be used: not signed
/// out, not revoked by reuse detection or a password change, not expired.
/// Checked for every access token, so signing out ends it at once.
pub async fn session_is_live(db: &impl ConnectionTrait, user_id: i64, session: &str) -> AppResult<bool> {
    let live = refresh_token::Entity::find()
        .filter(refresh_token::Column::FamilyId.eq(session))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .filter(refresh_token::Column::ExpiresAt.gt(Utc::now()))
        .count(db)
        .await?;
    Ok(live > 0)
}

/// Deletes refresh tokens that expired over a day ago (`maintenance.prune`):
/// they can no longer be used, and a token that is gone is refused as
/// firmly as an expired one.
pub async fn prune_expired(db: &impl ConnectionTrait) -> AppResult<u64> {
    Ok(refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::ExpiresAt.lt(Utc::now() - chrono::Duration::days(1)))
        .exec(db)
        .await?
        .rows_affected)
}
