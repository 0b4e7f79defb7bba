//! Plays the plan (`plan.rs`) into the database through the services the
//! API and the jobs use, in the order things happen in a year, with the
//! business clock set to each moment: customers are entered, usage arrives
//! every week, bills are generated on the 1st and issued on the 2nd,
//! receipts come in and are written off, the daily receivables job moves
//! account statuses, contracts end. Every amount comes out of the real
//! pricing, billing and allocation code; the plan only decides who does what
//! when.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, anyhow};
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use opcms_domain::jobs::{Job, PeriodKey};
use opcms_domain::usage::{DayWindow, RawUsage, RawValue as CellValue};
use opcms_domain::{DataScope, Period, Role};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::names::STAFF;
use super::plan::{self, CustomerSpec, Options, Payer, SEED};
use super::rng::Rng;
use crate::access::Principal;
use crate::audit::Actor;
use crate::bills::entity::bill;
use crate::calendar::{Clock, china};
use crate::db::money::decimal;
use crate::error::AppError;
use crate::http::extract::ClientMeta;
use crate::state::AppState;
use crate::usage::source::{CustomerRef, Incoming};
use crate::usage::store::{self, Delivery, OnExisting};

/// The usage source the demo's records carry (接口采集 demo).
pub const SOURCE: &str = "api:demo";

/// What the demo wrote, for the summary.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub staff: usize,
    pub customers: usize,
    pub price_plans: usize,
    pub usage_records: u64,
    pub quarantined: u64,
    pub bills: u64,
    pub payments: usize,
    pub allocations: usize,
    pub status_moves: u64,
}

/// A receipt to enter and write off.
#[derive(Debug, Clone)]
struct Receipt {
    customer: Option<usize>,
    payer_name: String,
    amount: Decimal,
    method: &'static str,
    /// Bills and the part of each this receipt settles.
    lines: Vec<(i64, Decimal)>,
    remarks: Option<&'static str>,
}

#[derive(Debug, Clone)]
enum Event {
    Open,
    Revise(usize),
    Join(usize),
    /// The usage of these days, first to last.
    Usage(NaiveDate, NaiveDate),
    Generate(Period),
    Issue(Period),
    Pay(Receipt),
    Close(usize),
    Statuses(NaiveDate),
    Extras,
}

struct World<'a> {
    state: &'a AppState,
    clock: Clock,
    options: Options,
    specs: Vec<CustomerSpec>,
    ids: Vec<Option<i64>>,
    by_id: HashMap<i64, usize>,
    plan_ids: Vec<i64>,
    sales: Vec<i64>,
    ops: Vec<i64>,
    manager: Option<Principal>,
    operator: Option<Principal>,
    queue: BTreeMap<(NaiveDateTime, u64), Event>,
    seq: u64,
    end: NaiveDateTime,
    /// Combined payers' bills waiting for the next one.
    waiting: HashMap<usize, Vec<(i64, Decimal)>>,
    references: u64,
    counts: Counts,
    password: String,
}

fn at(day: NaiveDate, hour: u32, minute: u32) -> NaiveDateTime {
    day.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN))
}

fn days_after(day: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 {
        day.checked_add_days(Days::new(days as u64)).unwrap_or(day)
    } else {
        day.checked_sub_days(Days::new(days.unsigned_abs())).unwrap_or(day)
    }
}

fn input<T: DeserializeOwned>(value: Value) -> anyhow::Result<T> {
    serde_json::from_value(value).context("demo input")
}

fn failed(what: &str) -> impl FnOnce(AppError) -> anyhow::Error + '_ {
    move |e| anyhow!("{what}: {e:?}")
}

