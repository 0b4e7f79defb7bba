//! Secrets the application keeps in the database, so that every instance
//! behind a load balancer shares them: the access-token signing key and the
//! blind index key. Each is a random 32-byte key stored *encrypted* with the
//! master key (bound to its name), so reading the database alone forges no
//! token and reverses no index; rotating the master key re-encrypts them
//! (`opcms rotate-key`) without changing them, so sessions and search
//! indexes survive a rotation.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait};

use crate::crypto::{Binding, Keyring};
use crate::error::is_unique_violation;

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "app_secrets")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        /// Encrypted (crypto::Keyring, bound to `name`), except
        /// `master_key_id`, which only names the key in use.
        pub value: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub const TOKEN_SIGNING_KEY: &str = "token_signing_key";
pub const BLIND_INDEX_KEY: &str = "blind_index_key";
/// The id of the master key the database's values are encrypted with; not a
/// secret, and not encrypted.
pub const MASTER_KEY_ID: &str = "master_key_id";
/// The encrypted secrets, for `rotate-key`.
pub const ENCRYPTED: [&str; 2] = [TOKEN_SIGNING_KEY, BLIND_INDEX_KEY];

pub fn binding(name: &str) -> Binding {
    Binding::new("app_secrets", "value", name)
}

/// What the server needs from the database's secrets.
pub struct AppSecrets {
    pub token_signing_key: [u8; 32],
}

/// Checks the keyring is the database's ([`ensure_same_master_key`]), then
/// [`load`]s the secrets: what every process that reads encrypted values
/// does first.
pub async fn unlock(db: &DatabaseConnection, keyring: &mut Keyring) -> anyhow::Result<AppSecrets> {
    ensure_same_master_key(db, keyring).await?;
    load(db, keyring).await
}

/// Loads the shared secrets, creating them on first start, and gives the
/// keyring its blind index key. The index key starts as the one earlier
/// releases derived from the master key, so existing indexes stay valid.
pub async fn load(db: &DatabaseConnection, keyring: &mut Keyring) -> anyhow::Result<AppSecrets> {
    let legacy_index_key = keyring.legacy_index_key();
    let index_key = load_or_create(db, keyring, BLIND_INDEX_KEY, || legacy_index_key).await?;
    keyring.set_index_key(index_key);
    let token_signing_key = load_or_create(db, keyring, TOKEN_SIGNING_KEY, rand::random).await?;
    Ok(AppSecrets { token_signing_key })
}

/// One secret: read and decrypted, or made by `initial` and stored. Two
/// instances starting at once race on the primary key; the loser reads the
/// winner's.
async fn load_or_create(
    db: &impl ConnectionTrait,
    keyring: &Keyring,
    name: &str,
    initial: impl FnOnce() -> [u8; 32],
) -> anyhow::Result<[u8; 32]> {
    if let Some(row) = entity::Entity::find_by_id(name).one(db).await? {
        return open(keyring, &row);
    }
    let secret = initial();
    let row = entity::ActiveModel {
        name: Set(name.into()),
        value: Set(keyring.encrypt(&binding(name), &URL_SAFE_NO_PAD.encode(secret))?),
        created_at: Set(Utc::now()),
    };
    match row.insert(db).await {
        Ok(_) => Ok(secret),
        Err(err) if is_unique_violation(&err) => {
            let row = entity::Entity::find_by_id(name)
                .one(db)
                .await?
                .with_context(|| format!("secret {name} vanished after a concurrent insert"))?;
            open(keyring, &row)
        }
        Err(err) => Err(err).with_context(|| format!("cannot store the secret {name}")),
    }
}

fn open(keyring: &Keyring, row: &entity::Model) -> anyhow::Result<[u8; 32]> {
    let text = keyring.decrypt(&binding(&row.name), &row.value).with_context(|| {
        format!(
            "cannot decrypt the stored secret {} (is OPCMS_MASTER_KEY right?)",
            row.name
        )
    })?;
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .with_context(|| format!("stored secret {} is not base64", row.name))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| anyhow::anyhow!("stored secret {} is not 32 bytes", row.name))
}

/// Refuses to start with a master key other than the one the database's
/// encrypted fields were written with: a second instance with its own key
/// file would otherwise write values nobody else can read. A key listed in
/// `OPCMS_PREVIOUS_KEYS` counts: that is how instances run during a rotation.
pub async fn ensure_same_master_key(db: &DatabaseConnection, keyring: &Keyring) -> anyhow::Result<()> {
    let stored = entity::Entity::find_by_id(MASTER_KEY_ID).one(db).await?;
    match stored {
        Some(row) if keyring.knows_key(&row.value) => Ok(()),
        Some(row) => anyhow::bail!(
            "the database's encrypted fields use master key {} but this instance has key {}: \
             set OPCMS_MASTER_KEY to the key the other instances use (or list the old key in \
             OPCMS_PREVIOUS_KEYS while rotating)",
            row.value,
            keyring.current_key_id()
        ),
        None => {
            let row = entity::ActiveModel {
                name: Set(MASTER_KEY_ID.into()),
                value: Set(keyring.current_key_id().into()),
                created_at: Set(Utc::now()),
            };
            match row.insert(db).await {
                Ok(_) => Ok(()),
                // Another instance recorded its key first: check against it.
                Err(err) if is_unique_violation(&err) => Box::pin(ensure_same_master_key(db, keyring)).await,
                Err(err) => Err(err.into()),
            }
        }
    }
}

/// Records that every value is now encrypted with the current key (after a
/// complete rotation), so an instance with only the old key refuses to start.
pub async fn record_master_key(db: &impl ConnectionTrait, keyring: &Keyring) -> anyhow::Result<()> {
    use sea_orm::sea_query::OnConflict;
    let row = entity::ActiveModel {
        name: Set(MASTER_KEY_ID.into()),
        value: Set(keyring.current_key_id().into()),
        created_at: Set(Utc::now()),
    };
    entity::Entity::insert(row)
        .on_conflict(
            OnConflict::column(entity::Column::Name)
                .update_column(entity::Column::Value)
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}
