//! The templates in use: an edited one from `notification_templates`, else
//! the built-in Chinese default (`opcms_domain::notify::default_template`).
//! Saving checks the text against the event's variables, so a template that
//! reaches the outbox always renders.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use opcms_domain::billing::BillStatus;
use opcms_domain::notify::{Channel, Event, Template, check_template, default_template, render, variable_label};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::entity::template;
use super::values::{bill_values, company_values};
use crate::audit::{self, Actor, Entry};
use crate::bills::entity::bill;
use crate::calendar::business_today;
use crate::customers::entity::customer;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Every template in force.
pub struct Templates {
    edited: HashMap<(Event, Channel), template::Model>,
}

impl Templates {
    pub async fn load(db: &impl ConnectionTrait) -> AppResult<Templates> {
        let edited = template::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .filter_map(|row| {
                let key = (Event::parse(&row.event)?, Channel::parse(&row.channel)?);
                Some((key, row))
            })
            .collect();
        Ok(Templates { edited })
    }

    pub fn get(&self, event: Event, channel: Channel) -> Template {
        match self.edited.get(&(event, channel)) {
            Some(row) => Template {
                subject: row.subject.clone(),
                body: row.body.clone(),
            },
            None => default_template(event, channel),
        }
    }

    fn view(&self, event: Event, channel: Channel) -> TemplateView {
        let edited = self.edited.get(&(event, channel));
        let template = self.get(event, channel);
        TemplateView {
            event,
            channel,
            subject: template.subject,
            body: template.body,
            is_default: edited.is_none(),
            variables: event
                .variables()
                .iter()
                .map(|name| TemplateVariable {
                    name: (*name).into(),
                    label: variable_label(name).into(),
                })
                .collect(),
            updated_at: edited.map(|row| row.updated_at),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateVariable {
    /// Written `{{name}}` in a template.
    pub name: String,
    pub label: String,
}

/// A template as the editor shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateView {
    pub event: Event,
    pub channel: Channel,
    /// E-mail only.
    #[schema(required = true)]
    pub subject: Option<String>,
    pub body: String,
    /// Not edited: the built-in text.
    pub is_default: bool,
    pub variables: Vec<TemplateVariable>,
    #[schema(required = true)]
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// Required for e-mail; ignored for SMS.
    pub subject: Option<String>,
    pub body: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatePreviewInput {
    pub event: Event,
    pub channel: Channel,
    pub subject: Option<String>,
    pub body: String,
    /// The bill to render with; by default the latest issued one.
    pub bill_id: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplatePreview {
    #[schema(required = true)]
    pub subject: Option<String>,
    pub body: String,
    /// The bill the values came from; None: sample values.
    #[schema(required = true)]
    pub bill_id: Option<i64>,
    #[schema(required = true)]
    pub bill_no: Option<String>,
    #[schema(required = true)]
    pub customer_name: Option<String>,
}

pub async fn list(state: &AppState) -> AppResult<Vec<TemplateView>> {
    let templates = Templates::load(&state.db).await?;
    Ok(Event::ALL
        .into_iter()
        .flat_map(|event| Channel::ALL.into_iter().map(move |channel| (event, channel)))
        .map(|(event, channel)| templates.view(event, channel))
        .collect())
}

pub fn parse_key(event: &str, channel: &str) -> AppResult<(Event, Channel)> {
    match (Event::parse(event), Channel::parse(channel)) {
        (Some(event), Some(channel)) => Ok((event, channel)),
        _ => Err(AppError::NotFound {
            message: format!("没有事件 {event}、渠道 {channel} 的通知模板"),
        }),
    }
}

/// Saves an edited template (checked first), audited with before/after.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    event: Event,
    channel: Channel,
    input: TemplateInput,
) -> AppResult<TemplateView> {
    let checked =
        check_template(event, channel, input.subject.as_deref(), &input.body).map_err(AppError::Validation)?;
    let txn = begin_write(&state.db).await?;
    let before = Templates::load(&txn).await?.get(event, channel);
    let existing = template::Entity::find()
        .filter(template::Column::Event.eq(event.code()))
        .filter(template::Column::Channel.eq(channel.code()))
        .one(&txn)
        .await?;
    let now = Utc::now();
    match existing {
        Some(row) => {
            let mut active: template::ActiveModel = row.into();
            active.subject = Set(checked.subject.clone());
            active.body = Set(checked.body.clone());
            active.updated_at = Set(now);
            active.updated_by = Set(actor.user_id);
            active.update(&txn).await?;
        }
        None => {
            template::ActiveModel {
                id: sea_orm::ActiveValue::NotSet,
                event: Set(event.code().into()),
                channel: Set(channel.code().into()),
                subject: Set(checked.subject.clone()),
                body: Set(checked.body.clone()),
                updated_at: Set(now),
                updated_by: Set(actor.user_id),
            }
            .insert(&txn)
            .await?;
        }
    }
    audit::record(
        &txn,
        actor,
        Entry {
            action: "notification_template.update",
            entity_type: "notification_template",
            entity_id: Some(format!("{}/{}", event.code(), channel.code())),
            changes: Some(json!({
                "subject": {"before": before.subject, "after": checked.subject},
                "body": {"before": before.body, "after": checked.body},
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Templates::load(&state.db).await?.view(event, channel))
}

/// Back to the built-in text.
pub async fn reset(state: &AppState, actor: &Actor, event: Event, channel: Channel) -> AppResult<TemplateView> {
    let txn = begin_write(&state.db).await?;
    let deleted = template::Entity::delete_many()
        .filter(template::Column::Event.eq(event.code()))
        .filter(template::Column::Channel.eq(channel.code()))
        .exec(&txn)
        .await?
        .rows_affected;
    if deleted > 0 {
        audit::record(
            &txn,
            actor,
            Entry {
                action: "notification_template.reset",
                entity_type: "notification_template",
                entity_id: Some(format!("{}/{}", event.code(), channel.code())),
                changes: None,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Templates::load(&state.db).await?.view(event, channel))
}

/// Sample values for a preview when there is no bill to use.
fn sample_values(event: Event) -> BTreeMap<&'static str, String> {
    let samples = [
        ("customer_name", "示例客户有限公司"),
        ("customer_code", "C000001"),
        ("bill_no", "B202611-000001"),
        ("period", "2026-11"),
        ("total", "12,345.60"),
        ("outstanding", "12,345.60"),
        ("due_date", "2026-12-15"),
        ("days_overdue", "7"),
        ("amount", "5,000.00"),
        ("received_on", "2026-12-20"),
        ("user_name", "张三"),
        ("date", "2026-12-22"),
        ("count", "3"),
        (
            "items",
            "C000001 示例客户有限公司 B202611-000001 未付 12,345.60 元，逾期 7 天",
        ),
    ];
    samples
        .into_iter()
        .filter(|(name, _)| event.variables().contains(name))
        .map(|(name, value)| (name, value.to_string()))
        .collect()
}

/// Renders an edited (unsaved) template against a real bill: the one named,
/// else the latest issued; sample values when there is none. Checked like
/// a save, so the editor shows the same errors.
pub async fn preview(state: &AppState, input: TemplatePreviewInput) -> AppResult<TemplatePreview> {
    let checked = check_template(input.event, input.channel, input.subject.as_deref(), &input.body)
        .map_err(AppError::Validation)?;
    let settings = crate::settings::load(&state.db).await?;
    let bill_row = match input.bill_id {
        Some(id) => Some(
            bill::Entity::find_by_id(id)
                .one(&state.db)
                .await?
                .ok_or_else(|| AppError::field("bill_id", "NOT_FOUND", format!("账单 {id} 不存在")))?,
        ),
        None => {
            bill::Entity::find()
                .filter(bill::Column::Status.ne(BillStatus::Draft.code()))
                .filter(bill::Column::Status.ne(BillStatus::Void.code()))
                .order_by_desc(bill::Column::IssuedAt)
                .order_by_desc(bill::Column::Id)
                .one(&state.db)
                .await?
        }
    };
    let customer_row = match &bill_row {
        Some(row) => customer::Entity::find_by_id(row.customer_id).one(&state.db).await?,
        None => None,
    };
    let mut values = sample_values(input.event);
    if let (Some(row), Some(customer)) = (&bill_row, &customer_row) {
        values.extend(bill_values(&settings, row, customer, business_today()));
    } else {
        values.extend(company_values(&settings));
    }
    let rendered = |text: &str| render(text, &values).map_err(|e| AppError::field("body", e.code(), e.to_string()));
    Ok(TemplatePreview {
        subject: checked.subject.as_deref().map(rendered).transpose()?,
        body: rendered(&checked.body)?,
        bill_id: bill_row.as_ref().map(|b| b.id),
        bill_no: bill_row.as_ref().map(|b| b.bill_no.clone()),
        customer_name: customer_row.map(|c| c.company_name),
    })
}
