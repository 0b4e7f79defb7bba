//! `POST /pricing/quote`: what a usage costs under one rule, a stored plan,
//! an unsaved plan, or a customer's effective pricing. The answers have the
//! shapes of the golden vectors (`pricing_cases.json`): a rule case's
//! `expected`, or a bill case's `{lines, total}`.

use opcms_domain::pricing::{
    BillQuote, Mode, PricingError, RawPlanPricing, RawRule, RawValue, Usage, price, validate_series_usage,
    volume_cliffs,
};
use opcms_domain::{FieldError, Period};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::entity::{customer_pricing, plan};
use super::in_force::customer_pricing_for;
use super::model::*;
use super::reads::{period_of, plan_in_force};
use crate::access::Principal;
use crate::calendar::current_period;
use crate::customers::service::find_visible;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

const SOURCES: [&str; 4] = ["rule", "plan_id", "plan", "customer_id"];

fn pricing_error(error: PricingError) -> AppError {
    AppError::Unprocessable {
        code: match error {
            PricingError::Overflow => "AMOUNT_OUT_OF_RANGE",
            PricingError::NoRule(_) => "NO_RULE",
        },
        message: error.to_string(),
    }
}

fn not_in_force(period: Period) -> AppError {
    AppError::Unprocessable {
        code: "PLAN_NOT_IN_FORCE",
        message: format!("该方案在 {period} 尚无生效的版本"),
    }
}

/// Everything wrong with the request at once, or its parts.
fn errors_or<T>(errors: Vec<FieldError>, value: Option<T>) -> AppResult<T> {
    match value {
        Some(value) if errors.is_empty() => Ok(value),
        _ => Err(AppError::Validation(errors)),
    }
}

pub async fn quote(state: &AppState, principal: &Principal, input: QuoteInput) -> AppResult<QuoteView> {
    let given = [
        input.rule.is_some(),
        input.plan_id.is_some(),
        input.plan.is_some(),
        input.customer_id.is_some(),
    ];
    let count = given.iter().filter(|g| **g).count();
    if count != 1 {
        let message = "请提供 rule、plan_id、plan、customer_id 其中一项";
        let errors = if count == 0 {
            vec![FieldError::new("rule", "REQUIRED", message)]
        } else {
            SOURCES
                .iter()
                .zip(given)
                .filter(|(_, g)| *g)
                .map(|(name, _)| FieldError::new(*name, "ONE_SOURCE_ONLY", message))
                .collect()
        };
        return Err(AppError::Validation(errors));
    }
    let mut errors = Vec::new();
    let uses_period = input.plan_id.is_some() || input.customer_id.is_some();
    let period = match input.period.as_deref() {
        None => current_period(),
        Some(_) if !uses_period => {
            errors.push(FieldError::new(
                "period",
                "NOT_ALLOWED",
                "period 仅用于按 plan_id 或 customer_id 报价",
            ));
            current_period()
        }
        Some(text) => Period::field(Some(text), "period", "账期")
            .map_err(|e| errors.push(e))
            .unwrap_or_else(|_| current_period()),
    };

    if let Some(rule) = input.rule {
        let rule = RawRule(rule)
            .validate()
            .map_err(|e| errors.extend(e.prefixed("rule")))
            .ok();
        let usage = match &input.usage {
            None => Err(FieldError::new("usage", "REQUIRED", "请填写用量")),
            // The validator reports at the empty path: the usage itself.
            Some(value) => Usage::validate(Some(value)).map_err(|mut e| {
                e.field = "usage".into();
                e
            }),
        }
        .map_err(|e| errors.push(e))
        .ok();
        let (rule, usage) = errors_or(errors, rule.zip(usage))?;
        let quote = price(&rule, usage).map_err(pricing_error)?;
        let cliffs = match rule.mode() {
            Mode::Volume => Some(volume_cliffs(&rule).map_err(pricing_error)?),
            _ => None,
        };
        return Ok(QuoteView::Rule(RuleQuoteView {
            raw_amount: quote.raw_amount,
            amount: quote.amount,
            breakdown: quote.breakdown,
            cliffs,
        }));
    }

    let usage = match &input.usage {
        None => {
            errors.push(FieldError::new("usage", "REQUIRED", "请填写用量，如 {\"X\": \"6000\"}"));
            None
        }
        Some(value) => validate_series_usage(Some(value))
            .map_err(|e| errors.extend(e.prefixed("usage")))
            .ok(),
    };

    if let Some(raw) = input.plan {
        let pricing = match raw {
            RawValue::Object(mut fields) => RawPlanPricing {
                minimum_charge: fields.remove("minimum_charge"),
                rules: fields.remove("rules"),
            }
            .validate()
            .map_err(|e| errors.extend(e.prefixed("plan")))
            .ok(),
            _ => {
                errors.push(FieldError::new(
                    "plan",
                    "INVALID_PLAN",
                    "plan 应为包含 minimum_charge 和 rules 的对象",
                ));
                None
            }
        };
        let (pricing, usage) = errors_or(errors, pricing.zip(usage))?;
        let bill = pricing.quote(&usage).map_err(pricing_error)?;
        return Ok(bill_view(bill, None));
    }

    if let Some(plan_id) = input.plan_id {
        let exists = plan::Entity::find_by_id(plan_id)
            .filter(plan::Column::IsDeleted.eq(false))
            .one(&state.db)
            .await?
            .is_some();
        if !exists {
            errors.push(FieldError::new("plan_id", "UNKNOWN_PLAN", "定价方案不存在或已删除"));
        }
        let usage = errors_or(errors, usage)?;
        let (version, pricing) = plan_in_force(&state.db, &state.keyring, plan_id, period)
            .await?
            .ok_or_else(|| not_in_force(period))?;
        let bill = pricing.quote(&usage).map_err(pricing_error)?;
        let source = Source {
            customer_id: None,
            plan_id,
            version: version.version,
            effective_from: period_of(&version)?,
            period,
        };
        return Ok(bill_view(bill, Some(source)));
    }

    let customer_id = input.customer_id.unwrap_or_default();
    let usage = errors_or(errors, usage)?;
    // Outside the caller's scope is a 404, like every customer record.
    find_visible(&state.db, &principal.scope(), customer_id).await?;
    let Some(effective) = customer_pricing_for(&state.db, &state.keyring, customer_id, period).await? else {
        let assigned = customer_pricing::Entity::find_by_id(customer_id)
            .one(&state.db)
            .await?
            .is_some();
        return Err(if assigned {
            not_in_force(period)
        } else {
            AppError::Unprocessable {
                code: "NO_PRICE_PLAN",
                message: "该客户尚未设置定价方案".into(),
            }
        });
    };
    let bill = effective.pricing.quote(&usage).map_err(pricing_error)?;
    let source = Source {
        customer_id: Some(customer_id),
        plan_id: effective.plan_id,
        version: effective.version.version,
        effective_from: period_of(&effective.version)?,
        period,
    };
    Ok(bill_view(bill, Some(source)))
}

struct Source {
    customer_id: Option<i64>,
    plan_id: i64,
    version: i32,
    effective_from: Period,
    period: Period,
}

fn bill_view(bill: BillQuote, source: Option<Source>) -> QuoteView {
    QuoteView::Bill(BillQuoteView {
        lines: bill.lines,
        total: bill.total,
        customer_id: source.as_ref().and_then(|s| s.customer_id),
        plan_id: source.as_ref().map(|s| s.plan_id),
        version: source.as_ref().map(|s| s.version),
        effective_from: source.as_ref().map(|s| s.effective_from),
        period: source.as_ref().map(|s| s.period),
    })
}
