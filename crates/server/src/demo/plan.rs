//! The demo company on paper: who the staff are, which price plans exist,
//! and for each customer its profile, when it joins, how it uses the
//! devices and how it pays. Pure and deterministic: the same seed, size and
//! as-of date give the same company, word for word. Nothing here prices or
//! checks anything: the services do that when the plan is played
//! (`play.rs`).

use chrono::{Datelike, Days, NaiveDate};
use opcms_domain::Period;
use serde_json::{Value, json};

use super::names::{BRANDS, GIVEN_NAMES, INDUSTRIES, REGIONS, STAFF, STREETS, SURNAMES, TAGS, city_of, suffixes};
use super::rng::{Rng, mix};

/// The demo's seed: the company is the same on every machine.
pub const SEED: u64 = 0x0C4D_5DE0_2026_0001;
/// Billed months before the as-of month.
pub const MONTHS: u32 = 12;

/// What the plan is made from.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The business day the demo ends on ("today" in the data).
    pub as_of: NaiveDate,
    pub customers: usize,
}

/// How a customer pays its bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payer {
    /// In full, a few days before the due date.
    Prompt,
    /// In full, one to six weeks after the due date.
    Late,
    /// Part of each bill near the due date; the rest weeks later, or never.
    Partial,
    /// Two bills at a time in one receipt (合并核销), on 60-day terms.
    Combined,
    /// Pays on time until the bill of this period, and nothing from it on.
    StopsAt(Period),
}

