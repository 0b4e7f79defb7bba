//! Field encryption at rest (DESIGN.md §13): AES-256-GCM with a random nonce
//! per value, the key id stored with each ciphertext so keys can rotate, and
//! a keyed blind index (HMAC-SHA256) so exact-match search still works on
//! encrypted columns without storing the plaintext.
//!
//! Stored form: `v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`.

use std::collections::HashMap;
use std::path::Path;

use aes_gcm::aead::{Aead, Generate, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

const KEY_FILE: &str = "master.key";
const NONCE_LEN: usize = 12;

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

impl Keyring {
    pub fn from_keys(current: [u8; 32], previous: &[[u8; 32]]) -> Keyring {
        let make = |bytes: &[u8; 32]| Key {
            id: key_id(bytes),
            cipher: Aes256Gcm::new(bytes.into()),
        };
        // The blind index has its own key, derived so that it never equals the
        // encryption key. It must not change on rotation, or every index
        // would need rebuilding: derive it from the oldest key given.
        let index_root = previous.last().unwrap_or(&current);
        let mut mac = <Hmac<Sha256>>::new_from_slice(index_root).expect("HMAC takes any key length");
        mac.update(b"opcms blind index v1");
        let index_key: [u8; 32] = mac.finalize().into_bytes().into();
        Keyring {
            current: make(&current),
            previous: previous.iter().map(|k| (key_id(k), make(k))).collect(),
            index_key,
        }
    }

    /// The key from `OPCMS_MASTER_KEY` (base64 of 32 bytes), else from
    /// `<data dir>/master.key`, created with mode 0600 on first run.
    pub fn load(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Keyring> {
        if let Some(text) = configured {
            return Ok(Keyring::from_keys(decode_key("OPCMS_MASTER_KEY", text)?, &[]));
        }
        let path = data_dir.join(KEY_FILE);
        if path.exists() {
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            return Ok(Keyring::from_keys(decode_key(&path.display().to_string(), &text)?, &[]));
        }
        std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
        let key: [u8; 32] = rand::random();
        match write_private(&path, &STANDARD.encode(key)) {
            Ok(()) => {
                tracing::warn!(path = %path.display(), "created a new master key file; back it up: without it encrypted fields cannot be read");
                Ok(Keyring::from_keys(key, &[]))
            }
            // Another process created it between our check and our write.
            Err(_) if path.exists() => Keyring::load(None, data_dir),
            Err(err) => Err(err),
        }
    }

    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    pub fn knows_key(&self, id: &str) -> bool {
        self.current.id == id || self.previous.contains_key(id)
    }

    pub fn encrypt(&self, plaintext: &str) -> anyhow::Result<String> {
        let nonce = Nonce::generate();
        let sealed = self
            .current
            .cipher
            .encrypt(&nonce, plaintext.as_bytes())
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Ok(format!("v1:{}:{}", self.current.id, URL_SAFE_NO_PAD.encode(blob)))
    }

    pub fn decrypt(&self, stored: &str) -> anyhow::Result<String> {
        let mut parts = stored.splitn(3, ':');
        let (Some("v1"), Some(id), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
            bail!("not an encrypted value");
        };
        let key = if id == self.current.id {
            &self.current
        } else {
            self.previous
                .get(id)
                .with_context(|| format!("value encrypted with unknown key {id}"))?
        };
        let blob = URL_SAFE_NO_PAD.decode(data).context("ciphertext is not base64")?;
        if blob.len() < NONCE_LEN {
            bail!("ciphertext too short");
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let nonce = Nonce::try_from(nonce).map_err(|_| anyhow::anyhow!("bad nonce"))?;
        let plain = key
            .cipher
            .decrypt(&nonce, sealed)
            .map_err(|_| anyhow::anyhow!("ciphertext failed authentication"))?;
        String::from_utf8(plain).context("decrypted value is not UTF-8")
    }

    /// Deterministic keyed digest of a normalized value, for exact lookups.
    pub fn blind_index(&self, normalized: &str) -> String {
        let mut mac = <Hmac<Sha256>>::new_from_slice(&self.index_key).expect("HMAC takes any key length");
        mac.update(normalized.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
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

    #[test]
    fn values_round_trip_and_differ_each_time() {
        let ring = Keyring::from_keys([7; 32], &[]);
        let a = ring.encrypt("13800138000").unwrap();
        let b = ring.encrypt("13800138000").unwrap();
        assert_ne!(a, b, "a random nonce per value");
        assert!(!a.contains("13800138000"));
        assert!(a.starts_with(&format!("v1:{}:", ring.current_key_id())));
        assert_eq!(ring.decrypt(&a).unwrap(), "13800138000");
    }

    #[test]
    fn a_rotated_keyring_still_reads_old_values() {
        let old = Keyring::from_keys([1; 32], &[]);
        let stored = old.encrypt("li@example.cn").unwrap();
        let rotated = Keyring::from_keys([2; 32], &[[1; 32]]);
        assert_eq!(rotated.decrypt(&stored).unwrap(), "li@example.cn");
        assert_eq!(
            rotated.blind_index("x"),
            old.blind_index("x"),
            "index survives rotation"
        );
        let stranger = Keyring::from_keys([3; 32], &[]);
        assert!(stranger.decrypt(&stored).is_err());
    }

    #[test]
    fn tampering_is_detected() {
        let ring = Keyring::from_keys([7; 32], &[]);
        let mut stored = ring.encrypt("secret").unwrap();
        let last = stored.pop().unwrap();
        stored.push(if last == 'A' { 'B' } else { 'A' });
        assert!(ring.decrypt(&stored).is_err());
    }

    #[test]
    fn the_key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = Keyring::load(None, dir.path()).unwrap();
        let second = Keyring::load(None, dir.path()).unwrap();
        assert_eq!(first.current_key_id(), second.current_key_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_malformed_configured_key_is_refused_by_name() {
        let err = Keyring::load(Some("short"), Path::new("/nonexistent")).err().unwrap();
        assert!(err.to_string().contains("OPCMS_MASTER_KEY"), "{err}");
    }
}
