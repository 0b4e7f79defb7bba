pub mod notification {
    use sea_orm::entity::prelude::*;

    /// One message in the outbox (DESIGN.md §17).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notifications")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// `bill.issued`, `bill.overdue`, … (`opcms_domain::notify::Event`)
        pub event: String,
        /// `email` | `sms`
        pub channel: String,
        pub customer_id: Option<i64>,
        pub bill_id: Option<i64>,
        /// The staff recipient of a digest.
        pub user_id: Option<i64>,
        /// The overdue day, the digest's date, …: what makes it a new message.
        pub stage: Option<String>,
        /// Sealed with the keyring, bound to `dedupe_key`; None when skipped
        /// for want of an address.
        pub recipient_enc: Option<String>,
        pub recipient_masked: Option<String>,
        pub subject: Option<String>,
        pub body: String,
        #[sea_orm(unique)]
        pub dedupe_key: String,
        /// `queued` | `sending` | `sent` | `failed` | `skipped`
        pub status: String,
        pub attempts: i32,
        /// The sender (instance and batch) holding it while `sending`.
        pub holder: Option<String>,
        pub lease_until: Option<DateTimeUtc>,
        /// Business time at which a queued row is (re)tried.
        pub next_attempt_at: DateTimeUtc,
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub sent_at: Option<DateTimeUtc>,
        /// The file name of the attachment kept in file storage
        /// (`mail/<id>/<name>`, exactly the bytes sent); None when none was
        /// kept. Set only after the object was written.
        pub attachment_name: Option<String>,
        /// Its size in bytes; None together with `attachment_name`.
        pub attachment_size: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod template {
    use sea_orm::entity::prelude::*;

    /// An edited template; without a row the built-in default applies.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notification_templates")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub event: String,
        pub channel: String,
        pub subject: Option<String>,
        pub body: String,
        pub updated_at: DateTimeUtc,
        pub updated_by: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod preference {
    use sea_orm::entity::prelude::*;

    /// A customer's channels; no row: both on.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "customer_notification_prefs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: i64,
        pub email: bool,
        pub sms: bool,
        pub updated_at: DateTimeUtc,
        pub updated_by: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