/// How a customer's usage moves over the year.
#[derive(Debug, Clone)]
pub struct UsageProfile {
    /// Daily quantity in tenths of a unit, per series X, N, L (0: not used).
    pub base: [i64; 3],
    /// Change over a year, per mille (−100 = −10 %, 400 = +40 %).
    pub growth: i64,
    /// No usage from this day on (went quiet, suspended, closed).
    pub stops: Option<NaiveDate>,
    /// Usage falls steadily from this day to 30 % by the as-of date.
    pub declines_from: Option<NaiveDate>,
    /// A month at 3.5 times the usual (an event, a new building opened).
    pub spike_month: Option<Period>,
    /// Single days at six times the usual.
    pub spike_days: Vec<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct CustomerSpec {
    pub index: usize,
    pub company_name: String,
    pub credit_code: Option<String>,
    pub industry: &'static str,
    pub level: &'static str,
    pub region: &'static str,
    pub address: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub account_id: String,
    pub series: Vec<&'static str>,
    /// Index into the sales staff / the operations staff.
    pub sales_owner: usize,
    pub ops_owner: usize,
    pub signed_at: Option<NaiveDate>,
    pub contract_end_at: Option<NaiveDate>,
    /// The day the customer is entered into the system.
    pub joins_on: NaiveDate,
    /// Entered as 试用 (trial), never signed within the demo.
    pub trial: bool,
    /// Index into [`price_plans`].
    pub plan: usize,
    /// A negotiated X price (客户专属价) instead of the plan's.
    pub x_override: Option<&'static str>,
    pub payment_terms_days: Option<i64>,
    pub tags: Vec<&'static str>,
    pub remarks: Option<String>,
    pub usage: UsageProfile,
    pub payer: Payer,
    /// Closed (已注销) on this day, its bills settled.
    pub closes_on: Option<NaiveDate>,
}

/// A price plan: name, version 1's rules, and an optional later version.
pub struct PlanSpec {
    pub name: &'static str,
    pub minimum_charge: Option<&'static str>,
    pub rules: Value,
    /// (months before the as-of month it takes effect, its rules, why).
    pub revision: Option<(u32, Value, &'static str)>,
}

/// The four plans: every tier mode on every series somewhere.
pub fn price_plans() -> Vec<PlanSpec> {
    let flat = |price: &str| json!({"mode": "flat", "unit_price": price});
    let tiers = |mode: &str, tiers: &[(Option<&str>, &str)]| {
        json!({
            "mode": mode,
            "tiers": tiers.iter().map(|(up_to, price)| json!({"up_to": up_to, "unit_price": price})).collect::<Vec<_>>(),
        })
    };
    vec![
        PlanSpec {
            name: "标准单价方案",
            minimum_charge: None,
            rules: json!({"X": flat("0.4500"), "N": flat("0.8000"), "L": flat("1.2000")}),
            revision: Some((
                4,
                json!({"X": flat("0.4800"), "N": flat("0.8000"), "L": flat("1.2500")}),
                "年度调价：X、L 系列单价上调",
            )),
        },
        PlanSpec {
            name: "阶梯累进方案",
            minimum_charge: None,
            rules: json!({
                "X": tiers("graduated", &[(Some("30000"), "0.5000"), (Some("100000"), "0.4200"), (None, "0.3500")]),
                "N": tiers("graduated", &[(Some("10000"), "0.8500"), (None, "0.7000")]),
                "L": flat("1.1000"),
            }),
            revision: None,
        },
        PlanSpec {
            name: "量大从优方案",
            minimum_charge: None,
            rules: json!({
                "X": tiers("volume", &[(Some("50000"), "0.4800"), (Some("200000"), "0.4000"), (None, "0.3300")]),
                "N": tiers("volume", &[(Some("20000"), "0.8000"), (None, "0.6500")]),
                "L": tiers("volume", &[(Some("5000"), "1.2000"), (None, "0.9500")]),
            }),
            revision: None,
        },
        PlanSpec {
            name: "保底套餐",
            minimum_charge: Some("2000.00"),
            rules: json!({
                "X": flat("0.4000"),
                "N": tiers("graduated", &[(Some("5000"), "0.9000"), (None, "0.7500")]),
                "L": tiers("volume", &[(Some("2000"), "1.3000"), (None, "1.0000")]),
            }),
            revision: None,
        },
    ]
}

/// The first billed month.
pub fn first_period(as_of: NaiveDate) -> Period {
    let mut period = Period::of_date(as_of);
    for _ in 0..MONTHS {
        period = period.previous().unwrap_or(period);
    }
    period
}

/// The months billed: the twelve before the as-of month, oldest first.
pub fn billed_periods(as_of: NaiveDate) -> Vec<Period> {
    let mut periods = Vec::new();
    let mut period = first_period(as_of);
    let current = Period::of_date(as_of);
    while period < current {
        periods.push(period);
        match period.next() {
            Some(next) => period = next,
            None => break,
        }
    }
    periods
}

fn months_before(as_of: NaiveDate, months: u32) -> Period {
    let mut period = Period::of_date(as_of);
    for _ in 0..months {
        period = period.previous().unwrap_or(period);
    }
    period
}

fn add_days(day: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 {
        day.checked_add_days(Days::new(days as u64)).unwrap_or(day)
    } else {
        day.checked_sub_days(Days::new(days.unsigned_abs())).unwrap_or(day)
    }
}

/// Every customer, in the order they are entered.
pub fn customers(options: &Options) -> Vec<CustomerSpec> {
    let as_of = options.as_of;
    let start = first_period(as_of).first_day();
    let n = options.customers;
    let sales = STAFF.iter().filter(|s| s.2 == "sales").count();
    let ops = STAFF.iter().filter(|s| s.2 == "operations").count();
    // The roles some customers must play, whatever the size: the churn
    // story, the aging buckets, the lost customers.
    let stoppers = [6u32, 5, 4, 3, 2, 1];
    let mut used_names = std::collections::BTreeSet::new();
    let mut list = Vec::with_capacity(n);
    for index in 0..n {
        let mut rng = Rng::derive(SEED, &[index as u64]);
        let industry = pick_industry(&mut rng);
        // Roles by position, so each exists at any size of 40 or more.
        let role = Role::of(index);
        let level = match rng.below(100) {
            _ if role == Role::Quiet => "A",
            0..=9 => "A",
            10..=39 => "B",
            _ => "C",
        };
        let (region, district) = *rng.pick(REGIONS);
        let company_name = company_name(&mut rng, industry, region, &mut used_names);
        let contact_name = format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN_NAMES));
        let prefixes = ["139", "138", "137", "136", "135", "186", "189", "158", "177", "150"];
        let contact_phone = format!("{}{:08}", rng.pick(&prefixes), rng.below(100_000_000));
        let code_number = 100_000 + index;
        let contact_email = format!("finance{code_number}@example.com");
        let account_id = format!("PLT{:07}", 3_000_000 + index * 7 + rng.below(7) as usize);
        let series = pick_series(&mut rng, level);
        let address = format!(
            "{}{}{}号{}",
            district,
            rng.pick(STREETS),
            rng.range(1, 999),
            if rng.chance(500) {
                format!("{}楼", rng.range(2, 30))
            } else {
                String::new()
            }
        );

