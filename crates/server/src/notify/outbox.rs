//! Writing notifications: each one a row of the outbox, written in the
//! transaction of the change that causes it (a bill issued, a customer
//! suspended, a receipt booked) or of the daily job's batch (reminders,
//! digests). The row's UNIQUE `dedupe_key` makes a second write of the same
//! reminder a no-op, whatever the re-runs, retries or instances.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use opcms_domain::notify::{Channel, Event, Status, dedupe_key, render};
use opcms_domain::settings::Settings;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};

use super::entity::{notification, preference};
use super::templates::Templates;
use super::values::{amount, bill_values, company_values};
use crate::bills::entity::bill;
use crate::calendar::Clock;
use crate::crypto::{Binding, Keyring};
use crate::customers::entity::customer;
use crate::customers::model::{reveal_email, reveal_phone};
use crate::error::AppResult;
use crate::state::AppState;

/// Rows per INSERT.
const INSERT_CHUNK: usize = 200;

/// What the outbox needs to know before anything is written: the settings,
/// the templates, and the channels that are both configured and switched on.
pub struct Context {
    pub settings: Settings,
    pub templates: Templates,
    channels: Vec<Channel>,
}

impl Context {
    /// None when no channel can send: nothing is queued then. Read before
    /// the cause's transaction begins (SQLite has one writer).
    pub async fn load(state: &AppState) -> AppResult<Option<Context>> {
        let configured = super::channels::configured_channels(&state.config);
        if configured.is_empty() {
            return Ok(None);
        }
        let settings = crate::settings::load(&state.db).await?;
        let channels: Vec<Channel> = configured
            .into_iter()
            .filter(|c| settings.notification_channels.allows(*c))
            .collect();
        if channels.is_empty() {
            return Ok(None);
        }
        let templates = Templates::load(&state.db).await?;
        Ok(Some(Context {
            settings,
            templates,
            channels,
        }))
    }

    /// The channels an event goes out on; none when the event is off.
    pub fn channels_for(&self, event: Event) -> &[Channel] {
        if event.enabled(&self.settings.notification_events) {
            &self.channels
        } else {
            &[]
        }
    }
}

/// One notification to write.
pub struct Outgoing {
    pub event: Event,
    pub channel: Channel,
    pub customer_id: Option<i64>,
    pub bill_id: Option<i64>,
    pub user_id: Option<i64>,
    /// What it is about, for the key: `bill:12`, `customer:7`, `user:3`.
    pub about: String,
    pub stage: String,
    /// The address, or why there is none to send to.
    pub recipient: Result<String, String>,
    pub values: BTreeMap<&'static str, String>,
}

impl Outgoing {
    pub fn key(&self) -> String {
        dedupe_key(self.event, &self.about, &self.stage, self.channel)
    }
}

/// The binding of a row's sealed recipient: its unique key.
pub fn recipient_binding(dedupe_key: &str) -> Binding {
    Binding::new("notifications", "recipient_enc", dedupe_key)
}

/// Writes the notifications not written before; the number written.
pub async fn queue(
    txn: &impl ConnectionTrait,
    keyring: &Keyring,
    clock: &Clock,
    templates: &Templates,
    items: Vec<Outgoing>,
) -> AppResult<u64> {
    if items.is_empty() {
        return Ok(0);
    }
    let now = clock.now();
    let mut rows = Vec::with_capacity(items.len());
    for item in items {
        let key = item.key();
        let template = templates.get(item.event, item.channel);
        let subject = template.subject.as_deref().map(|s| render(s, &item.values));
        let body = render(&template.body, &item.values);
        let (status, recipient_enc, masked, error) = match (&item.recipient, &subject, &body) {
            (_, Some(Err(e)), _) | (_, _, Err(e)) => (Status::Failed, None, None, Some(format!("模板无法渲染：{e}"))),
            (Ok(address), _, _) => (
                Status::Queued,
                Some(keyring.encrypt(&recipient_binding(&key), address)?),
                Some(item.channel.mask(address)),
                None,
            ),
            (Err(reason), _, _) => (Status::Skipped, None, None, Some(reason.clone())),
        };
        rows.push(notification::ActiveModel {
            id: sea_orm::ActiveValue::NotSet,
            event: Set(item.event.code().into()),
            channel: Set(item.channel.code().into()),
            customer_id: Set(item.customer_id),
            bill_id: Set(item.bill_id),
            user_id: Set(item.user_id),
            stage: Set(Some(item.stage.clone())),
            recipient_enc: Set(recipient_enc),
            recipient_masked: Set(masked),
            subject: Set(subject.and_then(Result::ok)),
            body: Set(body.unwrap_or_default()),
            dedupe_key: Set(key),
            status: Set(status.code().into()),
            attempts: Set(0),
            holder: Set(None),
            lease_until: Set(None),
            next_attempt_at: Set(now),
            last_error: Set(error),
            created_at: Set(now),
            updated_at: Set(now),
            sent_at: Set(None),
            attachment_name: Set(None),
            attachment_size: Set(None),
        });
    }
    let mut written = 0;
    for chunk in rows.chunks(INSERT_CHUNK) {
        let result = notification::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing_on([notification::Column::DedupeKey])
            .exec_without_returning(txn)
            .await?;
        if let sea_orm::TryInsertResult::Inserted(n) = result {
            written += n;
        }
    }
    Ok(written)
}

