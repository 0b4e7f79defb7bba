//! Bill verification (账单校验, DESIGN.md §7): warnings stored on a draft
//! for a person to look at before issuing.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::customer::Series;
use crate::money::MAX_AMOUNT;
use crate::pricing::{BILL_ORDER, SeriesMap, Usage};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WarningCode {
    NoPricePlan,
    /// The plan cannot price this usage (a series without a rule): the
    /// draft is not issuable.
    PricingFailed,
    /// An amount beyond what a bill may hold (a line or the total over
    /// 999,999,999,999.99, or beyond exact computation): the draft keeps no
    /// lines and is never issued.
    AmountTooLarge,
    UsageMissing,
    UsageSpike,
    UsageDropped,
    AmountZero,
    QuarantinePending,
    LateUsage,
    /// Usage billed on a series the customer's 设备系列 does not list.
    SeriesNotSubscribed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BillWarning {
    pub code: WarningCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<Series>,
}

/// A series' usage over the months before the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Trailing {
    /// Σ of the monthly totals of the months that had usage records.
    pub sum: Decimal,
    /// How many of the trailing months had records (0–3).
    pub months: u32,
}

/// A usage ≥ this many times the trailing average is a spike.
const SPIKE_FACTOR: u32 = 3;
/// How many months before the period the average looks at.
pub const TRAILING_MONTHS: u32 = 3;

/// Everything verification looks at for one customer and period.
#[derive(Debug, Clone, Default)]
pub struct WarningInputs {
    pub has_plan: bool,
    /// Why pricing failed, when it did (the engine's message).
    pub pricing_error: Option<String>,
    /// A line or the total is beyond what a bill may hold.
    pub amount_too_large: bool,
    /// The series the customer has (设备系列).
    pub customer_series: Vec<Series>,
    /// The period's usage per series (absent: no record at all).
    pub usage: SeriesMap<Usage>,
    /// The amount each series' usage line charges (rounded, as billed);
    /// absent when the series is not priced.
    pub line_amounts: SeriesMap<Decimal>,
    /// The trailing months' usage per series.
    pub trailing: SeriesMap<Trailing>,
    pub total: Decimal,
    /// Quarantined records of this customer and period waiting for a person.
    pub pending_quarantine: u64,
}

fn warning(code: WarningCode, series: Option<Series>, message: String) -> BillWarning {
    BillWarning { code, message, series }
}

/// The warnings of a draft, in a stable order (so an unchanged draft
/// compares equal on regeneration).
pub fn verify(inputs: &WarningInputs) -> Vec<BillWarning> {
    let mut warnings = Vec::new();
    if !inputs.has_plan {
        warnings.push(warning(
            WarningCode::NoPricePlan,
            None,
            "客户在本账期没有生效的定价方案".into(),
        ));
    }
    if let Some(error) = &inputs.pricing_error {
        warnings.push(warning(WarningCode::PricingFailed, None, format!("无法计价：{error}")));
    }
    if inputs.amount_too_large {
        warnings.push(warning(
            WarningCode::AmountTooLarge,
            None,
            format!("金额超出系统可处理范围（单张账单最多 {MAX_AMOUNT}），请核对用量和单价"),
        ));
    }
    for series in BILL_ORDER {
        let code = series.code();
        let usage = inputs.usage.get(series).map(|u| u.value());
        let trailing = inputs.trailing.get(series).copied().unwrap_or_default();
        let had_usage_before = trailing.sum > Decimal::ZERO;
        match usage {
            None if inputs.customer_series.contains(&series) => warnings.push(warning(
                WarningCode::UsageMissing,
                Some(series),
                format!("客户有 {code} 系列设备，但本账期没有 {code} 系列用量"),
            )),
            None | Some(_) if usage.unwrap_or_default().is_zero() && had_usage_before => warnings.push(warning(
                WarningCode::UsageDropped,
                Some(series),
                format!("{code} 系列本期用量为 0，而此前月份有用量"),
            )),
            Some(quantity) if trailing.months > 0 && had_usage_before => {
                let average = trailing.sum / Decimal::from(trailing.months);
                if quantity >= average * Decimal::from(SPIKE_FACTOR) {
                    let mut shown = average.round_dp(2);
                    shown = shown.normalize();
                    warnings.push(warning(
                        WarningCode::UsageSpike,
                        Some(series),
                        format!(
                            "{code} 系列本期用量 {} 是前 {} 个月平均 {shown} 的 {SPIKE_FACTOR} 倍以上",
                            quantity.normalize(),
                            trailing.months
                        ),
                    ));
                }
            }
            _ => {}
        }
        if let Some(quantity) = usage.filter(|q| *q > Decimal::ZERO)
            && !inputs.customer_series.contains(&series)
        {
            let billed = match inputs.line_amounts.get(series) {
                Some(amount) => format!("，计费 {} 元", grouped(*amount)),
                None => String::new(),
            };
            warnings.push(warning(
                WarningCode::SeriesNotSubscribed,
                Some(series),
                format!(
                    "客户的设备系列不含 {code}，但本账期有 {code} 系列用量 {}{billed}，请核对用量归属或客户资料",
                    quantity.normalize()
                ),
            ));
        }
    }
    if inputs.has_plan && inputs.pricing_error.is_none() && !inputs.amount_too_large && inputs.total.is_zero() {
        warnings.push(warning(WarningCode::AmountZero, None, "账单金额为 0".into()));
    }
    if inputs.pending_quarantine > 0 {
        warnings.push(warning(
            WarningCode::QuarantinePending,
            None,
            format!(
                "该客户本账期有 {} 条异常用量数据待处理，账单可能不完整",
                inputs.pending_quarantine
            ),
        ));
    }
    warnings
}