        let trial = role == Role::Trial;
        let joins_on = match role {
            Role::Trial => add_days(as_of, -rng.range(10, 60)),
            Role::NewThisYear => add_days(start, rng.range(20, (as_of - start).num_days() - 45)),
            _ => start,
        };
        let signed_at = match role {
            Role::Trial => None,
            Role::NewThisYear => Some(joins_on),
            _ => Some(add_days(start, -rng.range(60, 1800))),
        };
        let contract_end_at = signed_at.map(|signed| {
            let years = rng.range(1, 3) as u32;
            let mut end = signed
                .with_year(signed.year() + years as i32)
                .unwrap_or_else(|| add_days(signed, 365 * i64::from(years)));
            // Contracts that ran out are renewed for a year at a time.
            while end < as_of {
                end = end.with_year(end.year() + 1).unwrap_or_else(|| add_days(end, 365));
            }
            end
        });

        let mut base = [0i64; 3];
        for (slot, s) in ["X", "N", "L"].iter().enumerate() {
            if series.contains(s) {
                let scale = [1000, 550, 250][slot];
                let daily = match level {
                    "A" => rng.range(16_000, 42_000),
                    "B" => rng.range(3_500, 15_000),
                    _ => rng.range(300, 3_000),
                };
                base[slot] = daily * scale / 1000;
            }
        }
        if trial {
            base.iter_mut().for_each(|b| *b /= 4);
        }
        let mut usage = UsageProfile {
            base,
            growth: rng.range(-100, 400),
            stops: None,
            declines_from: None,
            spike_month: None,
            spike_days: Vec::new(),
        };
        if rng.chance(60) {
            let days = (as_of - start).num_days().max(2);
            usage.spike_days.push(add_days(start, rng.range(1, days - 1)));
        }

        let mut payer = match rng.below(100) {
            0..=11 => Payer::Late,
            12..=16 => Payer::Partial,
            17..=21 => Payer::Combined,
            _ => Payer::Prompt,
        };
        let mut closes_on = None;
        let mut remarks = None;
        match role {
            Role::Quiet => {
                // A big customer that stopped using the devices five weeks ago.
                usage.base = [36_000, 18_000, 8_000];
                usage.growth = 150;
                usage.stops = Some(add_days(as_of, -38));
                payer = Payer::Prompt;
                remarks = Some("大客户，近期设备使用明显减少，需回访".to_string());
            }
            Role::Declining => {
                usage.declines_from = Some(add_days(as_of, -110));
                payer = Payer::Prompt;
            }
            Role::Spike => {
                usage.spike_month = Some(months_before(as_of, 3 + (index % 3) as u32));
            }
            Role::Stopper(k) => {
                let from = months_before(as_of, stoppers[k]);
                payer = Payer::StopsAt(from);
                // Suspended about a month after that bill fell due: no service since.
                let due = add_days(from.last_day(), 15);
                if stoppers[k] >= 3 {
                    usage.stops = Some(add_days(due, 33));
                }
                remarks = Some("多次催款未回复".to_string());
            }
            Role::Closer(k) => {
                payer = Payer::Prompt;
                let month = months_before(as_of, 9 - (k as u32 % 6));
                // On a Monday afternoon (after the week's usage came in)
                // between the 19th and the 25th: last month's bill is paid,
                // this month's not yet issued.
                let mut day = add_days(month.first_day(), 24);
                while day.weekday() != chrono::Weekday::Mon {
                    day = add_days(day, -1);
                }
                closes_on = Some(day);
                usage.stops = Some(day);
                remarks = Some("合同到期不再续约".to_string());
            }
            Role::Trial | Role::NewThisYear | Role::Plain => {}
        }
        // Strategic customers pay late at worst, never in part; the second
        // and third customers always pay in part and two bills at a time.
        if level == "A" && payer == Payer::Partial {
            payer = Payer::Late;
        }
        match index {
            1 => payer = Payer::Partial,
            2 => payer = Payer::Combined,
            _ => {}
        }

        let plan = match (level, rng.below(3)) {
            ("A", 0) => 1,
            ("A", _) => 2,
            ("B", 0) => 3,
            ("B", _) => 1,
            (_, 0) => 3,
            _ => 0,
        };
        let x_override = (level == "A" && series.contains(&"X") && rng.chance(250)).then_some("0.3800");
        let payment_terms_days = match payer {
            Payer::Combined => Some(60),
            _ if level == "A" && rng.chance(400) => Some(30),
            _ => None,
        };
        let mut tags = Vec::new();
        if level == "A" {
            tags.push(TAGS[2]);
        }
        if rng.chance(120) {
            tags.push(*rng.pick(&TAGS[..2]));
        }
        if role == Role::NewThisYear {
            tags.push(TAGS[3]);
        }
        let credit_code = credit_code(&mut rng);
        list.push(CustomerSpec {
            index,
            company_name,
            credit_code,
            industry,
            level,
            region,
            address,
            contact_name,
            contact_phone,
            contact_email,
            account_id,
            series,
            sales_owner: (mix(index as u64 ^ SEED) % sales as u64) as usize,
            ops_owner: index % ops,
            signed_at,
            contract_end_at,
            joins_on,
            trial,
            plan,
            x_override,
            payment_terms_days,
            tags,
            remarks,
            usage,
            payer,
            closes_on,
        });
    }
    list
}