/// The keys among `keys` already in the outbox.
pub async fn existing_keys(db: &impl ConnectionTrait, keys: &[String]) -> AppResult<HashSet<String>> {
    let mut found = HashSet::new();
    for chunk in keys.chunks(500) {
        let rows: Vec<String> = notification::Entity::find()
            .select_only()
            .column(notification::Column::DedupeKey)
            .filter(notification::Column::DedupeKey.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// Each customer's channel switches (absent: both on).
pub async fn preferences(db: &impl ConnectionTrait, customer_ids: &[i64]) -> AppResult<HashMap<i64, (bool, bool)>> {
    let mut out = HashMap::new();
    for chunk in customer_ids.chunks(500) {
        let rows = preference::Entity::find()
            .filter(preference::Column::CustomerId.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(|p| (p.customer_id, (p.email, p.sms))));
    }
    Ok(out)
}

/// What each customer still owes on its open bills (units), a chunk of
/// customers per query. Summed here: `SUM` of a bigint is a decimal on
/// PostgreSQL.
async fn outstanding_of(db: &impl ConnectionTrait, customer_ids: &[i64]) -> AppResult<HashMap<i64, i64>> {
    let mut owed: HashMap<i64, i64> = HashMap::new();
    for chunk in customer_ids.chunks(500) {
        let rows: Vec<(i64, i64, i64)> = bill::Entity::find()
            .select_only()
            .column(bill::Column::CustomerId)
            .column(bill::Column::Total)
            .column(bill::Column::Allocated)
            .filter(bill::Column::CustomerId.is_in(chunk.iter().copied()))
            .filter(bill::is_open())
            .into_tuple()
            .all(db)
            .await?;
        for (customer_id, total, allocated) in rows {
            *owed.entry(customer_id).or_default() += total - allocated;
        }
    }
    Ok(owed)
}

/// Where a customer's message of `channel` goes, or why nowhere.
pub fn customer_recipient(
    keyring: &Keyring,
    row: &customer::Model,
    prefs: Option<&(bool, bool)>,
    channel: Channel,
) -> Result<String, String> {
    let (email_on, sms_on) = prefs.copied().unwrap_or((true, true));
    let (on, stored, missing) = match channel {
        Channel::Email => (email_on, reveal_email(keyring, row), "客户未填写联系邮箱"),
        Channel::Sms => (sms_on, reveal_phone(keyring, row), "客户未填写联系电话"),
    };
    if !on {
        return Err(format!("客户已退订{}通知", channel.label()));
    }
    let stored = stored.ok_or_else(|| missing.to_string())?;
    channel.parse_recipient(&stored).ok_or_else(|| {
        format!(
            "客户的联系{}格式无效",
            if channel == Channel::Email { "邮箱" } else { "电话" }
        )
    })
}

/// `bill.issued` for bills just issued in `txn` (the PDF is attached when
/// the mail is sent). The context was loaded before `txn` began.
pub async fn bills_issued(
    txn: &DatabaseTransaction,
    state: &AppState,
    context: &Context,
    bill_ids: &[i64],
    today: NaiveDate,
) -> AppResult<u64> {
    let channels = context.channels_for(Event::BillIssued);
    if channels.is_empty() || bill_ids.is_empty() {
        return Ok(0);
    }
    let mut written = 0;
    for chunk in bill_ids.chunks(500) {
        let bills = bill::Entity::find()
            .filter(bill::Column::Id.is_in(chunk.iter().copied()))
            .all(txn)
            .await?;
        let items = bill_notifications(txn, state, context, Event::BillIssued, "issued", bills, today).await?;
        written += queue(txn, &state.keyring, &state.clock, &context.templates, items).await?;
    }
    Ok(written)
}

/// One notification per channel for each bill, to its customer.
pub async fn bill_notifications(
    db: &impl ConnectionTrait,
    state: &AppState,
    context: &Context,
    event: Event,
    stage: &str,
    bills: Vec<bill::Model>,
    today: NaiveDate,
) -> AppResult<Vec<Outgoing>> {
    let customer_ids: Vec<i64> = bills
        .iter()
        .map(|b| b.customer_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut customers = HashMap::new();
    for chunk in customer_ids.chunks(500) {
        customers.extend(
            customer::Entity::find()
                .filter(customer::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|c| (c.id, c)),
        );
    }
    let prefs = preferences(db, &customer_ids).await?;
    let mut items = Vec::new();
    for row in bills {
        let Some(customer) = customers.get(&row.customer_id) else {
            continue;
        };
        let values = bill_values(&context.settings, &row, customer, today);
        for channel in context.channels_for(event) {
            items.push(Outgoing {
                event,
                channel: *channel,
                customer_id: Some(customer.id),
                bill_id: Some(row.id),
                user_id: None,
                about: format!("bill:{}", row.id),
                stage: stage.to_string(),
                recipient: customer_recipient(&state.keyring, customer, prefs.get(&customer.id), *channel),
                values: values.clone(),
            });
        }
    }
    Ok(items)
}

/// `customer.suspended` for customers just suspended in `txn`: each with
/// the days its oldest bill is overdue (None after a manual suspension).
pub async fn customers_suspended(
    txn: &DatabaseTransaction,
    state: &AppState,
    context: &Context,
    suspended: &[(customer::Model, Option<i64>)],
    today: NaiveDate,
) -> AppResult<u64> {
    let channels = context.channels_for(Event::CustomerSuspended);
    if channels.is_empty() || suspended.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = suspended.iter().map(|(c, _)| c.id).collect();
    let prefs = preferences(txn, &ids).await?;
    let owed = outstanding_of(txn, &ids).await?;
    let mut items = Vec::new();
    for (customer, days) in suspended {
        let mut values = company_values(&context.settings);
        values.extend([
            ("customer_name", customer.company_name.clone()),
            ("customer_code", customer.customer_code.clone()),
            ("outstanding", amount(owed.get(&customer.id).copied().unwrap_or(0))),
            ("days_overdue", days.unwrap_or(0).to_string()),
        ]);
        for channel in channels {
            items.push(Outgoing {
                event: Event::CustomerSuspended,
                channel: *channel,
                customer_id: Some(customer.id),
                bill_id: None,
                user_id: None,
                about: format!("customer:{}", customer.id),
                stage: today.to_string(),
                recipient: customer_recipient(&state.keyring, customer, prefs.get(&customer.id), *channel),
                values: values.clone(),
            });
        }
    }
    queue(txn, &state.keyring, &state.clock, &context.templates, items).await
}

/// `payment.received` (off by default) for a receipt booked in `txn`.
pub async fn payment_received(
    txn: &DatabaseTransaction,
    state: &AppState,
    context: &Context,
    payment_id: i64,
    customer_id: i64,
    amount_units: i64,
    received_on: NaiveDate,
) -> AppResult<u64> {
    let channels = context.channels_for(Event::PaymentReceived);
    if channels.is_empty() {
        return Ok(0);
    }
    let Some(customer) = customer::Entity::find_by_id(customer_id).one(txn).await? else {
        return Ok(0);
    };
    let prefs = preferences(txn, &[customer_id]).await?;
    let owed = outstanding_of(txn, &[customer_id]).await?;
    let mut values = company_values(&context.settings);
    values.extend([
        ("customer_name", customer.company_name.clone()),
        ("customer_code", customer.customer_code.clone()),
        ("amount", amount(amount_units)),
        ("received_on", received_on.to_string()),
        ("outstanding", amount(owed.get(&customer_id).copied().unwrap_or(0))),
    ]);
    let items = channels
        .iter()
        .map(|channel| Outgoing {
            event: Event::PaymentReceived,
            channel: *channel,
            customer_id: Some(customer_id),
            bill_id: None,
            user_id: None,
            about: format!("payment:{payment_id}"),
            stage: "received".into(),
            recipient: customer_recipient(&state.keyring, &customer, prefs.get(&customer_id), *channel),
            values: values.clone(),
        })
        .collect();
    queue(txn, &state.keyring, &state.clock, &context.templates, items).await
}
