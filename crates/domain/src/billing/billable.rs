//! Who gets an auto bill for a period.

use serde::Serialize;

use crate::customer::AccountStatus;

/// Why a customer that was looked at gets no bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SkipReason {
    CustomerTrial,
    CustomerClosed,
    NoUsage,
}

impl SkipReason {
    pub fn code(self) -> &'static str {
        match self {
            SkipReason::CustomerTrial => "CUSTOMER_TRIAL",
            SkipReason::CustomerClosed => "CUSTOMER_CLOSED",
            SkipReason::NoUsage => "NO_USAGE",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            SkipReason::CustomerTrial => "试用客户不出账",
            SkipReason::CustomerClosed => "客户已注销",
            SkipReason::NoUsage => "本期无用量且无保底金额",
        }
    }
}

/// DESIGN.md §7: active, arrears and suspended customers (trial ones only
/// when configured) are billed when they have usage in the period or a
/// minimum charge in force. Closed customers never: their last bills are
/// made before they are closed (closing refuses while bills are unsettled).
pub fn billability(
    status: AccountStatus,
    bill_trial_customers: bool,
    has_usage: bool,
    has_minimum_charge: bool,
) -> Result<(), SkipReason> {
    match status {
        AccountStatus::Closed => return Err(SkipReason::CustomerClosed),
        AccountStatus::Trial if !bill_trial_customers => return Err(SkipReason::CustomerTrial),
        _ => {}
    }
    if has_usage || has_minimum_charge {
        Ok(())
    } else {
        Err(SkipReason::NoUsage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccountStatus::*;

    #[test]
    fn paying_statuses_with_usage_or_a_minimum_are_billed() {
        for status in [Active, Arrears, Suspended] {
            assert_eq!(billability(status, false, true, false), Ok(()));
            assert_eq!(billability(status, false, false, true), Ok(()));
            assert_eq!(billability(status, false, false, false), Err(SkipReason::NoUsage));
        }
    }

    #[test]
    fn trial_only_when_configured_and_closed_never() {
        assert_eq!(billability(Trial, false, true, true), Err(SkipReason::CustomerTrial));
        assert_eq!(billability(Trial, true, true, false), Ok(()));
        assert_eq!(billability(Closed, true, true, true), Err(SkipReason::CustomerClosed));
    }
}
