pub mod plan {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "price_plans")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        /// Normalized `name` while live, NULL once deleted (unique).
        pub name_key: Option<String>,
        /// The highest version number; bumped under a row lock.
        pub current_version: i32,
        pub created_at: DateTimeUtc,
        pub created_by: Option<i64>,
        pub updated_at: DateTimeUtc,
        pub updated_by: Option<i64>,
        pub is_deleted: bool,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod version {
    use sea_orm::entity::prelude::*;

    /// One version of a plan. Never updated once written.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "price_plan_versions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub plan_id: i64,
        pub version: i32,
        /// The first month it applies to, as `yyyymm` (`Period::key`).
        pub effective_from: i32,
        /// Encrypted `"500.00"`; NULL: no minimum charge.
        #[sea_orm(column_type = "Text", nullable)]
        pub minimum_charge_enc: Option<String>,
        /// Encrypted rule JSON `{"X": rule, "N": rule, "L": rule}`, prices as written.
        #[sea_orm(column_type = "Text")]
        pub rules_enc: String,
        pub reason: Option<String>,
        pub rolled_back_from: Option<i32>,
        pub created_at: DateTimeUtc,
        pub created_by: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod customer_pricing {
    use sea_orm::entity::prelude::*;

    /// A customer's plan and rule overrides.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "customer_pricing")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: i64,
        pub plan_id: i64,
        /// Encrypted rule JSON of the overridden series; NULL: none.
        #[sea_orm(column_type = "Text", nullable)]
        pub overrides_enc: Option<String>,
        pub created_at: DateTimeUtc,
        pub created_by: Option<i64>,
        pub updated_at: DateTimeUtc,
        pub updated_by: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
