//! Who may do what (DESIGN.md §10): three roles, a permission matrix, and the
//! data scope that limits sales staff to their own customers. Every route asks
//! these functions; nothing else decides access.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 运营
    Operations,
    /// 销售
    Sales,
    /// 管理
    Management,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Operations, Role::Sales, Role::Management];

    pub fn code(self) -> &'static str {
        match self {
            Role::Operations => "operations",
            Role::Sales => "sales",
            Role::Management => "management",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Operations => "运营",
            Role::Sales => "销售",
            Role::Management => "管理",
        }
    }

    /// The §10 matrix. Where sales has a capability only for its own
    /// customers, the permission is granted and [`Role::data_scope`] narrows it.
    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Management => true,
            Role::Operations => !matches!(
                permission,
                PricingManage
                    | UsersManage
                    | AuditView
                    | SettingsManage
                    | CustomersRestore
                    | BackupsManage
                    | IntegrationsManage
            ),
            Role::Sales => matches!(
                permission,
                CustomersView | CustomersEditContact | CustomersExport | BillingView | PaymentsView | AnalyticsView
            ),
        }
    }

    pub fn permissions(self) -> Vec<Permission> {
        Permission::ALL.into_iter().filter(|p| self.can(*p)).collect()
    }

    /// The scope a user of this role has unless management sets another:
    /// sales their own customers, everyone else all of them.
    pub fn default_scope(self) -> ScopeSetting {
        match self {
            Role::Sales => ScopeSetting::Own,
            Role::Operations | Role::Management => ScopeSetting::All,
        }
    }
}

/// 数据权限范围 (DESIGN.md §10), set per user by management: `own` — the
/// customers whose sales owner is the user; `team` — those of every member
/// of the user's sales team; `all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeSetting {
    Own,
    Team,
    All,
}

impl ScopeSetting {
    pub const ALL: [ScopeSetting; 3] = [ScopeSetting::Own, ScopeSetting::Team, ScopeSetting::All];
    pub const INVALID_MESSAGE: &str = "数据范围须为 own（本人）、team（本团队）或 all（全部）";

    pub fn code(self) -> &'static str {
        match self {
            ScopeSetting::Own => "own",
            ScopeSetting::Team => "team",
            ScopeSetting::All => "all",
        }
    }

    pub fn parse(code: &str) -> Option<ScopeSetting> {
        ScopeSetting::ALL.into_iter().find(|s| s.code() == code)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Permission {
    #[serde(rename = "customers.view")]
    CustomersView,
    /// Create customers and edit every field.
    #[serde(rename = "customers.edit")]
    CustomersEdit,
    /// Edit the contact fields of customers in scope (sales on their own).
    #[serde(rename = "customers.edit_contact")]
    CustomersEditContact,
    #[serde(rename = "customers.import")]
    CustomersImport,
    #[serde(rename = "customers.export")]
    CustomersExport,
    #[serde(rename = "customers.restore")]
    CustomersRestore,
    #[serde(rename = "pricing.view")]
    PricingView,
    /// Create plan versions and roll back (management only).
    #[serde(rename = "pricing.manage")]
    PricingManage,
    #[serde(rename = "pricing.propose")]
    PricingPropose,
    #[serde(rename = "usage.view")]
    UsageView,
    #[serde(rename = "usage.manage")]
    UsageManage,
    #[serde(rename = "billing.view")]
    BillingView,
    #[serde(rename = "billing.manage")]
    BillingManage,
    #[serde(rename = "payments.view")]
    PaymentsView,
    #[serde(rename = "payments.manage")]
    PaymentsManage,
    #[serde(rename = "analytics.view")]
    AnalyticsView,
    #[serde(rename = "users.manage")]
    UsersManage,
    #[serde(rename = "audit.view")]
    AuditView,
    #[serde(rename = "settings.manage")]
    SettingsManage,
    /// See the scheduled jobs and their runs (a failed job's banner).
    #[serde(rename = "jobs.view")]
    JobsView,
    /// The notification log and templates.
    #[serde(rename = "notifications.view")]
    NotificationsView,
    /// Edit templates, resend a failed notification.
    #[serde(rename = "notifications.manage")]
    NotificationsManage,
    /// List, start and download backups: the whole database (management).
    #[serde(rename = "backups.manage")]
    BackupsManage,
    /// The 集成 page: connectors' status, the ERP sync log, re-send
    /// (management).
    #[serde(rename = "integrations.manage")]
    IntegrationsManage,
}

impl Permission {
    pub const ALL: [Permission; 24] = [
        Permission::CustomersView,
        Permission::CustomersEdit,
        Permission::CustomersEditContact,
        Permission::CustomersImport,
        Permission::CustomersExport,
        Permission::CustomersRestore,
        Permission::PricingView,
        Permission::PricingManage,
        Permission::PricingPropose,
        Permission::UsageView,
        Permission::UsageManage,
        Permission::BillingView,
        Permission::BillingManage,
        Permission::PaymentsView,
        Permission::PaymentsManage,
        Permission::AnalyticsView,
        Permission::UsersManage,
        Permission::AuditView,
        Permission::SettingsManage,
        Permission::JobsView,
        Permission::NotificationsView,
        Permission::NotificationsManage,
        Permission::BackupsManage,
        Permission::IntegrationsManage,
    ];
}

/// Which customers' records a user may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataScope {
    All,
    /// Only customers whose sales owner is one of these users (sorted): the
    /// user alone, or every member of the user's team.
    Owners(std::sync::Arc<[i64]>),
}

