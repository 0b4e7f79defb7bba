//! What is worth a second look about a new plan version without stopping
//! it (DESIGN.md §5): a month it changes was already billed, it governs
//! fewer months than "from its month on", or a volume rule makes more usage
//! cost less.

use crate::Period;
use crate::money::round_to_cents;
use crate::pricing::{Mode, PlanPricing, PricingError, VersionKey, span, volume_cliffs};

/// One warning: a code, the field concerned and a message in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionWarning {
    pub code: &'static str,
    pub field: Option<String>,
    pub message: String,
}

/// `PERIOD_ALREADY_BILLED` when bills of the months from the new version's
/// month on were already priced with the plan.
pub fn already_billed(billed: &[Period]) -> Option<VersionWarning> {
    if billed.is_empty() {
        return None;
    }
    let months: Vec<String> = billed.iter().map(Period::to_string).collect();
    Some(VersionWarning {
        code: "PERIOD_ALREADY_BILLED",
        field: Some("effective_from".into()),
        message: format!(
            "{} 已出账单；新版本不改变已出的账单，重新生成这些月份的草稿账单将按新价格计算",
            months.join("、")
        ),
    })
}

/// When version `number` governs fewer months than "from effective_from on":
/// none (`NOT_IN_FORCE`) or until a later month's version (`SUPERSEDED`).
pub fn narrower_span(keys: &[VersionKey], number: i32) -> Option<VersionWarning> {
    let field = Some("effective_from".to_string());
    match span(keys, number) {
        None => Some(VersionWarning {
            code: "NOT_IN_FORCE",
            field,
            message: "同一生效月份已有更新的版本，该版本不会用于任何月份的计费".into(),
        }),
        Some(span) => match (span.until, span.then) {
            (Some(until), Some(then)) => {
                let last = until.previous().unwrap_or(until);
                Some(VersionWarning {
                    code: "SUPERSEDED",
                    field,
                    message: format!(
                        "该版本仅适用于 {} 至 {last}；自 {until} 起适用生效月份更晚的版本 {then}",
                        span.from
                    ),
                })
            }
            _ => None,
        },
    }
}

/// `VOLUME_PRICE_CLIFF` for each boundary where a volume rule's price drops:
/// more usage costs less.
pub fn price_cliffs(pricing: &PlanPricing) -> Result<Vec<VersionWarning>, PricingError> {
    let mut warnings = Vec::new();
    for (series, rule) in pricing.rules.iter().filter(|(_, r)| r.mode() == Mode::Volume) {
        for cliff in volume_cliffs(rule)? {
            let boundary = cliff.boundary;
            let range = match cliff.cheaper_through {
                Some(through) => format!("用量在 {boundary} 至 {through} 之间都比 {boundary} 便宜"),
                None => format!("超过 {boundary} 的用量都比 {boundary} 便宜"),
            };
            warnings.push(VersionWarning {
                code: "VOLUME_PRICE_CLIFF",
                field: Some(format!("rules.{}", series.code())),
                message: format!(
                    "{} 系列阶梯定价在用量 {boundary} 处有价格断崖：用量 {boundary} 计 {:.2} 元，略超即降为 {:.2} 元；{range}",
                    series.code(),
                    round_to_cents(cliff.amount_at_boundary),
                    round_to_cents(cliff.amount_just_above),
                ),
            });
        }
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(text: &str) -> Period {
        text.parse().unwrap()
    }

    fn key(version: i32, from: &str) -> VersionKey {
        VersionKey {
            version,
            effective_from: month(from),
        }
    }

    #[test]
    fn billed_months_are_named_in_order() {
        assert_eq!(already_billed(&[]), None);
        let warning = already_billed(&[month("2026-10"), month("2026-11")]).unwrap();
        assert_eq!(warning.code, "PERIOD_ALREADY_BILLED");
        assert_eq!(warning.field.as_deref(), Some("effective_from"));
        assert!(warning.message.starts_with("2026-10、2026-11 已出账单"));
    }

    #[test]
    fn a_version_shadowed_or_cut_short_says_so() {
        let keys = [
            key(1, "2026-01"),
            key(2, "2026-03"),
            key(3, "2026-03"),
            key(4, "2026-06"),
        ];
        assert_eq!(narrower_span(&keys, 2).unwrap().code, "NOT_IN_FORCE");
        let cut = narrower_span(&keys, 3).unwrap();
        assert_eq!(cut.code, "SUPERSEDED");
        assert_eq!(
            cut.message,
            "该版本仅适用于 2026-03 至 2026-05；自 2026-06 起适用生效月份更晚的版本 4"
        );
        assert_eq!(narrower_span(&keys, 4), None);
    }

    #[test]
    fn a_volume_price_drop_is_a_cliff_on_its_series() {
        let pricing: PlanPricing = serde_json::from_str(
            r#"{"minimum_charge":null,"rules":{
                "X":{"mode":"volume","tiers":[{"up_to":"100","unit_price":"1"},{"up_to":null,"unit_price":"0.5"}]},
                "N":{"mode":"flat","unit_price":"1"},
                "L":{"mode":"flat","unit_price":"1"}}}"#,
        )
        .unwrap();
        let cliffs = price_cliffs(&pricing).unwrap();
        assert_eq!(cliffs.len(), 1);
        assert_eq!(cliffs[0].code, "VOLUME_PRICE_CLIFF");
        assert_eq!(cliffs[0].field.as_deref(), Some("rules.X"));
        assert!(
            cliffs[0]
                .message
                .starts_with("X 系列阶梯定价在用量 100 处有价格断崖：用量 100 计 100.00 元")
        );
        assert!(
            cliffs[0].message.ends_with("用量在 100 至 199.9999 之间都比 100 便宜"),
            "{}",
            cliffs[0].message
        );
    }
}
