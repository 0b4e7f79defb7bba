//! Payment tables (migration m20261203_000010_payments).

pub mod payment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub payment_no: String,
        pub customer_id: Option<i64>,
        pub amount: i64,
        /// Σ live allocations; the database keeps it ≤ `amount`.
        pub allocated: i64,
        pub received_at: Date,
        pub method: String,
        pub payer_name: Option<String>,
        pub reference: Option<String>,
        /// `method:REFERENCE`, unique; NULL without a reference or once deleted.
        pub reference_key: Option<String>,
        pub remarks: Option<String>,
        pub source: String,
        pub source_file: Option<String>,
        pub created_at: DateTimeUtc,
        pub created_by: Option<i64>,
        pub updated_at: DateTimeUtc,
        pub updated_by: Option<i64>,
        pub is_deleted: bool,
        pub deleted_at: Option<DateTimeUtc>,
        pub deleted_by: Option<i64>,
        pub delete_reason: Option<String>,
        pub version: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod allocation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment_allocations")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub payment_id: i64,
        pub bill_id: i64,
        pub customer_id: i64,
        pub amount: i64,
        /// `active` | `reversed`
        pub status: String,
        pub created_at: DateTimeUtc,
        pub created_by: Option<i64>,
        pub reversed_at: Option<DateTimeUtc>,
        pub reversed_by: Option<i64>,
        pub reverse_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod counter {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment_counters")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub period: i32,
        pub last_no: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
