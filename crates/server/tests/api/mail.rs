//! A real SMTP server for the notification tests: `tests/support/smtp_sink.py`
//! (aiosmtpd) as a child process on a free port. What it accepted is read
//! back from its JSON-lines file: subject, body, Message-ID, attachments.
//!
//! Python comes from `OPCMS_TEST_PYTHON`, else the test venv
//! `~/.cache/opcms-schemathesis` that `scripts/test.sh` and `.ci/run` make.
//! Without aiosmtpd the test fails and says how to install it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct SmtpSink {
    child: Child,
    pub port: u16,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Python of the test servers (this one and `s3_server`).
pub fn python() -> String {
    std::env::var("OPCMS_TEST_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/opcms-schemathesis/bin/python")
    })
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        SmtpSink::start_with(&[])
    }

    /// Speaking TLS: `starttls` or `tls`, with this certificate and key (PEM files).
    pub fn start_tls(mode: &str, cert: &std::path::Path, key: &std::path::Path) -> SmtpSink {
        let (cert, key) = (cert.display().to_string(), key.display().to_string());
        SmtpSink::start_with(&["--tls", mode, "--tls-cert", &cert, "--tls-key", &key])
    }

    fn start_with(extra: &[&str]) -> SmtpSink {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("mail.jsonl");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");
        let python = python();
        let mut child = Command::new(&python)
            .arg("-u")
            .arg(script)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start the SMTP test server with {python}: {e}. Install it with \
                     `python3 -m venv ~/.cache/opcms-schemathesis && ~/.cache/opcms-schemathesis/bin/pip \
                     install -r scripts/test-requirements.txt` (or set OPCMS_TEST_PYTHON)"
                )
            });
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout).read_line(&mut line).expect("read the port");
        let port: u16 = line.trim().parse().unwrap_or_else(|_| {
            panic!(
                "the SMTP test server did not start (is aiosmtpd installed for {python}? \
                 pip install -r scripts/test-requirements.txt): {line:?}"
            )
        });
        SmtpSink {
            child,
            port,
            out,
            _dir: dir,
        }
    }

    /// `ok`, `refuse` (550), `busy` (451) or `slow:SECONDS`.
    pub fn set_mode(&self, mode: &str) {
        let mut path = self.out.clone().into_os_string();
        path.push(".mode");
        std::fs::write(path, mode).expect("write the mode");
    }

    /// Every message accepted so far.
    pub fn messages(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    /// Waits (up to `secs`) until at least `n` messages arrived.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} messages at the SMTP server, got {}: {messages:#?}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
