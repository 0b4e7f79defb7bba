//! Notifications (提醒与通知, DESIGN.md §17; docs/api/notifications.md):
//! - `outbox`: rows written in the transaction of their cause;
//! - `reminders`: what the daily job queues (overdue reminders, digests);
//! - `sender`: the background sender with retries, exactly once;
//! - `attachment`: the bill PDF of a sent mail, kept in file storage;
//! - `transport`: SMTP and the SMS provider;
//! - `templates`: the edited templates and the preview;
//! - `log`, `opt_out`, `channels`: what the routes read and change;
//! - `routes`: the log, resend, a kept attachment, templates, a
//!   customer's opt-outs.
//!
//! The events, variables, stages and keys are rules of
//! `opcms_domain::notify`.

pub mod attachment;
pub mod channels;
pub mod entity;
pub mod log;
pub mod mock_sms;
pub mod opt_out;
pub mod outbox;
pub mod reminders;
pub mod routes;
pub mod sender;
pub mod templates;
pub mod transport;
pub mod values;
