pub mod customer {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "customers")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub customer_code: String,
        /// `customer_code` while live, NULL once deleted (unique).
        pub code_key: Option<String>,
        pub company_name: String,
        /// Normalized `company_name` while live, NULL once deleted (unique).
        pub name_key: Option<String>,
        pub credit_code: Option<String>,
        pub industry: Option<String>,
        pub level: Option<String>,
        pub region: Option<String>,
        pub address: Option<String>,
        pub contact_name: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub contact_phone_enc: Option<String>,
        pub contact_phone_index: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub contact_email_enc: Option<String>,
        pub contact_email_index: Option<String>,
        pub account_id: Option<String>,
        /// `account_id` while live, NULL once deleted (unique).
        pub account_key: Option<String>,
        pub account_status: String,
        pub series_x: bool,
        pub series_n: bool,
        pub series_l: bool,
        pub sales_owner_id: Option<i64>,
        pub ops_owner_id: Option<i64>,
        pub signed_at: Option<Date>,
        pub contract_end_at: Option<Date>,
        pub remarks: Option<String>,
        pub payment_terms_days: i32,
        pub search_text: String,
        pub version: i32,
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

pub mod tag {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "customer_tags")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub tag: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod status_history {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "customer_status_history")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub customer_id: i64,
        pub from_status: Option<String>,
        pub to_status: String,
        pub reason: String,
        pub actor_id: Option<i64>,
        pub actor_name: String,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
