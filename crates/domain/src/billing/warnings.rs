//! Bill verification (账单校验, DESIGN.md §7): warnings stored on a draft
//! for a person to look at before issuing.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::customer::Series;
use crate::money::MAX_AMOUNT;
use crate::pricing::{BILL_ORDER, SeriesMap, Usage};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
        // A series the customer does not list, gone quiet: dropped.
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
}