/// The part a customer plays in the story. The special parts go to fixed
/// positions spread over the list; the rest is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Plain,
    NewThisYear,
    Trial,
    Quiet,
    Declining,
    Spike,
    Stopper(usize),
    Closer(usize),
}

impl Role {
    fn of(index: usize) -> Role {
        if index < 3 {
            return Role::Plain;
        }
        // Special parts on every 3rd position from 3 on: 3 quiet, 6
        // declining, 9 a spike, 12..27 six stoppers, 30 and 33 closers, 36
        // a trial, 39 new this year; so 40 customers tell the whole story.
        if (index - 3).is_multiple_of(3) {
            let k = (index - 3) / 3;
            return match k {
                0 => Role::Quiet,
                1 => Role::Declining,
                2 => Role::Spike,
                3..=8 => Role::Stopper(k - 3),
                9 | 10 => Role::Closer(k - 9),
                11 => Role::Trial,
                12 => Role::NewThisYear,
                _ => Role::by_draw(index),
            };
        }
        Role::by_draw(index)
    }

    fn by_draw(index: usize) -> Role {
        match mix(index as u64 ^ SEED.rotate_left(17)) % 100 {
            0..=3 => Role::Trial,
            4..=17 => Role::NewThisYear,
            _ => Role::Plain,
        }
    }
}

fn pick_industry(rng: &mut Rng) -> &'static str {
    let mut roll = rng.below(1000);
    for (industry, share) in INDUSTRIES {
        if roll < *share {
            return industry;
        }
        roll -= share;
    }
    INDUSTRIES[0].0
}

fn pick_series(rng: &mut Rng, level: &str) -> Vec<&'static str> {
    let roll = rng.below(100);
    let all = level == "A" && roll < 60;
    match (all, roll) {
        (true, _) => vec!["X", "N", "L"],
        (_, 0..=34) => vec!["X"],
        (_, 35..=59) => vec!["X", "N"],
        (_, 60..=74) => vec!["N"],
        (_, 75..=84) => vec!["X", "L"],
        (_, 85..=92) => vec!["N", "L"],
        _ => vec!["X", "N", "L"],
    }
}

/// A company name no other demo customer has: city, brand word(s), suffix.
fn company_name(rng: &mut Rng, industry: &str, region: &str, used: &mut std::collections::BTreeSet<String>) -> String {
    let city = city_of(region);
    let ends = suffixes(industry);
    loop {
        let brand = rng.pick(BRANDS);
        let name = if rng.chance(300) {
            format!("{city}{brand}{}{}", rng.pick(BRANDS), rng.pick(ends))
        } else {
            format!("{city}{brand}{}", rng.pick(ends))
        };
        if used.insert(name.clone()) {
            return name;
        }
    }
}

/// A well-formed 统一社会信用代码 for most customers (GB 32100 check character).
fn credit_code(rng: &mut Rng) -> Option<String> {
    if rng.chance(150) {
        return None;
    }
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut first: Vec<u8> = b"91".to_vec();
    first.extend(format!("{:06}", 110_000 + rng.below(540_000)).bytes());
    for _ in 0..9 {
        first.push(ALPHABET[rng.below(ALPHABET.len() as u64) as usize]);
    }
    let check = opcms_domain::customer::credit_code::check_character(&first)?;
    let mut code = String::from_utf8(first).ok()?;
    code.push(check);
    Some(code)
}

/// Seasonal level of an industry in a month of the year, per mille.
fn season(industry: &str, month: u32) -> i64 {
    let residential = [1000, 820, 980, 1000, 1010, 1020, 1040, 1050, 1010, 990, 1000, 1030];
    let hotel = [930, 860, 960, 1020, 1080, 1050, 1180, 1220, 1040, 1150, 940, 950];
    let commercial = [1120, 900, 950, 980, 1000, 990, 1020, 1030, 990, 1060, 1080, 1150];
    let table = match industry {
        "酒店" => hotel,
        "商业地产" => commercial,
        _ => residential,
    };
    table[(month as usize).saturating_sub(1).min(11)]
}

