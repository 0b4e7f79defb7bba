//! `[storage]`: where the files the system keeps go (backups, the originals
//! of imports). Local disk under the data directory unless configured
//! otherwise; any S3-compatible service (AWS S3, Aliyun OSS, MinIO) by
//! configuration. The keys are secrets: never logged, never printed.

use serde::Deserialize;

use super::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// `<data dir>/files`.
    #[default]
    Local,
    /// An S3-compatible service.
    S3,
}

/// `[storage]` as the file writes it: every field optional, each overridden
/// by `OPCMS_STORAGE_<FIELD>`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageFile {
    pub backend: Option<StorageBackend>,
    pub endpoint: Option<String>,
    pub bucket: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
    pub prefix: Option<String>,
    pub virtual_hosted_style: Option<bool>,
    pub allow_http: Option<bool>,
}

/// The S3 settings, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// `https://oss-cn-hangzhou.aliyuncs.com`, `http://127.0.0.1:9000`;
    /// None: AWS's endpoint for the region.
    pub endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
    /// `bucket.endpoint/key` (OSS needs it) instead of `endpoint/bucket/key`
    /// (MinIO and most self-hosted servers).
    pub virtual_hosted_style: bool,
    /// Plain HTTP to the endpoint (a server on the same host or network).
    pub allow_http: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StorageConfig {
    /// None: local disk under `<data dir>/files`.
    pub s3: Option<S3Settings>,
    /// Every key is put under this (`opcms/prod`), no slashes at the ends.
    pub prefix: String,
}