impl DataScope {
    /// The scope a setting gives `user_id`, whose team has `team_members`
    /// (empty without a team: then `team` is the user's own customers).
    pub fn of(setting: ScopeSetting, user_id: i64, team_members: &[i64]) -> DataScope {
        match setting {
            ScopeSetting::All => DataScope::All,
            ScopeSetting::Own => DataScope::Owners([user_id].into()),
            ScopeSetting::Team => {
                let mut owners: Vec<i64> = team_members.iter().copied().chain([user_id]).collect();
                owners.sort_unstable();
                owners.dedup();
                DataScope::Owners(owners.into())
            }
        }
    }

    /// The sales owners whose customers are visible; `None` for all.
    pub fn owners(&self) -> Option<&[i64]> {
        match self {
            DataScope::All => None,
            DataScope::Owners(owners) => Some(owners),
        }
    }

    /// Whether a record whose customer has this sales owner is visible.
    pub fn admits(&self, sales_owner_id: Option<i64>) -> bool {
        match self {
            DataScope::All => true,
            DataScope::Owners(owners) => sales_owner_id.is_some_and(|owner| owners.binary_search(&owner).is_ok()),
        }
    }

    /// `all`, `own` or `team`, as the home page names what it counts.
    pub fn label_code(&self) -> &'static str {
        match self {
            DataScope::All => "all",
            DataScope::Owners(owners) if owners.len() == 1 => "own",
            DataScope::Owners(_) => "team",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    #[test]
    fn management_can_do_everything() {
        assert!(Permission::ALL.iter().all(|p| Role::Management.can(*p)));
    }

    #[test]
    fn only_management_manages_users_audit_settings_and_prices() {
        for permission in [
            UsersManage,
            AuditView,
            SettingsManage,
            PricingManage,
            CustomersRestore,
            BackupsManage,
            IntegrationsManage,
        ] {
            assert!(!Role::Operations.can(permission), "{permission:?}");
            assert!(!Role::Sales.can(permission), "{permission:?}");
        }
    }

    #[test]
    fn operations_runs_the_daily_work() {
        for permission in [
            CustomersEdit,
            CustomersImport,
            PricingView,
            PricingPropose,
            BillingManage,
            PaymentsManage,
        ] {
            assert!(Role::Operations.can(permission), "{permission:?}");
        }
    }

    #[test]
    fn sales_only_views_and_edits_contacts() {
        for permission in [
            CustomersEdit,
            CustomersImport,
            PricingView,
            BillingManage,
            PaymentsManage,
            UsageManage,
        ] {
            assert!(!Role::Sales.can(permission), "{permission:?}");
        }
        for permission in [
            CustomersView,
            CustomersEditContact,
            CustomersExport,
            BillingView,
            PaymentsView,
            AnalyticsView,
        ] {
            assert!(Role::Sales.can(permission), "{permission:?}");
        }
    }

    #[test]
    fn sales_scope_admits_only_own_customers() {
        let scope = DataScope::of(Role::Sales.default_scope(), 7, &[]);
        assert!(scope.admits(Some(7)));
        assert!(!scope.admits(Some(8)));
        assert!(!scope.admits(None));
        assert!(DataScope::of(Role::Operations.default_scope(), 7, &[]).admits(None));
    }

    #[test]
    fn a_team_scope_admits_every_member_and_the_user() {
        let team = DataScope::of(ScopeSetting::Team, 7, &[9, 3, 7]);
        assert_eq!(team.owners(), Some(&[3, 7, 9][..]));
        assert!(team.admits(Some(3)) && team.admits(Some(9)) && team.admits(Some(7)));
        assert!(!team.admits(Some(4)) && !team.admits(None));
        assert_eq!(team.label_code(), "team");
        // Without a team, `team` is the user's own customers.
        assert_eq!(
            DataScope::of(ScopeSetting::Team, 7, &[]),
            DataScope::of(ScopeSetting::Own, 7, &[])
        );
        assert_eq!(DataScope::of(ScopeSetting::All, 7, &[1]).owners(), None);
        for setting in ScopeSetting::ALL {
            assert_eq!(ScopeSetting::parse(setting.code()), Some(setting));
        }
    }

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }

    #[test]
    fn permission_codes_are_dotted() {
        let json = serde_json::to_string(&Role::Sales.permissions()).unwrap();
        assert!(json.contains("\"customers.view\""), "{json}");
    }
}