fn cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Plays the whole year; `password` is every demo staff member's.
pub async fn play(state: &AppState, options: Options, password: String) -> anyhow::Result<Counts> {
    let specs = plan::customers(&options);
    let start = plan::first_period(options.as_of).first_day();
    let mut world = World {
        state,
        clock: Clock::settable(),
        options,
        ids: vec![None; specs.len()],
        specs,
        by_id: HashMap::new(),
        plan_ids: Vec::new(),
        sales: Vec::new(),
        ops: Vec::new(),
        manager: None,
        operator: None,
        queue: BTreeMap::new(),
        seq: 0,
        // The last moment of the story: the as-of day, early in the morning.
        end: at(options.as_of, 1, 0),
        waiting: HashMap::new(),
        references: 0,
        counts: Counts::default(),
        password,
    };
    world.schedule(at(start, 8, 0), Event::Open);
    // The week's usage arrives early on Monday, on the 1st (before the
    // month is billed) and on the last morning; the receivables job runs on
    // Mondays.
    let (mut day, mut week) = (start, start);
    while day < options.as_of {
        let next = days_after(day, 1);
        if next.weekday() == chrono::Weekday::Mon || next.day() == 1 || next == options.as_of {
            world.schedule(at(next, 0, 30), Event::Usage(week, day));
            week = next;
        }
        if day.weekday() == chrono::Weekday::Mon {
            world.schedule(at(day, 8, 0), Event::Statuses(day));
        }
        day = next;
    }
    for period in plan::billed_periods(options.as_of) {
        let next = period.last_day().succ_opt().unwrap_or(period.last_day());
        world.schedule(at(next, 3, 0), Event::Generate(period));
        world.schedule(at(days_after(next, 1), 10, 0), Event::Issue(period));
    }
    let moments: Vec<(usize, NaiveDate, Option<NaiveDate>)> = world
        .specs
        .iter()
        .enumerate()
        .map(|(index, spec)| (index, spec.joins_on, spec.closes_on))
        .collect();
    for (index, joins_on, closes_on) in moments {
        if joins_on > start {
            world.schedule(at(joins_on, 9, 30), Event::Join(index));
        }
        if let Some(day) = closes_on {
            world.schedule(at(day, 16, 0), Event::Close(index));
        }
    }
    for (index, spec) in plan::price_plans().iter().enumerate() {
        if let Some((months, _, _)) = &spec.revision {
            let mut period = Period::of_date(options.as_of);
            for _ in 0..*months {
                period = period.previous().unwrap_or(period);
            }
            world.schedule(at(days_after(period.first_day(), -10), 15, 0), Event::Revise(index));
        }
    }
    world.schedule(at(days_after(options.as_of, -1), 17, 0), Event::Extras);
    world.schedule(at(options.as_of, 0, 50), Event::Statuses(options.as_of));

    while let Some(((when, _), event)) = world.queue.pop_first() {
        if when > world.end {
            break;
        }
        let moment = china()
            .from_local_datetime(&when)
            .single()
            .ok_or_else(|| anyhow!("no such moment {when}"))?;
        world.clock.set(moment.to_utc());
        let clock = world.clock.clone();
        clock
            .scope(world.handle(event))
            .await
            .with_context(|| format!("at {when}"))?;
    }
    Ok(world.counts)
}

