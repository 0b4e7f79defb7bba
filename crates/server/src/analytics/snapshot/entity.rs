//! The snapshot tables written row by row (migration
//! `m20261209_000017_analytics_snapshots`); the per-owner sums are kept by
//! raw `UPDATE … SET x = x + ?` and need no entity. Amounts beyond one
//! BIGINT's reach are in two columns, `_hi` and `_lo` (`crate::db::SplitUnits`).

pub mod customer_month {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "analytics_customer_months")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub period: i32,
        pub owner_id: i64,
        pub code_key: Vec<u8>,
        /// Counted bills of the period.
        pub bills: i32,
        pub receivable_hi: i64,
        pub receivable_lo: i64,
        pub collected_hi: i64,
        pub collected_lo: i64,
        pub received_hi: i64,
        pub received_lo: i64,
        pub usage_x_hi: i64,
        pub usage_x_lo: i64,
        pub usage_n_hi: i64,
        pub usage_n_lo: i64,
        pub usage_l_hi: i64,
        pub usage_l_lo: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod customer_due {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "analytics_customer_dues")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub due_date: Date,
        pub owner_id: i64,
        pub open_hi: i64,
        pub open_lo: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod segment_row {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "analytics_segment_rows")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub period: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: i64,
        pub owner_id: i64,
        pub code_key: Vec<u8>,
        pub customer_code: String,
        pub company_name: String,
        pub search: String,
        pub revenue_12m: i64,
        pub last3: i64,
        pub earlier3: i64,
        pub trend: String,
        pub growth: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod churn_row {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "analytics_churn_rows")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub as_of: Date,
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: i64,
        pub owner_id: i64,
        pub code_key: Vec<u8>,
        pub customer_code: String,
        pub company_name: String,
        pub search: String,
        pub account_status: String,
        pub risk: String,
        /// 0 high, 1 medium: the list's order.
        pub risk_rank: i16,
        /// The flags as JSON.
        pub flags: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod credit_row {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "analytics_credit_rows")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub as_of: Date,
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: i64,
        pub owner_id: i64,
        pub code_key: Vec<u8>,
        pub customer_code: String,
        pub company_name: String,
        pub search: String,
        pub score: Option<i32>,
        pub grade: String,
        pub on_time: Option<String>,
        pub late_days: Option<String>,
        pub overdue_ratio: Option<String>,
        pub tenure_months: i32,
        pub window_bills: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod aging_row {
    use sea_orm::entity::prelude::*;

    /// A customer's aging on a day; money in Fixed4 units, each amount in
    /// two columns (`crate::db::SplitUnits`).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "analytics_aging_rows")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub as_of: Date,
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: i64,
        pub owner_id: i64,
        pub code_key: Vec<u8>,
        pub customer_code: String,
        pub company_name: String,
        pub search: String,
        pub open_bills: i32,
        pub max_overdue_days: i64,
        pub not_due_hi: i64,
        pub not_due_lo: i64,
        pub d1_30_hi: i64,
        pub d1_30_lo: i64,
        pub d31_60_hi: i64,
        pub d31_60_lo: i64,
        pub d61_90_hi: i64,
        pub d61_90_lo: i64,
        pub d90_plus_hi: i64,
        pub d90_plus_lo: i64,
        pub overdue_hi: i64,
        pub overdue_lo: i64,
        pub outstanding_hi: i64,
        pub outstanding_lo: i64,
        pub unapplied_hi: i64,
        pub unapplied_lo: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
