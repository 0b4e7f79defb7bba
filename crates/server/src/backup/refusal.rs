//! What a refused backup or restore tells the person who ran it.

/// A backup or restore that stopped for a reason the person running it can
/// act on: the message says what and what to do. `usage` marks a mistake in
/// how the command was called (exit code 2); otherwise exit code 1.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub message: String,
    pub usage: bool,
}

impl Refusal {
    pub fn usage(message: impl Into<String>) -> Refusal {
        Refusal {
            message: message.into(),
            usage: true,
        }
    }

    pub fn failed(message: impl Into<String>) -> Refusal {
        Refusal {
            message: message.into(),
            usage: false,
        }
    }
}
