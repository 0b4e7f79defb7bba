//! Bill tables (migration m20261203_000008_bills).

pub mod bill {
    use opcms_domain::billing::BillStatus;
    use sea_orm::Condition;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bills")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub bill_no: String,
        pub customer_id: i64,
        /// `yyyymm`.
        pub period: i32,
        pub kind: String,
        /// 1 for a live auto bill, NULL otherwise (the unique key's slot).
        pub auto_slot: Option<i16>,
        pub status: String,
        pub plan_id: Option<i64>,
        pub plan_version: Option<i32>,
        /// JSON array of `opcms_domain::billing::StoredLine`.
        pub lines: String,
        pub subtotal: i64,
        pub credited: i64,
        pub total: i64,
        pub allocated: i64,
        /// JSON array of `opcms_domain::billing::BillWarning`.
        pub warnings: String,
        pub warning_count: i32,
        /// SHA-256 of what the draft was computed from and to: equal means
        /// a regeneration has nothing to write.
        pub fingerprint: String,
        /// The usage an auto bill was priced from (`X=100;N=5`): a change
        /// after issue is late usage.
        pub usage_key: Option<String>,
        pub warnings_ack_by: Option<i64>,
        pub warnings_ack_at: Option<DateTimeUtc>,
        /// JSON `{detected_at, series: [{series, billed, current}]}`.
        pub late_usage: Option<String>,
        pub due_date: Option<Date>,
        pub issued_at: Option<DateTimeUtc>,
        pub issued_by: Option<i64>,
        pub voided_at: Option<DateTimeUtc>,
        pub voided_by: Option<i64>,
        pub void_reason: Option<String>,
        pub remarks: Option<String>,
        pub run_id: Option<i64>,
        pub created_at: DateTimeUtc,
        pub created_by: Option<i64>,
        pub updated_at: DateTimeUtc,
        pub updated_by: Option<i64>,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    /// The open bills ([`BillStatus::OPEN`]: issued, not fully paid), as a query filter.
    pub fn is_open() -> Condition {
        Condition::all().add(Column::Status.is_in(BillStatus::OPEN.map(BillStatus::code)))
    }
}

pub mod credit_note {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bill_credit_notes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub bill_id: i64,
        pub amount: i64,
        pub reason: String,
        pub created_at: DateTimeUtc,
        pub created_by: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod counter {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bill_counters")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub period: i32,
        pub last_no: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod run {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_runs")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub period: i32,
        pub customer_filter: Option<String>,
        pub created: i32,
        pub updated: i32,
        pub unchanged: i32,
        pub voided: i32,
        pub kept_issued: i32,
        pub late_usage: i32,
        pub skipped_count: i32,
        /// JSON array of skipped customers (the first 1,000).
        pub skipped: String,
        pub warnings: i32,
        pub duration_ms: i64,
        pub started_at: DateTimeUtc,
        pub actor_id: Option<i64>,
        pub actor_name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
