//! Access tokens (JWT, HS256, 2 h) and refresh tokens (opaque random, 7 d,
//! stored only as a SHA-256 hash). The signing key lives in the database so
//! every instance behind a load balancer signs and checks the same tokens.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::entity::app_secret;
use crate::error::is_unique_violation;

pub const ACCESS_TOKEN_SECS: i64 = 2 * 60 * 60;
pub const REFRESH_TOKEN_SECS: i64 = 7 * 24 * 60 * 60;
const SIGNING_KEY_NAME: &str = "jwt_signing_key";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// User id, as a string: JWT's `sub` is a string claim.
    pub sub: String,
    /// The user's token_version when issued; a bump revokes the token.
    pub ver: i32,
    pub iat: i64,
    pub exp: i64,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl TokenKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// Loads the shared signing key, creating it on first start. Two
    /// instances starting at once race on the primary key; the loser reads
    /// the winner's key.
    pub async fn load_or_create(db: &DatabaseConnection) -> anyhow::Result<Self> {
        if let Some(row) = app_secret::Entity::find_by_id(SIGNING_KEY_NAME).one(db).await? {
            return Self::from_stored(&row.value);
        }
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let encoded = URL_SAFE_NO_PAD.encode(secret);
        let row = app_secret::ActiveModel {
            name: Set(SIGNING_KEY_NAME.into()),
            value: Set(encoded.clone()),
            created_at: Set(Utc::now()),
        };
        match row.insert(db).await {
            Ok(_) => Ok(Self::from_secret(&secret)),
            Err(err) if is_unique_violation(&err) => {
                let row = app_secret::Entity::find_by_id(SIGNING_KEY_NAME)
                    .one(db)
                    .await?
                    .context("signing key vanished after a concurrent insert")?;
                Self::from_stored(&row.value)
            }
            Err(err) => Err(err).context("cannot store the token signing key"),
        }
    }

    fn from_stored(value: &str) -> anyhow::Result<Self> {
        let secret = URL_SAFE_NO_PAD
            .decode(value)
            .context("stored signing key is not base64")?;
        Ok(Self::from_secret(&secret))
    }

    pub fn issue_access(&self, user_id: i64, token_version: i32, now: DateTime<Utc>) -> anyhow::Result<String> {
        let claims = Claims {
            sub: user_id.to_string(),
            ver: token_version,
            iat: now.timestamp(),
            exp: now.timestamp() + ACCESS_TOKEN_SECS,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).context("jwt encode")
    }

    /// The user id and token version of a valid, unexpired token of ours;
    /// None for anything else.
    pub fn verify_access(&self, token: &str) -> Option<(i64, i32)> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .and_then(|data| Some((data.claims.sub.parse().ok()?, data.claims.ver)))
    }
}

/// A new opaque refresh token: 256 random bits, URL-safe.
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_refresh_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_signed_with_another_key_is_rejected() {
        let ours = TokenKeys::from_secret(b"ours-ours-ours-ours-ours-ours-32");
        let theirs = TokenKeys::from_secret(b"theirs-theirs-theirs-theirs-32by");
        let token = theirs.issue_access(1, 0, Utc::now()).unwrap();
        assert!(ours.verify_access(&token).is_none());
        assert_eq!(theirs.verify_access(&token), Some((1, 0)));
    }

    #[test]
    fn an_expired_token_is_rejected() {
        let keys = TokenKeys::from_secret(b"ours-ours-ours-ours-ours-ours-32");
        let issued = Utc::now() - chrono::Duration::seconds(ACCESS_TOKEN_SECS + 60);
        let token = keys.issue_access(1, 0, issued).unwrap();
        assert!(keys.verify_access(&token).is_none());
    }

    #[test]
    fn refresh_tokens_are_unique_and_hashed() {
        let (a, b) = (new_refresh_token(), new_refresh_token());
        assert_ne!(a, b);
        assert_eq!(hash_refresh_token(&a).len(), 64);
    }
}
