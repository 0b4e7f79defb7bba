//! Argon2id password hashing. Hashing is CPU-heavy (~tens of ms), so callers
//! run it on the blocking pool rather than on an async worker.

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
    .await
    .context("password hashing task")?
}

/// Verifies a password against a stored PHC string. A malformed stored hash
/// counts as a mismatch rather than an error a client could observe.
pub async fn verify(password: String, stored_hash: String) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&stored_hash) else {
            return false;
        };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
    })
    .await
    .context("password verification task")
}

/// A valid hash of a random password: verified against when the username is
/// unknown, so that timing does not reveal which accounts exist.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$V8c4JXb7lI6WZ7qHXs1XsDXgBkzd8dCjLKYpzxWbhO4";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_dummy_hash_parses_so_unknown_users_cost_a_real_verification() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify("anything".into(), DUMMY_HASH.into()).await.unwrap());
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let stored = hash("Secret123".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("Secret123".into(), stored.clone()).await.unwrap());
        assert!(!verify("Secret124".into(), stored).await.unwrap());
    }
}
