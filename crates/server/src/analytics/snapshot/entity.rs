//! The snapshot tables written row by row (migration
//! `m20261209_000017_analytics_snapshots`); the per-owner sums are kept by
//! raw `UPDATE … SET x = x + ?` and need no entity.

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
        pub receivable: i64,
        pub collected: i64,
        pub received: i64,
        pub usage_x: i64,
        pub usage_n: i64,
        pub usage_l: i64,
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
        pub open: i64,
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