/// Weekends: busier in hotels and malls, quieter elsewhere, per mille.
fn weekday(industry: &str, day: NaiveDate) -> i64 {
    let weekend = day.weekday().number_from_monday() >= 6;
    match (industry, weekend) {
        (_, false) => 1000,
        ("酒店" | "商业地产", true) => 1180,
        ("物业管理" | "长租公寓", true) => 960,
        (_, true) => 760,
    }
}

/// A customer's usage of one series (0 X, 1 N, 2 L) on one day, in tenths
/// of a unit; 0 means no record that day. Integer arithmetic only.
pub fn quantity(spec: &CustomerSpec, slot: usize, day: NaiveDate, as_of: NaiveDate) -> i64 {
    let base = spec.usage.base[slot];
    if base == 0 || day < spec.joins_on || day >= as_of {
        return 0;
    }
    if spec.usage.stops.is_some_and(|stop| day >= stop) {
        return 0;
    }
    let start = first_period(as_of).first_day();
    let elapsed = (day - start).num_days().max(0);
    // Linear growth over the year, from 1000 per mille at the start.
    let mut q = base * (1000 + spec.usage.growth * elapsed / 365) / 1000;
    q = q * season(spec.industry, day.month()) / 1000;
    q = q * weekday(spec.industry, day) / 1000;
    // ±9 % day-to-day noise, from a hash of who, what and when.
    let noise = mix(SEED ^ ((spec.index as u64) << 24) ^ ((slot as u64) << 20) ^ day.num_days_from_ce() as u64);
    q = q * (910 + (noise % 181) as i64) / 1000;
    if let Some(from) = spec.usage.declines_from
        && day >= from
    {
        let span = (as_of - from).num_days().max(1);
        let gone = (day - from).num_days();
        q = q * (1000 - 700 * gone / span) / 1000;
    }
    if spec.usage.spike_month == Some(opcms_domain::Period::of_date(day)) {
        q = q * 3500 / 1000;
    }
    if spec.usage.spike_days.contains(&day) {
        q *= 6;
    }
    q.max(1)
}

/// Tenths as the decimal text the usage API takes ("1234.5").
pub fn tenths_text(tenths: i64) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options {
            as_of: NaiveDate::from_ymd_opt(2026, 6, 15).unwrap(),
            customers: 40,
        }
    }

    #[test]
    fn the_same_options_make_the_same_company() {
        let a = customers(&options());
        let b = customers(&options());
        let names = |list: &[CustomerSpec]| list.iter().map(|c| c.company_name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&a), names(&b));
        let usage = |list: &[CustomerSpec]| {
            list.iter()
                .map(|c| quantity(c, 0, NaiveDate::from_ymd_opt(2026, 3, 3).unwrap(), options().as_of))
                .collect::<Vec<_>>()
        };
        assert_eq!(usage(&a), usage(&b));
    }

    #[test]
    fn company_names_and_accounts_are_unique_and_codes_valid() {
        let list = customers(&Options {
            customers: 2000,
            ..options()
        });
        let names: std::collections::BTreeSet<_> = list.iter().map(|c| &c.company_name).collect();
        let accounts: std::collections::BTreeSet<_> = list.iter().map(|c| &c.account_id).collect();
        assert_eq!(names.len(), list.len());
        assert_eq!(accounts.len(), list.len());
        for code in list.iter().filter_map(|c| c.credit_code.as_deref()) {
            assert!(opcms_domain::customer::credit_code::is_valid(code), "{code}");
        }
    }

    #[test]
    fn every_part_of_the_story_is_cast() {
        let list = customers(&options());
        assert!(list.iter().any(|c| c.trial));
        assert!(list.iter().any(|c| c.closes_on.is_some()));
        assert!(list.iter().any(|c| c.usage.stops.is_some() && c.level == "A"));
        let stoppers = list.iter().filter(|c| matches!(c.payer, Payer::StopsAt(_))).count();
        assert_eq!(stoppers, 6);
        assert!(list.iter().any(|c| {
            c.signed_at
                .is_some_and(|d| d >= first_period(options().as_of).first_day())
        }));
    }

    #[test]
    fn a_year_of_months_is_billed() {
        let periods = billed_periods(options().as_of);
        assert_eq!(periods.len(), 12);
        assert_eq!(periods[0].to_string(), "2025-06");
        assert_eq!(periods[11].to_string(), "2026-05");
    }
}
