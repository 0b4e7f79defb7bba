//! A real S3-compatible server for the file-storage tests:
//! `tests/support/s3_server.py` (moto in server mode) as a child process on
//! a free local port, with a bucket and an IAM user whose keys it checks.
//!
//! Python comes from `OPCMS_TEST_PYTHON`, else the test venv
//! `~/.cache/opcms-schemathesis` that `scripts/test.sh` and `.ci/run` make.
//! Without moto the test fails and says how to install it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use opcms::config::{S3Settings, Secret, StorageConfig};
use serde_json::Value;

pub struct S3Server {
    child: Child,
    pub port: u16,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
    }
}

impl S3Server {
    pub fn start() -> S3Server {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/s3_server.py");
        let python = crate::mail::python();
        let install = "Install it with `python3 -m venv ~/.cache/opcms-schemathesis && \
                       ~/.cache/opcms-schemathesis/bin/pip install -r scripts/test-requirements.txt` \
                       (or set OPCMS_TEST_PYTHON)";
        let mut child = Command::new(&python)
            .arg("-u")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the S3 test server (moto) with {python}: {e}. {install}"));
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the server's line");
        let info: Value = serde_json::from_str(line.trim()).unwrap_or_else(|_| {
            panic!("the S3 test server did not start (is moto[server] installed for {python}?): {line:?}. {install}")
        });
        let text = |name: &str| info[name].as_str().expect(name).to_string();
        S3Server {
            port: info["port"].as_u64().expect("port") as u16,
            bucket: text("bucket"),
            access_key_id: text("access_key_id"),
            secret_access_key: text("secret_access_key"),
            child,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `[storage]` for this server: path style, plain HTTP, its keys.
    pub fn storage(&self, prefix: &str) -> StorageConfig {
        StorageConfig {
            s3: Some(S3Settings {
                endpoint: Some(self.endpoint()),
                bucket: self.bucket.clone(),
                region: "us-east-1".into(),
                access_key_id: Some(self.access_key_id.clone()),
                secret_access_key: Some(Secret::new(self.secret_access_key.clone())),
                virtual_hosted_style: false,
                allow_http: true,
            }),
            prefix: prefix.into(),
        }
    }

    /// The server goes away, as an outage would.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
