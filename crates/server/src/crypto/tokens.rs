//! Access tokens (JWT, HS256, 2 h) and refresh tokens (opaque random, 7 d,
//! stored only as a SHA-256 hash). The signing key is one of the database's
//! encrypted secrets (crate::secrets), so every instance behind a load
//! balancer signs and checks the same tokens and the database alone cannot
//! forge one. An access token names its session (the refresh-token family):
//! once the session is revoked, its access tokens stop working too.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const ACCESS_TOKEN_SECS: i64 = 2 * 60 * 60;
pub const REFRESH_TOKEN_SECS: i64 = 7 * 24 * 60 * 60;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// User id, as a string: JWT's `sub` is a string claim.
    pub sub: String,
    /// The user's token_version when issued; a bump revokes the token.
    pub ver: i32,
    /// The session (refresh-token family) the token belongs to.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
}

/// A verified access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    pub user_id: i64,
    pub token_version: i32,
    pub session: String,
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

    pub fn issue_access(
        &self,
        user_id: i64,
        token_version: i32,
        session: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            sub: user_id.to_string(),
            ver: token_version,
            sid: session.to_string(),
            iat: now.timestamp(),
            exp: now.timestamp() + ACCESS_TOKEN_SECS,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).context("jwt encode")
    }

    /// What a valid, unexpired token of ours says; None for anything else
    /// (tokens issued before sessions were named included).
    pub fn verify_access(&self, token: &str) -> Option<AccessClaims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()?
            .claims;
        Some(AccessClaims {
            user_id: claims.sub.parse().ok()?,
            token_version: claims.ver,
            session: claims.sid,
        })
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
        let token = theirs.issue_access(1, 0, "s1", Utc::now()).unwrap();
        assert!(ours.verify_access(&token).is_none());
        assert_eq!(
            theirs.verify_access(&token),
            Some(AccessClaims {
                user_id: 1,
                token_version: 0,
                session: "s1".into()
            })
        );
    }

    #[test]
    fn an_expired_token_is_rejected() {
        let keys = TokenKeys::from_secret(b"ours-ours-ours-ours-ours-ours-32");
        let issued = Utc::now() - chrono::Duration::seconds(ACCESS_TOKEN_SECS + 60);
        let token = keys.issue_access(1, 0, "s1", issued).unwrap();
        assert!(keys.verify_access(&token).is_none());
    }

    #[test]
    fn refresh_tokens_are_unique_and_hashed() {
        let (a, b) = (new_refresh_token(), new_refresh_token());
        assert_ne!(a, b);
        assert_eq!(hash_refresh_token(&a).len(), 64);
    }
}
