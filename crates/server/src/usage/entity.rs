//! Usage tables (migration `m20261124_000007_usage` says why each exists).

pub mod record {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "usage_records")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub customer_id: i64,
        pub series: String,
        pub day: Date,
        /// `yyyymm` of `day`.
        pub month: i32,
        /// Units of 0.0001.
        pub quantity: i64,
        pub source: String,
        pub source_id: String,
        pub revisions: i32,
        pub created_at: DateTimeUtc,
        pub created_by: Option<i64>,
        pub updated_at: DateTimeUtc,
        pub updated_by: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod monthly {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "usage_monthly")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub month: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub series: String,
        pub quantity: i64,
        pub record_count: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod revision {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "usage_revisions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub record_id: i64,
        pub quantity_before: i64,
        pub quantity_after: i64,
        pub cause: String,
        pub reason: Option<String>,
        pub changed_at: DateTimeUtc,
        pub changed_by: Option<i64>,
        pub changed_by_name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod quarantine {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "usage_quarantine")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub source: String,
        /// The source's record id, or a digest of the record's identity.
        pub source_key: String,
        pub source_id: Option<String>,
        pub account_id: Option<String>,
        pub customer_id: Option<i64>,
        pub series: Option<String>,
        pub day: Option<String>,
        pub quantity: Option<String>,
        /// The record as received (JSON).
        #[sea_orm(column_type = "Text")]
        pub raw: String,
        pub reason: String,
        pub message: String,
        /// `pending` | `resolved` | `discarded`
        pub status: String,
        pub occurrences: i32,
        pub run_id: Option<i64>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub resolved_at: Option<DateTimeUtc>,
        pub resolved_by: Option<i64>,
        /// `mapped` | `corrected` | `accepted` | `discarded`
        pub resolution: Option<String>,
        pub resolution_note: Option<String>,
        pub usage_record_id: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod account_link {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "usage_account_links")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: String,
        pub customer_id: i64,
        pub created_at: DateTimeUtc,
        pub created_by: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod run {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "usage_collection_runs")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub source: String,
        pub day: Date,
        /// `running` | `succeeded` | `failed`
        pub status: String,
        /// `manual` | `schedule` | `rerun`
        pub trigger_kind: String,
        pub pages: i32,
        pub attempts: i32,
        pub fetched: i32,
        pub created: i32,
        pub updated: i32,
        pub unchanged: i32,
        pub quarantined: i32,
        /// Discarded by rule (usage of closed customers, `usage_discard_closed`).
        pub discarded: i32,
        pub error: Option<String>,
        pub started_at: DateTimeUtc,
        pub finished_at: Option<DateTimeUtc>,
        pub duration_ms: Option<i64>,
        pub triggered_by: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod write_lock {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "usage_write_locks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub source: String,
        pub writes: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod daily {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "usage_daily")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: Date,
        #[sea_orm(primary_key, auto_increment = false)]
        pub series: String,
        pub quantity: i64,
        pub record_count: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