/// `62870.45` as `62,870.45`: an amount as a person reads it, with the
/// two decimals a bill line carries.
pub fn grouped(amount: Decimal) -> String {
    let text = format!(
        "{:.2}",
        amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    );
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut out = String::with_capacity(text.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}.{fraction}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(pairs: &[(Series, &str)]) -> SeriesMap<Usage> {
        pairs.iter().map(|(s, q)| (*s, q.parse::<Usage>().unwrap())).collect()
    }

    fn trailing(pairs: &[(Series, &str, u32)]) -> SeriesMap<Trailing> {
        pairs
            .iter()
            .map(|(s, sum, months)| {
                (
                    *s,
                    Trailing {
                        sum: sum.parse().unwrap(),
                        months: *months,
                    },
                )
            })
            .collect()
    }

    fn codes(inputs: &WarningInputs) -> Vec<(WarningCode, Option<Series>)> {
        verify(inputs).into_iter().map(|w| (w.code, w.series)).collect()
    }

    fn base() -> WarningInputs {
        WarningInputs {
            has_plan: true,
            pricing_error: None,
            amount_too_large: false,
            customer_series: vec![Series::X],
            usage: usage(&[(Series::X, "100")]),
            line_amounts: SeriesMap::new(),
            trailing: trailing(&[(Series::X, "300", 3)]),
            total: "12.00".parse().unwrap(),
            pending_quarantine: 0,
        }
    }

    #[test]
    fn an_ordinary_month_has_no_warning() {
        assert!(verify(&base()).is_empty());
    }

    #[test]
    fn three_times_the_trailing_average_is_a_spike() {
        let mut inputs = base();
        inputs.usage = usage(&[(Series::X, "300")]);
        assert_eq!(codes(&inputs), [(WarningCode::UsageSpike, Some(Series::X))]);
        assert!(verify(&inputs)[0].message.contains("平均 100"));
        inputs.usage = usage(&[(Series::X, "299.9999")]);
        assert!(verify(&inputs).is_empty());
        // Averages over the months that had records only.
        inputs.trailing = trailing(&[(Series::X, "50", 1)]);
        inputs.usage = usage(&[(Series::X, "150")]);
        assert_eq!(codes(&inputs), [(WarningCode::UsageSpike, Some(Series::X))]);
    }

    #[test]
    fn zero_after_non_zero_months_and_missing_series() {
        let mut inputs = base();
        inputs.usage = usage(&[(Series::X, "0")]);
        inputs.total = Decimal::ZERO;
        assert_eq!(
            codes(&inputs),
            [
                (WarningCode::UsageDropped, Some(Series::X)),
                (WarningCode::AmountZero, None)
            ]
        );
        inputs.usage = SeriesMap::new();
        assert_eq!(
            codes(&inputs),
            [
                (WarningCode::UsageMissing, Some(Series::X)),
                (WarningCode::AmountZero, None)
            ]
        );
        // A series the customer does not list, gone quiet: dropped (no
        // usage billed on it, so not SERIES_NOT_SUBSCRIBED).
        inputs.customer_series = vec![];
        assert_eq!(
            codes(&inputs),
            [
                (WarningCode::UsageDropped, Some(Series::X)),
                (WarningCode::AmountZero, None)
            ]
        );
    }

    #[test]
    fn no_plan_and_pending_quarantine() {
        let mut inputs = base();
        inputs.has_plan = false;
        inputs.total = Decimal::ZERO;
        inputs.pending_quarantine = 2;
        assert_eq!(
            codes(&inputs),
            [(WarningCode::NoPricePlan, None), (WarningCode::QuarantinePending, None)]
        );
        assert!(verify(&inputs)[1].message.contains("2 条"));
    }

    #[test]
    fn an_amount_too_large_replaces_the_zero_amount_warning() {
        let mut inputs = base();
        inputs.amount_too_large = true;
        inputs.total = Decimal::ZERO;
        assert_eq!(codes(&inputs), [(WarningCode::AmountTooLarge, None)]);
        assert_eq!(
            verify(&inputs)[0].message,
            "金额超出系统可处理范围（单张账单最多 999999999999.99），请核对用量和单价"
        );
        assert_eq!(
            serde_json::to_string(&WarningCode::AmountTooLarge).unwrap(),
            "\"AMOUNT_TOO_LARGE\""
        );
    }

    #[test]
    fn a_first_month_has_nothing_to_compare_with() {
        let mut inputs = base();
        inputs.trailing = SeriesMap::new();
        inputs.usage = usage(&[(Series::X, "100000")]);
        assert!(verify(&inputs).is_empty());
    }

    #[test]
    fn usage_on_a_series_the_customer_does_not_have_is_named_with_its_amount() {
        let mut inputs = base();
        inputs.customer_series = vec![Series::N];
        inputs.usage = usage(&[(Series::X, "1000"), (Series::L, "20.5"), (Series::N, "3")]);
        inputs.trailing = SeriesMap::new();
        inputs.line_amounts = [
            (Series::X, "62870.45".parse().unwrap()),
            (Series::L, "8.2".parse().unwrap()),
        ]
        .into_iter()
        .collect();
        let warnings = verify(&inputs);
        let not_subscribed: Vec<_> = warnings
            .iter()
            .filter(|w| w.code == WarningCode::SeriesNotSubscribed)
            .collect();
        assert_eq!(not_subscribed.len(), 2);
        let x = not_subscribed.iter().find(|w| w.series == Some(Series::X)).unwrap();
        assert_eq!(
            x.message,
            "客户的设备系列不含 X，但本账期有 X 系列用量 1000，计费 62,870.45 元，请核对用量归属或客户资料"
        );
        assert!(
            not_subscribed
                .iter()
                .any(|w| w.series == Some(Series::L) && w.message.contains("计费 8.20 元"))
        );
        // A zero usage on such a series charges nothing: no warning.
        inputs.usage = usage(&[(Series::X, "0"), (Series::N, "3")]);
        assert!(
            !codes(&inputs)
                .iter()
                .any(|(c, _)| *c == WarningCode::SeriesNotSubscribed)
        );
        // Unpriced (no plan): named without an amount.
        inputs.usage = usage(&[(Series::X, "5"), (Series::N, "3")]);
        inputs.line_amounts = SeriesMap::new();
        let message = verify(&inputs)
            .into_iter()
            .find(|w| w.code == WarningCode::SeriesNotSubscribed)
            .unwrap()
            .message;
        assert!(message.contains("X 系列用量 5，请核对"), "{message}");
        assert_eq!(
            serde_json::to_string(&WarningCode::SeriesNotSubscribed).unwrap(),
            "\"SERIES_NOT_SUBSCRIBED\""
        );
    }

    #[test]
    fn grouped_amounts() {
        assert_eq!(grouped("62870.45".parse().unwrap()), "62,870.45");
        assert_eq!(grouped("1234567.5".parse().unwrap()), "1,234,567.50");
        assert_eq!(grouped("999".parse().unwrap()), "999.00");
        assert_eq!(grouped("-1000.005".parse().unwrap()), "-1,000.01");
        assert_eq!(grouped(Decimal::ZERO), "0.00");
    }
}