impl World<'_> {
    fn schedule(&mut self, when: NaiveDateTime, event: Event) {
        self.seq += 1;
        self.queue.insert((when, self.seq), event);
    }

    fn manager(&self) -> anyhow::Result<&Principal> {
        self.manager.as_ref().ok_or_else(|| anyhow!("no manager yet"))
    }

    fn operator(&self) -> anyhow::Result<&Principal> {
        self.operator.as_ref().ok_or_else(|| anyhow!("no operator yet"))
    }

    async fn handle(&mut self, event: Event) -> anyhow::Result<()> {
        match event {
            Event::Open => self.open().await,
            Event::Revise(plan) => self.revise(plan).await,
            Event::Join(index) => self.join(index).await,
            Event::Usage(from, to) => self.usage(from, to).await,
            Event::Generate(period) => self.generate(period).await,
            Event::Issue(period) => self.issue(period).await,
            Event::Pay(receipt) => self.pay(receipt).await,
            Event::Close(index) => self.close(index).await,
            Event::Statuses(day) => {
                let counts = crate::jobs::work::run(self.state, Job::ReceivablesDaily, PeriodKey::Day(day))
                    .await
                    .map_err(failed("receivables"))?;
                for key in ["to_arrears", "to_suspended", "to_active"] {
                    self.counts.status_moves += counts.get(key).and_then(Value::as_u64).unwrap_or(0);
                }
                Ok(())
            }
            Event::Extras => self.extras().await,
        }
    }

    /// The first morning: the staff, the price plans, and every customer
    /// signed before the year began.
    async fn open(&mut self) -> anyhow::Result<()> {
        for (username, display_name, role) in STAFF {
            let user = crate::users::service::create(
                &self.state.db,
                Some(self.state.keyring.as_ref()),
                &Actor::system(),
                input(json!({
                    "username": username,
                    "password": self.password,
                    "role": role,
                    "display_name": display_name,
                    "email": format!("{username}@example.com"),
                }))?,
            )
            .await
            .map_err(failed("staff"))?;
            let principal = Principal {
                user_id: user.id,
                username: user.username.clone(),
                display_name: user.display_name.clone(),
                role: Role::parse(role).unwrap_or(Role::Operations),
                must_change_password: false,
                client: ClientMeta::default(),
                data_scope: DataScope::All,
            };
            match *role {
                "management" if self.manager.is_none() => self.manager = Some(principal),
                "operations" if self.operator.is_none() => {
                    self.ops.push(user.id);
                    self.operator = Some(principal);
                }
                "operations" => self.ops.push(user.id),
                "sales" => self.sales.push(user.id),
                _ => {}
            }
            self.counts.staff += 1;
        }
        let actor = Actor::from(self.manager()?);
        let first = plan::first_period(self.options.as_of);
        let mut effective = first;
        for _ in 0..6 {
            effective = effective.previous().unwrap_or(effective);
        }
        for spec in plan::price_plans() {
            let (created, _) = crate::pricing::service::create_plan(
                self.state,
                &actor,
                input(json!({
                    "name": spec.name,
                    "effective_from": effective.to_string(),
                    "minimum_charge": spec.minimum_charge,
                    "rules": spec.rules,
                    "reason": "初始定价",
                }))?,
            )
            .await
            .map_err(failed("price plan"))?;
            self.plan_ids.push(created.id);
            self.counts.price_plans += 1;
        }
        let start = first.first_day();
        let founding: Vec<usize> = (0..self.specs.len())
            .filter(|i| self.specs[*i].joins_on <= start)
            .collect();
        for index in founding {
            self.join(index).await?;
        }
        Ok(())
    }

    async fn revise(&mut self, index: usize) -> anyhow::Result<()> {
        let plans = plan::price_plans();
        let Some((months, rules, reason)) = plans.get(index).and_then(|p| p.revision.as_ref()) else {
            return Ok(());
        };
        let mut period = Period::of_date(self.options.as_of);
        for _ in 0..*months {
            period = period.previous().unwrap_or(period);
        }
        let actor = Actor::from(self.manager()?);
        crate::pricing::service::create_version(
            self.state,
            &actor,
            self.plan_ids[index],
            input(json!({
                "effective_from": period.to_string(),
                "minimum_charge": plans[index].minimum_charge,
                "rules": rules,
                "reason": reason,
            }))?,
        )
        .await
        .map_err(failed("price plan version"))?;
        Ok(())
    }

    /// A customer is entered, with its price plan.
    async fn join(&mut self, index: usize) -> anyhow::Result<()> {
        let spec = &self.specs[index];
        let body = json!({
            "company_name": spec.company_name,
            "credit_code": spec.credit_code,
            "industry": spec.industry,
            "level": spec.level,
            "region": spec.region,
            "address": spec.address,
            "contact_name": spec.contact_name,
            "contact_phone": spec.contact_phone,
            "contact_email": spec.contact_email,
            "account_id": spec.account_id,
            "account_status": if spec.trial { "trial" } else { "active" },
            "device_series": spec.series,
            "sales_owner_id": self.sales[spec.sales_owner % self.sales.len()],
            "ops_owner_id": self.ops[spec.ops_owner % self.ops.len()],
            "signed_at": spec.signed_at.map(|d| d.to_string()),
            "contract_end_at": spec.contract_end_at.map(|d| d.to_string()),
            "remarks": spec.remarks,
            "tags": spec.tags,
            "payment_terms_days": spec.payment_terms_days,
        });
        let (plan, x_override) = (spec.plan, spec.x_override);
        let actor = Actor::from(self.operator()?);
        let created = crate::customers::service::create(self.state, &actor, input(body)?)
            .await
            .map_err(failed("customer"))?;
        self.ids[index] = Some(created.id);
        self.by_id.insert(created.id, index);
        self.counts.customers += 1;
        let overrides = x_override.map(|price| json!({"X": {"mode": "flat", "unit_price": price}}));
        crate::pricing::customer::assign(
            self.state,
            self.manager()?,
            created.id,
            input(json!({"plan_id": self.plan_ids[plan], "overrides": overrides}))?,
        )
        .await
        .map_err(failed("customer pricing"))?;
        Ok(())
    }

    /// A week's usage from the upstream system, in one delivery (a
    /// transaction per week rather than per night keeps the demo quick on
    /// the database servers; the records are the same).
    async fn usage(&mut self, from: NaiveDate, to: NaiveDate) -> anyhow::Result<()> {
        let as_of = self.options.as_of;
        let mut incoming = Vec::new();
        for day in from.iter_days().take_while(|d| *d <= to) {
            for (index, spec) in self.specs.iter().enumerate() {
                if self.ids[index].is_none() {
                    continue;
                }
                for (slot, series) in ["X", "N", "L"].iter().enumerate() {
                    let tenths = plan::quantity(spec, slot, day, as_of);
                    if tenths > 0 {
                        incoming.push(record(&spec.account_id, series, day, &plan::tenths_text(tenths)));
                    }
                }
            }
        }
        self.deliver(DayWindow::NotAfter(to), &incoming).await
    }

    async fn deliver(&mut self, window: DayWindow, incoming: &[Incoming]) -> anyhow::Result<()> {
        if incoming.is_empty() {
            return Ok(());
        }
        let settings = crate::settings::load(&self.state.db)
            .await
            .map_err(failed("settings"))?;
        let actor = Actor::system();
        let txn = store::begin(&self.state.db, &[SOURCE, store::KEY_LOCK])
            .await
            .map_err(failed("usage"))?;
        let delivery = Delivery {
            source: SOURCE,
            window,
            limits: settings.sanity_limits(),
            cause: "redelivery",
            reason: None,
            run_id: None,
            actor: &actor,
            context: json!({"demo": true}),
            on_existing: OnExisting::Quarantine,
            discard_closed: settings.usage_discard_closed,
        };
        let outcomes = store::write(&txn, &delivery, incoming).await.map_err(failed("usage"))?;
        txn.commit().await?;
        let tally = store::Tally::of(&outcomes);
        self.counts.usage_records += u64::from(tally.created);
        self.counts.quarantined += u64::from(tally.quarantined);
        Ok(())
    }

    async fn generate(&mut self, period: Period) -> anyhow::Result<()> {
        let actor = Actor::from(self.manager()?);
        let run = crate::bills::generate::generate(
            self.state,
            &actor,
            &DataScope::All,
            input(json!({"period": period.to_string()}))?,
        )
        .await
        .map_err(failed("bill generation"))?;
        self.counts.bills += u64::from(run.created);
        Ok(())
    }

    /// The drafts are issued (their warnings read and acknowledged), and
    /// each customer's way of paying decides when its receipt will come.
    async fn issue(&mut self, period: Period) -> anyhow::Result<()> {
        let actor = Actor::from(self.manager()?);
        crate::bills::issue::batch_issue(
            self.state,
            &actor,
            &DataScope::All,
            input(json!({"filter": {"period": period.to_string(), "kind": "auto"}, "acknowledge_warnings": true}))?,
        )
        .await
        .map_err(failed("issue"))?;
        let issued: Vec<(i64, i64, i64, Option<NaiveDate>)> = bill::Entity::find()
            .select_only()
            .column(bill::Column::Id)
            .column(bill::Column::CustomerId)
            .column(bill::Column::Total)
            .column(bill::Column::DueDate)
            .filter(bill::Column::Period.eq(period.key()))
            .filter(bill::is_open())
            .order_by_asc(bill::Column::Id)
            .into_tuple()
            .all(&self.state.db)
            .await?;
        let today = crate::calendar::business_today();
        for (bill_id, customer_id, total, due) in issued {
            let Some(&index) = self.by_id.get(&customer_id) else {
                continue;
            };
            let due = due.unwrap_or(today);
            self.plan_payment(index, period, bill_id, decimal(total), due, today);
        }
        Ok(())
    }

    fn plan_payment(
        &mut self,
        index: usize,
        period: Period,
        bill_id: i64,
        total: Decimal,
        due: NaiveDate,
        today: NaiveDate,
    ) {
        let payer = self.specs[index].payer;
        let name = self.specs[index].company_name.clone();
        let mut rng = Rng::derive(SEED, &[index as u64, period.key() as u64, 0xB111]);
        let method = match rng.below(20) {
            0 => "cheque",
            1 => "wechat",
            2 => "alipay",
            _ => "bank_transfer",
        };
        let single = |amount: Decimal, remarks: Option<&'static str>| Receipt {
            customer: Some(index),
            payer_name: name.clone(),
            amount,
            method,
            lines: vec![(bill_id, amount)],
            remarks,
        };
        let mut payments: Vec<(NaiveDate, Receipt)> = Vec::new();
        match payer {
            Payer::Prompt => payments.push((days_after(due, -rng.range(1, 10)), single(total, None))),
            Payer::StopsAt(from) if period < from => {
                payments.push((days_after(due, -rng.range(0, 6)), single(total, None)))
            }
            Payer::StopsAt(_) => {}
            Payer::Late => payments.push((days_after(due, rng.range(4, 45)), single(total, None))),
            Payer::Partial => {
                let share = cents(total * Decimal::from(rng.range(40, 80)) / Decimal::from(100));
                if share > Decimal::ZERO && share < total {
                    payments.push((days_after(due, rng.range(0, 8)), single(share, Some("部分付款"))));
                    if rng.chance(650) {
                        payments.push((
                            days_after(due, rng.range(25, 75)),
                            single(total - share, Some("补付尾款")),
                        ));
                    }
                } else {
                    payments.push((days_after(due, rng.range(0, 8)), single(total, None)));
                }
            }
            Payer::Combined => {
                let waiting = self.waiting.entry(index).or_default();
                waiting.push((bill_id, total));
                if period.month().is_multiple_of(2) {
                    let lines = std::mem::take(waiting);
                    let amount: Decimal = lines.iter().map(|(_, a)| *a).sum();
                    let receipt = Receipt {
                        customer: Some(index),
                        payer_name: name.clone(),
                        amount,
                        method: "bank_transfer",
                        lines,
                        remarks: Some("合并支付两个月账单"),
                    };
                    payments.push((days_after(period.last_day(), rng.range(18, 28)), receipt));
                }
            }
        }
        for (day, receipt) in payments {
            let day = day.max(days_after(today, 1));
            self.schedule(at(day, 11, rng.range(0, 59) as u32), Event::Pay(receipt));
        }
    }

    /// A receipt is entered by operations and written off against its bills.
    async fn pay(&mut self, receipt: Receipt) -> anyhow::Result<()> {
        let today = crate::calendar::business_today();
        self.references += 1;
        let reference = format!("{}{:08}", today.format("%Y%m%d"), 31_000_000 + self.references * 7);
        let customer_id = receipt.customer.and_then(|i| self.ids[i]);
        let operator = self.operator()?.clone();
        let payment = crate::payments::service::create(
            self.state,
            &operator,
            input(json!({
                "customer_id": customer_id,
                "amount": cents(receipt.amount).to_string(),
                "received_at": today.to_string(),
                "method": receipt.method,
                "payer_name": receipt.payer_name,
                "reference": reference,
                "remarks": receipt.remarks,
            }))?,
        )
        .await
        .map_err(failed("payment"))?;
        self.counts.payments += 1;
        if receipt.lines.is_empty() {
            return Ok(());
        }
        let lines: Vec<Value> = receipt
            .lines
            .iter()
            .map(|(bill_id, amount)| json!({"bill_id": bill_id, "amount": cents(*amount).to_string()}))
            .collect();
        let result = crate::payments::allocate::allocate(
            self.state,
            &operator,
            payment.id,
            input(json!({"allocations": lines}))?,
        )
        .await
        .map_err(failed("allocation"))?;
        self.counts.allocations += result.allocations.len();
        Ok(())
    }

    async fn close(&mut self, index: usize) -> anyhow::Result<()> {
        let Some(id) = self.ids[index] else { return Ok(()) };
        let manager = self.manager()?.clone();
        crate::customers::service::change_status(self.state, &manager, id, "closed", "合同到期不再续约", false)
            .await
            .map_err(failed("closing a customer"))?;
        Ok(())
    }

    /// The last days' loose ends: a prepayment not yet written off, a
    /// receipt whose payer nobody recognised yet, and usage the upstream
    /// system sent for accounts nobody knows (异常数据 to sort out).
    async fn extras(&mut self) -> anyhow::Result<()> {
        let prompt = (0..self.specs.len()).find(|i| {
            self.ids[*i].is_some() && self.specs[*i].payer == Payer::Prompt && self.specs[*i].closes_on.is_none()
        });
        if let Some(index) = prompt {
            let receipt = Receipt {
                customer: Some(index),
                payer_name: self.specs[index].company_name.clone(),
                amount: Decimal::new(500_000, 2),
                method: "bank_transfer",
                lines: Vec::new(),
                remarks: Some("预付下月服务费"),
            };
            self.pay(receipt).await?;
        }
        // A late payer's open bill, paid by someone writing the name short.
        let open: Option<(i64, i64, i64)> = bill::Entity::find()
            .select_only()
            .column(bill::Column::Id)
            .column(bill::Column::CustomerId)
            .column(bill::Column::Total)
            .filter(bill::is_open())
            .filter(bill::Column::Allocated.eq(0))
            .order_by_desc(bill::Column::Period)
            .order_by_asc(bill::Column::Id)
            .into_tuple()
            .all(&self.state.db)
            .await?
            .into_iter()
            .find(|(_, customer, _)| {
                self.by_id
                    .get(customer)
                    .is_some_and(|i| self.specs[*i].payer == Payer::Late)
            });
        if let Some((_, customer, total)) = open {
            let index = self.by_id[&customer];
            let full = &self.specs[index].company_name;
            let short = full.trim_end_matches("有限公司").trim_end_matches("集团").to_string();
            let receipt = Receipt {
                customer: None,
                payer_name: short,
                amount: decimal(total),
                method: "bank_transfer",
                lines: Vec::new(),
                remarks: None,
            };
            self.pay(receipt).await?;
        }
        let yesterday = days_after(self.options.as_of, -1);
        let strays = vec![
            record("PLT9900001", "X", yesterday, "1520.0"),
            record("PLT9900001", "N", yesterday, "310.5"),
            record("PLT9900002", "L", yesterday, "88.0"),
        ];
        self.deliver(DayWindow::NotAfter(self.options.as_of), &strays).await
    }
}

/// One usage record as the upstream system sends it.
fn record(account: &str, series: &str, day: NaiveDate, quantity: &str) -> Incoming {
    Incoming {
        customer: CustomerRef::Account(account.to_string()),
        raw: RawUsage {
            series: CellValue::text(series),
            day: CellValue::Date(day),
            quantity: CellValue::Number(quantity.to_string()),
        },
        source_id: None,
        original: json!({"account_id": account, "series": series, "day": day, "quantity": quantity}),
        limit_confirmed: false,
        quarantine_key: None,
    }
}
