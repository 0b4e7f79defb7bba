//! The effective pricing billing uses: each customer's plan version in force
//! for a period with the customer's overrides laid over it, read in sets and
//! decrypted once per plan.

use std::collections::HashMap;
use std::collections::hash_map;
use std::sync::Arc;

use opcms_domain::Period;
use opcms_domain::billing::PlanInForce;
use opcms_domain::pricing::{PlanPricing, Rule, SeriesMap};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::entity::{customer_pricing, version};
use super::reads::{CHUNK, plan_in_force};
use super::sealing::open_stored_overrides;
use crate::crypto::Keyring;
use crate::error::AppResult;

/// What billing a customer for one period uses.
#[derive(Debug, Clone)]
pub struct CustomerPricing {
    pub customer_id: i64,
    pub plan_id: i64,
    /// The plan version in force for the period (its number and month),
    /// shared by every customer on the plan.
    pub version: Arc<version::Model>,
    /// The customer's own rules.
    pub overrides: SeriesMap<Rule>,
    /// The version's minimum charge and rules with the overrides laid over
    /// them: what the bill is priced with (the plan's own, shared, when the
    /// customer has no overrides).
    pub pricing: Arc<PlanPricing>,
}

impl CustomerPricing {
    /// What billing prices the customer with.
    pub fn in_force(&self) -> PlanInForce<'_> {
        PlanInForce {
            plan_id: self.plan_id,
            version: self.version.version,
            version_id: self.version.id,
            overrides: &self.overrides,
            pricing: &self.pricing,
        }
    }
}

/// An assignment as billing reads it: customer, plan, sealed overrides.
pub type Assignment = (i64, i64, Option<String>);

/// A plan's version in force and its pricing, shared by its customers.
type SharedPlan = (Arc<version::Model>, Arc<PlanPricing>);

/// The effective pricing of one customer for `period`: its plan's version
/// in force then, with its overrides. `None` when the customer has no plan,
/// or its plan has no version effective by `period`.
pub async fn customer_pricing_for(
    db: &impl ConnectionTrait,
    keyring: &Keyring,
    customer_id: i64,
    period: Period,
) -> AppResult<Option<CustomerPricing>> {
    Ok(customer_pricings_for(db, keyring, &[customer_id], period)
        .await?
        .remove(&customer_id))
}

/// [`customer_pricing_for`] for many customers at once, for a billing run:
/// assignments read in chunks, each plan's version in force read and
/// decrypted once. Customers without a plan, or whose plan is not yet in
/// force for `period`, are absent from the map.
pub async fn customer_pricings_for(
    db: &impl ConnectionTrait,
    keyring: &Keyring,
    customer_ids: &[i64],
    period: Period,
) -> AppResult<HashMap<i64, CustomerPricing>> {
    let mut found = Vec::with_capacity(customer_ids.len());
    for chunk in customer_ids.chunks(CHUNK) {
        found.extend(assignments(db, Some(chunk)).await?);
    }
    resolve(db, keyring, found, period).await
}

/// The plan assignments of these customers (at most a chunk of them), or of
/// every customer with a plan: one query.
pub async fn assignments(db: &impl ConnectionTrait, customer_ids: Option<&[i64]>) -> AppResult<Vec<Assignment>> {
    let mut select = customer_pricing::Entity::find()
        .select_only()
        .column(customer_pricing::Column::CustomerId)
        .column(customer_pricing::Column::PlanId)
        .column(customer_pricing::Column::OverridesEnc);
    if let Some(ids) = customer_ids {
        select = select.filter(customer_pricing::Column::CustomerId.is_in(ids.iter().copied()));
    }
    Ok(select.into_tuple::<Assignment>().all(db).await?)
}

/// Each plan's version in force is read and decrypted once and shared;
/// only customers with overrides get pricing of their own.
pub async fn resolve(
    db: &impl ConnectionTrait,
    keyring: &Keyring,
    assignments: Vec<Assignment>,
    period: Period,
) -> AppResult<HashMap<i64, CustomerPricing>> {
    let mut plans: HashMap<i64, Option<SharedPlan>> = HashMap::new();
    let mut result = HashMap::with_capacity(assignments.len());
    for (customer_id, plan_id, sealed) in assignments {
        if let hash_map::Entry::Vacant(slot) = plans.entry(plan_id) {
            let in_force = plan_in_force(db, keyring, plan_id, period).await?;
            slot.insert(in_force.map(|(version, pricing)| (Arc::new(version), Arc::new(pricing))));
        }
        let Some(Some((version, plan_pricing))) = plans.get(&plan_id) else {
            continue;
        };
        let overrides = open_stored_overrides(keyring, customer_id, sealed.as_deref())?;
        let pricing = if overrides.is_empty() {
            Arc::clone(plan_pricing)
        } else {
            Arc::new(PlanPricing {
                minimum_charge: plan_pricing.minimum_charge,
                rules: plan_pricing.rules.overlaid(&overrides),
            })
        };
        result.insert(
            customer_id,
            CustomerPricing {
                customer_id,
                plan_id,
                version: Arc::clone(version),
                overrides,
                pricing,
            },
        );
    }
    Ok(result)
}
