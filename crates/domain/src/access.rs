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
                PricingManage | UsersManage | AuditView | SettingsManage | CustomersRestore
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

    /// Sales sees only customers whose sales owner is the user; everyone else
    /// sees all. Records outside the scope answer 404, never 403.
    pub fn data_scope(self, user_id: i64) -> DataScope {
        match self {
            Role::Sales => DataScope::OwnedBy(user_id),
            Role::Operations | Role::Management => DataScope::All,
        }
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
}

impl Permission {
    pub const ALL: [Permission; 22] = [
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
    ];
}

/// Which customers' records a user may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataScope {
    All,
    /// Only customers whose sales owner is this user id.
    OwnedBy(i64),
}

impl DataScope {
    /// Whether a record whose customer has this sales owner is visible.
    pub fn admits(self, sales_owner_id: Option<i64>) -> bool {
        match self {
            DataScope::All => true,
            DataScope::OwnedBy(user_id) => sales_owner_id == Some(user_id),
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
        for permission in [UsersManage, AuditView, SettingsManage, PricingManage, CustomersRestore] {
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
        let scope = Role::Sales.data_scope(7);
        assert!(scope.admits(Some(7)));
        assert!(!scope.admits(Some(8)));
        assert!(!scope.admits(None));
        assert!(Role::Operations.data_scope(7).admits(None));
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