impl StorageConfig {
    pub fn load(file: Option<StorageFile>, env: &impl Fn(&str) -> Option<String>) -> Result<StorageConfig, String> {
        let file = file.unwrap_or_default();
        let text = |name: &str, from_file: Option<String>| env(name).or(from_file).map(|v| v.trim().to_string());
        let flag = |name: &str, from_file: Option<bool>| -> Result<Option<bool>, String> {
            match env(name).as_deref().map(str::trim) {
                None => Ok(from_file),
                Some("true" | "1") => Ok(Some(true)),
                Some("false" | "0") => Ok(Some(false)),
                Some(other) => Err(format!("{name}: \"{other}\" is neither true nor false")),
            }
        };
        let backend = match env("OPCMS_STORAGE_BACKEND") {
            Some(value) => match value.trim().to_ascii_lowercase().as_str() {
                "local" => StorageBackend::Local,
                "s3" => StorageBackend::S3,
                other => return Err(format!("OPCMS_STORAGE_BACKEND: \"{other}\" is neither local nor s3")),
            },
            None => file.backend.unwrap_or_default(),
        };
        let prefix = text("OPCMS_STORAGE_PREFIX", file.prefix)
            .unwrap_or_default()
            .trim_matches('/')
            .to_string();
        if prefix
            .split('/')
            .any(|part| (part.is_empty() && !prefix.is_empty()) || part == "." || part == "..")
        {
            return Err(format!(
                "OPCMS_STORAGE_PREFIX: \"{prefix}\" is not a path like opcms/prod"
            ));
        }
        let endpoint = text("OPCMS_STORAGE_ENDPOINT", file.endpoint).filter(|v| !v.is_empty());
        let bucket = text("OPCMS_STORAGE_BUCKET", file.bucket).filter(|v| !v.is_empty());
        let s3 = match backend {
            StorageBackend::Local => None,
            StorageBackend::S3 => {
                let bucket = bucket
                    .ok_or("OPCMS_STORAGE_BUCKET: storage backend s3 needs the bucket's name ([storage] bucket)")?;
                let allow_http = flag("OPCMS_STORAGE_ALLOW_HTTP", file.allow_http)?.unwrap_or(false);
                if let Some(endpoint) = &endpoint {
                    let scheme_ok = endpoint.starts_with("https://") || endpoint.starts_with("http://");
                    if !scheme_ok || endpoint.parse::<reqwest::Url>().is_err() {
                        return Err(format!(
                            "OPCMS_STORAGE_ENDPOINT: \"{endpoint}\" is not a URL like https://oss-cn-hangzhou.aliyuncs.com"
                        ));
                    }
                    if endpoint.starts_with("http://") && !allow_http {
                        return Err(format!(
                            "OPCMS_STORAGE_ENDPOINT: \"{endpoint}\" is plain HTTP; set OPCMS_STORAGE_ALLOW_HTTP=true \
                             ([storage] allow_http = true) for a server on a trusted network"
                        ));
                    }
                }
                let access_key_id = text("OPCMS_STORAGE_ACCESS_KEY_ID", file.access_key_id).filter(|v| !v.is_empty());
                let secret_access_key = env("OPCMS_STORAGE_SECRET_ACCESS_KEY")
                    .map(Secret::new)
                    .or(file.secret_access_key)
                    .filter(|s| !s.expose().trim().is_empty());
                if access_key_id.is_some() != secret_access_key.is_some() {
                    return Err("OPCMS_STORAGE_ACCESS_KEY_ID and OPCMS_STORAGE_SECRET_ACCESS_KEY go together".into());
                }
                Some(S3Settings {
                    region: text("OPCMS_STORAGE_REGION", file.region)
                        .filter(|v| !v.is_empty())
                        .unwrap_or_else(|| "us-east-1".into()),
                    endpoint,
                    bucket,
                    access_key_id,
                    secret_access_key,
                    virtual_hosted_style: flag("OPCMS_STORAGE_VIRTUAL_HOSTED_STYLE", file.virtual_hosted_style)?
                        .unwrap_or(false),
                    allow_http,
                })
            }
        };
        Ok(StorageConfig { s3, prefix })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn local_unless_configured() {
        let config = StorageConfig::load(None, &env_of(&[])).unwrap();
        assert_eq!(config, StorageConfig::default());
    }

    #[test]
    fn s3_from_the_file_with_the_environment_winning() {
        let file: StorageFile = toml::from_str(
            "backend = \"s3\"\nendpoint = \"https://oss-cn-hangzhou.aliyuncs.com\"\nbucket = \"b\"\n\
             region = \"oss-cn-hangzhou\"\naccess_key_id = \"AK\"\nsecret_access_key = \"hidden-sk\"\n\
             prefix = \"/opcms/prod/\"\nvirtual_hosted_style = true\n",
        )
        .unwrap();
        let config = StorageConfig::load(Some(file), &env_of(&[("OPCMS_STORAGE_BUCKET", "other")])).unwrap();
        let s3 = config.s3.clone().unwrap();
        assert_eq!((s3.bucket.as_str(), s3.region.as_str()), ("other", "oss-cn-hangzhou"));
        assert!(s3.virtual_hosted_style && !s3.allow_http);
        assert_eq!(config.prefix, "opcms/prod");
        assert!(!format!("{config:?}").contains("hidden-sk"));
    }

    #[test]
    fn mistakes_name_the_setting() {
        for (pairs, named) in [
            (&[("OPCMS_STORAGE_BACKEND", "ftp")][..], "OPCMS_STORAGE_BACKEND"),
            (&[("OPCMS_STORAGE_BACKEND", "s3")][..], "OPCMS_STORAGE_BUCKET"),
            (
                &[
                    ("OPCMS_STORAGE_BACKEND", "s3"),
                    ("OPCMS_STORAGE_BUCKET", "b"),
                    ("OPCMS_STORAGE_ENDPOINT", "minio:9000"),
                ][..],
                "OPCMS_STORAGE_ENDPOINT",
            ),
            (
                &[
                    ("OPCMS_STORAGE_BACKEND", "s3"),
                    ("OPCMS_STORAGE_BUCKET", "b"),
                    ("OPCMS_STORAGE_ENDPOINT", "http://127.0.0.1:9000"),
                ][..],
                "ALLOW_HTTP",
            ),
            (
                &[
                    ("OPCMS_STORAGE_BACKEND", "s3"),
                    ("OPCMS_STORAGE_BUCKET", "b"),
                    ("OPCMS_STORAGE_ACCESS_KEY_ID", "AK"),
                ][..],
                "OPCMS_STORAGE_SECRET_ACCESS_KEY",
            ),
            (&[("OPCMS_STORAGE_PREFIX", "a/../b")][..], "OPCMS_STORAGE_PREFIX"),
        ] {
            let err = StorageConfig::load(None, &env_of(pairs)).unwrap_err();
            assert!(err.contains(named), "{pairs:?}: {err}");
        }
    }
}
