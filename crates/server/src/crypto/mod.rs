//! Field encryption at rest (DESIGN.md §13): AES-256-GCM with a random nonce
//! per value, the key id stored with each ciphertext so keys can rotate, and
//! a keyed blind index (HMAC-SHA256) so exact-match search still works on
//! encrypted columns without storing the plaintext.
//!
//! Stored form: `v2:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`, sealed
//! with associated data naming the table, column and row the value belongs
//! to ([`Binding`]): a ciphertext copied into another row or column fails to
//! decrypt. `v1:` values (no associated data, written before bindings
//! existed) are still read; `opcms rotate-key` rewrites them as `v2:`.

pub mod tokens;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

const KEY_FILE: &str = "master.key";
const NONCE_LEN: usize = 12;
const VERSION: &str = "v2";

/// What a ciphertext belongs to: table, column and row (the row's stable
/// key: an id, or a business key that is known before the row is inserted).
/// Sealed into the value as AEAD associated data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding(String);

impl Binding {
    pub fn new(table: &str, column: &str, row: impl fmt::Display) -> Binding {
        Binding(format!("opcms:{table}.{column}:{row}"))
    }
}

struct Key {
    id: String,
    cipher: Aes256Gcm,
}

/// The current key (encrypts) and any previous ones (decrypt only).
pub struct Keyring {
    current: Key,
    previous: HashMap<String, Key>,
    index_key: [u8; 32],
}

