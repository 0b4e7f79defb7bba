//! The account status lifecycle (账号状态流转, DESIGN.md §3) as a pure state
//! machine: which moves exist, and who may make them.

use super::fields::AccountStatus::{self, *};
use crate::access::Role;
use crate::money::Total;

/// What causes a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A person, through the API.
    Manual(Role),
    /// The system, from bills becoming overdue or settled.
    Automatic,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("账号状态不能从「{}」变更为「{}」", .from.label(), .to.label())]
    Illegal { from: AccountStatus, to: AccountStatus },
    #[error("只有管理角色可以注销账号")]
    ManagementOnly,
}

/// Checks one move against the §3 table.
pub fn check_transition(from: AccountStatus, to: AccountStatus, trigger: Trigger) -> Result<(), TransitionError> {
    let manual = matches!(trigger, Trigger::Manual(_));
    let automatic = trigger == Trigger::Automatic;
    let allowed = match (from, to) {
        (Trial, Active) => manual,
        (Active, Arrears) => automatic,
        (Arrears, Active) => automatic,
        (Arrears, Suspended) => true,
        (Suspended, Active) => true,
        (Trial | Active | Arrears | Suspended, Closed) => {
            if trigger == Trigger::Manual(Role::Management) {
                true
            } else if manual {
                return Err(TransitionError::ManagementOnly);
            } else {
                false
            }
        }
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(TransitionError::Illegal { from, to })
    }
}

/// What a customer still owes: its bills issued and not yet fully paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Unsettled {
    pub bills: u64,
    pub outstanding: Total,
}

/// Why an account may not be closed (409 `UNSETTLED_BILLS`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("该客户还有 {} 张未结清账单（未收 ¥{}），确需注销请选择强制注销并填写原因", .0.bills, .0.outstanding)]
pub struct UnsettledBills(pub Unsettled);

/// Closing an account (DESIGN.md §3) is refused while it has unsettled bills,
/// unless the person forces it — a deliberate act with its reason on record.
pub fn check_close(unsettled: Unsettled, forced: bool) -> Result<(), UnsettledBills> {
    if unsettled.bills == 0 || forced {
        Ok(())
    } else {
        Err(UnsettledBills(unsettled))
    }
}

/// The statuses a person with this role may move a customer to by hand,
/// for the UI's status dialog.
pub fn manual_targets(from: AccountStatus, role: Role) -> Vec<AccountStatus> {
    AccountStatus::ALL
        .into_iter()
        .filter(|to| check_transition(from, *to, Trigger::Manual(role)).is_ok())
        .collect()
}

/// Where the automatic rule moves a customer, given its overdue bills:
/// `max_overdue_days` is the age of its oldest overdue bill (None when no
/// bill is overdue). Returns None when the status should stay.
pub fn automatic_target(
    current: AccountStatus,
    max_overdue_days: Option<i64>,
    suspend_after_days: i64,
) -> Option<AccountStatus> {
    let target = match (current, max_overdue_days) {
        (Active, Some(_)) => Arrears,
        (Arrears, Some(days)) if days > suspend_after_days => Suspended,
        (Arrears | Suspended, None) => Active,
        _ => return None,
    };
    check_transition(current, target, Trigger::Automatic)
        .ok()
        .map(|()| target)
}

/// Why the system moved an account (the reason on its timeline).
pub fn automatic_reason(target: AccountStatus, max_overdue_days: Option<i64>) -> String {
    match (target, max_overdue_days) {
        (Active, _) => "逾期账单已全部结清".to_string(),
        (_, Some(days)) => format!("账单逾期 {days} 天"),
        (_, None) => "系统自动调整".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_with_unsettled_bills_closes_only_when_forced() {
        let owing = Unsettled {
            bills: 2,
            outstanding: Total::from_units(1_234_500),
        };
        let refused = check_close(owing, false).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "该客户还有 2 张未结清账单（未收 ¥123.45），确需注销请选择强制注销并填写原因"
        );
        assert_eq!(check_close(owing, true), Ok(()));
        assert_eq!(check_close(Unsettled::default(), false), Ok(()));
    }

    const OPS: Trigger = Trigger::Manual(Role::Operations);
    const BOSS: Trigger = Trigger::Manual(Role::Management);

    #[test]
    fn a_signed_contract_activates_a_trial_by_hand_only() {
        assert_eq!(check_transition(Trial, Active, OPS), Ok(()));
        assert!(check_transition(Trial, Active, Trigger::Automatic).is_err());
    }

    #[test]
    fn arrears_come_and_go_automatically_only() {
        assert_eq!(check_transition(Active, Arrears, Trigger::Automatic), Ok(()));
        assert_eq!(check_transition(Arrears, Active, Trigger::Automatic), Ok(()));
        assert_eq!(
            check_transition(Active, Arrears, OPS),
            Err(TransitionError::Illegal {
                from: Active,
                to: Arrears
            })
        );
        assert!(check_transition(Arrears, Active, BOSS).is_err());
    }

    #[test]
    fn suspension_is_automatic_or_manual_from_arrears() {
        assert_eq!(check_transition(Arrears, Suspended, OPS), Ok(()));
        assert_eq!(check_transition(Arrears, Suspended, Trigger::Automatic), Ok(()));
        assert!(check_transition(Active, Suspended, OPS).is_err());
        assert_eq!(check_transition(Suspended, Active, OPS), Ok(()));
        assert_eq!(check_transition(Suspended, Active, Trigger::Automatic), Ok(()));
    }

    #[test]
    fn only_management_closes_and_closed_is_terminal() {
        for from in [Trial, Active, Arrears, Suspended] {
            assert_eq!(check_transition(from, Closed, BOSS), Ok(()));
            assert_eq!(
                check_transition(from, Closed, OPS),
                Err(TransitionError::ManagementOnly)
            );
            assert!(check_transition(from, Closed, Trigger::Automatic).is_err());
        }
        for to in AccountStatus::ALL {
            for trigger in [OPS, BOSS, Trigger::Automatic] {
                assert!(check_transition(Closed, to, trigger).is_err(), "closed → {to}");
            }
        }
    }

    #[test]
    fn staying_put_is_not_a_transition() {
        for status in AccountStatus::ALL {
            assert!(check_transition(status, status, BOSS).is_err());
        }
    }

    #[test]
    fn the_dialog_offers_exactly_the_legal_moves() {
        assert_eq!(manual_targets(Trial, Role::Operations), vec![Active]);
        assert_eq!(manual_targets(Trial, Role::Management), vec![Active, Closed]);
        assert_eq!(manual_targets(Arrears, Role::Operations), vec![Suspended]);
        assert!(manual_targets(Closed, Role::Management).is_empty());
    }

    #[test]
    fn overdue_bills_drive_the_automatic_moves() {
        assert_eq!(automatic_target(Active, Some(3), 30), Some(Arrears));
        assert_eq!(automatic_target(Arrears, Some(31), 30), Some(Suspended));
        assert_eq!(automatic_target(Arrears, Some(30), 30), None);
        assert_eq!(automatic_target(Arrears, None, 30), Some(Active));
        assert_eq!(automatic_target(Suspended, None, 30), Some(Active));
        assert_eq!(automatic_target(Suspended, Some(90), 30), None);
        assert_eq!(automatic_target(Trial, Some(90), 30), None);
        assert_eq!(automatic_target(Closed, None, 30), None);
    }
}
