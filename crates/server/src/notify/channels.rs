//! The channels this installation can send on: `[smtp]` and `[sms]` of the
//! configuration (read-only in the UI).

use opcms_domain::notify::Channel;
use serde::Serialize;

use crate::config::Config;

/// The channels this installation can send on (`[smtp]`, `[sms]`).
pub fn configured_channels(config: &Config) -> Vec<Channel> {
    let mut channels = Vec::new();
    if config.notify.smtp.is_some() {
        channels.push(Channel::Email);
    }
    if config.notify.sms.is_some() {
        channels.push(Channel::Sms);
    }
    channels
}

/// One row of the notification log. The recipient is masked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EmailChannelStatus {
    pub configured: bool,
    /// The sender address.
    #[schema(required = true)]
    pub from: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SmsChannelStatus {
    pub configured: bool,
}

/// What the installation can send on (read-only: `opcms.toml`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChannelStatus {
    pub email: EmailChannelStatus,
    pub sms: SmsChannelStatus,
}

pub fn channel_status(config: &Config) -> ChannelStatus {
    ChannelStatus {
        email: EmailChannelStatus {
            configured: config.notify.smtp.is_some(),
            from: config.notify.smtp.as_ref().map(|s| s.from.clone()),
        },
        sms: SmsChannelStatus {
            configured: config.notify.sms.is_some(),
        },
    }
}