fn key_id(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_key(what: &str, text: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = STANDARD
        .decode(text.trim())
        .with_context(|| format!("{what}: not base64"))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| anyhow::anyhow!("{what}: must be 32 bytes (base64 of 32 random bytes)"))
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

impl Keyring {
    pub fn from_keys(current: [u8; 32], previous: &[[u8; 32]]) -> Keyring {
        let make = |bytes: &[u8; 32]| Key {
            id: key_id(bytes),
            cipher: Aes256Gcm::new(bytes.into()),
        };
        // Until the database's own index key is loaded (crate::secrets), the
        // one derived as releases before it did: from the oldest key given.
        let index_root = previous.last().unwrap_or(&current);
        Keyring {
            current: make(&current),
            previous: previous
                .iter()
                .filter(|k| key_id(*k) != key_id(&current))
                .map(|k| (key_id(k), make(k)))
                .collect(),
            index_key: hmac(index_root, b"opcms blind index v1"),
        }
    }

    /// The current key from `OPCMS_MASTER_KEY` (base64 of 32 bytes), else
    /// from `<data dir>/master.key`, created with mode 0600 on first run;
    /// `previous` (from `OPCMS_PREVIOUS_KEYS`) still decrypt.
    pub fn load(configured: Option<&str>, previous: &[&str], data_dir: &Path) -> anyhow::Result<Keyring> {
        let previous = previous
            .iter()
            .enumerate()
            .map(|(i, text)| decode_key(&format!("OPCMS_PREVIOUS_KEYS (key {})", i + 1), text))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if let Some(text) = configured {
            return Ok(Keyring::from_keys(decode_key("OPCMS_MASTER_KEY", text)?, &previous));
        }
        let path = data_dir.join(KEY_FILE);
        if path.exists() {
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            return Ok(Keyring::from_keys(
                decode_key(&path.display().to_string(), &text)?,
                &previous,
            ));
        }
        crate::fsutil::create_private_dir(data_dir)?;
        let key: [u8; 32] = rand::random();
        match write_private(&path, &STANDARD.encode(key)) {
            Ok(()) => {
                tracing::warn!(path = %path.display(), "created a new master key file; back it up: without it encrypted fields cannot be read");
                Ok(Keyring::from_keys(key, &previous))
            }
            // Another process created it between our check and our write.
            Err(_) if path.exists() => {
                let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
                Ok(Keyring::from_keys(
                    decode_key(&path.display().to_string(), &text)?,
                    &previous,
                ))
            }
            Err(err) => Err(err),
        }
    }

    /// [`Keyring::load`] with the configured keys (`OPCMS_MASTER_KEY`,
    /// `OPCMS_PREVIOUS_KEYS`, the data directory's key file).
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Keyring> {
        let previous: Vec<&str> = config.previous_keys.iter().map(|k| k.expose()).collect();
        Keyring::load(
            config.master_key.as_ref().map(|k| k.expose()),
            &previous,
            &config.data_dir,
        )
    }

    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    pub fn knows_key(&self, id: &str) -> bool {
        self.current.id == id || self.previous.contains_key(id)
    }

    /// The key id and format of a stored value, when it is one of ours.
    fn parse(stored: &str) -> Option<(&str, &str, &str)> {
        let mut parts = stored.splitn(3, ':');
        let (Some(version @ ("v1" | "v2")), Some(id), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
            return None;
        };
        Some((version, id, data))
    }

    /// Whether a stored value is sealed with the current key in the current
    /// format (what `rotate-key` leaves behind).
    pub fn is_current(&self, stored: &str) -> bool {
        matches!(Self::parse(stored), Some((VERSION, id, _)) if id == self.current.id)
    }

    pub fn encrypt(&self, binding: &Binding, plaintext: &str) -> anyhow::Result<String> {
        let blob = self.seal(binding, plaintext.as_bytes())?;
        Ok(format!(
            "{VERSION}:{}:{}",
            self.current.id,
            URL_SAFE_NO_PAD.encode(blob)
        ))
    }

    pub fn decrypt(&self, binding: &Binding, stored: &str) -> anyhow::Result<String> {
        let Some((version, id, data)) = Self::parse(stored) else {
            bail!("not an encrypted value");
        };
        let blob = URL_SAFE_NO_PAD.decode(data).context("ciphertext is not base64")?;
        // v1 values were sealed before bindings existed.
        let aad: &[u8] = if version == "v1" { b"" } else { binding.0.as_bytes() };
        let plain = self.open(id, aad, &blob)?;
        String::from_utf8(plain).context("decrypted value is not UTF-8")
    }

    /// Seals a file (an uploaded spreadsheet kept in storage): the text
    /// header `v2:<key id>:` then nonce and ciphertext as raw bytes, so a
    /// file grows by a few dozen bytes, not by a third.
    pub fn encrypt_bytes(&self, binding: &Binding, plaintext: &[u8]) -> anyhow::Result<Vec<u8>> {
        let mut out = format!("{VERSION}:{}:", self.current.id).into_bytes();
        out.extend_from_slice(&self.seal(binding, plaintext)?);
        Ok(out)
    }

    pub fn decrypt_bytes(&self, binding: &Binding, stored: &[u8]) -> anyhow::Result<Vec<u8>> {
        let mut colons = stored.iter().enumerate().filter(|(_, b)| **b == b':').map(|(i, _)| i);
        let (Some(first), Some(second)) = (colons.next(), colons.next()) else {
            bail!("not an encrypted file");
        };
        if &stored[..first] != VERSION.as_bytes() {
            bail!("not an encrypted file");
        }
        let id = std::str::from_utf8(&stored[first + 1..second]).context("not an encrypted file")?;
        self.open(id, binding.0.as_bytes(), &stored[second + 1..])
    }

    /// Nonce and AES-256-GCM ciphertext under the current key.
    fn seal(&self, binding: &Binding, msg: &[u8]) -> anyhow::Result<Vec<u8>> {
        let nonce = Nonce::generate();
        let sealed = self
            .current
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg,
                    aad: binding.0.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Ok(blob)
    }

    /// Opens what [`Keyring::seal`] made with key `id` (current or previous).
    fn open(&self, id: &str, aad: &[u8], blob: &[u8]) -> anyhow::Result<Vec<u8>> {
        let key = if id == self.current.id {
            &self.current
        } else {
            self.previous
                .get(id)
                .with_context(|| format!("encrypted with unknown key {id}"))?
        };
        if blob.len() < NONCE_LEN {
            bail!("ciphertext too short");
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let nonce = Nonce::try_from(nonce).map_err(|_| anyhow::anyhow!("bad nonce"))?;
        key.cipher
            .decrypt(&nonce, Payload { msg: sealed, aad })
            .map_err(|_| anyhow::anyhow!("ciphertext failed authentication (wrong key, or a value of another row)"))
    }

    /// The blind index key legacy releases derived from the master key; the
    /// database keeps its own from then on (crate::secrets), so rotating the
    /// master key leaves every index valid.
    pub fn legacy_index_key(&self) -> [u8; 32] {
        self.index_key
    }

    pub fn set_index_key(&mut self, key: [u8; 32]) {
        self.index_key = key;
    }

    /// Deterministic keyed digest of a normalized value, for exact lookups.
    pub fn blind_index(&self, normalized: &str) -> String {
        hmac(&self.index_key, normalized.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone_of(row: i64) -> Binding {
        Binding::new("customers", "contact_phone_enc", row)
    }

    #[test]
    fn values_round_trip_and_differ_each_time() {
        let ring = Keyring::from_keys([7; 32], &[]);
        let a = ring.encrypt(&phone_of(1), "13800138000").unwrap();
        let b = ring.encrypt(&phone_of(1), "13800138000").unwrap();
        assert_ne!(a, b, "a random nonce per value");
        assert!(!a.contains("13800138000"));
        assert!(a.starts_with(&format!("v2:{}:", ring.current_key_id())));
        assert_eq!(ring.decrypt(&phone_of(1), &a).unwrap(), "13800138000");
        assert!(ring.is_current(&a));
    }

    #[test]
    fn files_round_trip_bound_to_their_row() {
        let ring = Keyring::from_keys([7; 32], &[]);
        let file = Binding::new("customer_imports", "original", 1);
        let plain = b"PK\x03\x04 a workbook: 13800138000".to_vec();
        let sealed = ring.encrypt_bytes(&file, &plain).unwrap();
        assert!(sealed.starts_with(format!("v2:{}:", ring.current_key_id()).as_bytes()));
        assert!(!sealed.windows(11).any(|w| w == b"13800138000"));
        assert_eq!(ring.decrypt_bytes(&file, &sealed).unwrap(), plain);
        let other = Binding::new("customer_imports", "original", 2);
        assert!(ring.decrypt_bytes(&other, &sealed).is_err());
        let rotated = Keyring::from_keys([8; 32], &[[7; 32]]);
        assert_eq!(rotated.decrypt_bytes(&file, &sealed).unwrap(), plain);
        assert!(Keyring::from_keys([9; 32], &[]).decrypt_bytes(&file, &sealed).is_err());
        assert!(ring.decrypt_bytes(&file, b"plain text").is_err());
    }

    #[test]
    fn a_value_copied_to_another_row_or_column_does_not_decrypt() {
        let ring = Keyring::from_keys([7; 32], &[]);
        let stored = ring.encrypt(&phone_of(1), "13800138000").unwrap();
        assert!(ring.decrypt(&phone_of(2), &stored).is_err());
        let email = Binding::new("customers", "contact_email_enc", 1);
        assert!(ring.decrypt(&email, &stored).is_err());
        let other_table = Binding::new("customer_imports", "contact_phone_enc", 1);
        assert!(ring.decrypt(&other_table, &stored).is_err());
    }

    #[test]
    fn legacy_unbound_values_still_read_and_are_not_current() {
        // A v1 value as releases before bindings wrote it: no associated data.
        let key = [7u8; 32];
        let cipher = Aes256Gcm::new((&key).into());
        let nonce = Nonce::generate();
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&cipher.encrypt(&nonce, b"li@example.cn".as_slice()).unwrap());
        let ring = Keyring::from_keys(key, &[]);
        let stored = format!("v1:{}:{}", ring.current_key_id(), URL_SAFE_NO_PAD.encode(blob));
        assert_eq!(ring.decrypt(&phone_of(9), &stored).unwrap(), "li@example.cn");
        assert!(!ring.is_current(&stored), "rotate-key rewrites it");
    }

    #[test]
    fn a_rotated_keyring_still_reads_old_values() {
        let old = Keyring::from_keys([1; 32], &[]);
        let stored = old.encrypt(&phone_of(1), "li@example.cn").unwrap();
        let rotated = Keyring::from_keys([2; 32], &[[1; 32]]);
        assert_eq!(rotated.decrypt(&phone_of(1), &stored).unwrap(), "li@example.cn");
        assert!(!rotated.is_current(&stored));
        assert_eq!(
            rotated.blind_index("x"),
            old.blind_index("x"),
            "the legacy index key comes from the oldest key"
        );
        let stranger = Keyring::from_keys([3; 32], &[]);
        assert!(stranger.decrypt(&phone_of(1), &stored).is_err());
    }

    #[test]
    fn the_index_key_can_be_set_apart_from_the_master_key() {
        let mut ring = Keyring::from_keys([1; 32], &[]);
        let before = ring.blind_index("phone:13800138000");
        ring.set_index_key([9; 32]);
        assert_ne!(ring.blind_index("phone:13800138000"), before);
        let mut rotated = Keyring::from_keys([2; 32], &[]);
        rotated.set_index_key([9; 32]);
        assert_eq!(rotated.blind_index("x"), ring.blind_index("x"));
    }

    #[test]
    fn tampering_is_detected() {
        let ring = Keyring::from_keys([7; 32], &[]);
        let mut stored = ring.encrypt(&phone_of(1), "secret").unwrap();
        let last = stored.pop().unwrap();
        stored.push(if last == 'A' { 'B' } else { 'A' });
        assert!(ring.decrypt(&phone_of(1), &stored).is_err());
    }

    #[test]
    fn the_key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = Keyring::load(None, &[], &data).unwrap();
        let second = Keyring::load(None, &[], &data).unwrap();
        assert_eq!(first.current_key_id(), second.current_key_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&data.join(KEY_FILE)), 0o600);
            assert_eq!(mode(&data), 0o700);
        }
    }

    #[test]
    fn a_malformed_configured_key_is_refused_by_name() {
        let err = Keyring::load(Some("short"), &[], Path::new("/nonexistent"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("OPCMS_MASTER_KEY"), "{err}");
        let good = STANDARD.encode([1u8; 32]);
        let err = Keyring::load(Some(&good), &["nope"], Path::new("/nonexistent"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("OPCMS_PREVIOUS_KEYS"), "{err}");
    }
}
