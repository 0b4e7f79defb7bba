//! ERP tables (migrations m20261211_000019_erp and
//! m20261212_000021_erp_customer_pull).

pub mod outbox {
    use sea_orm::entity::prelude::*;

    /// One document for the ERP: queued with its cause, then its sync log.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "erp_outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// `bill` | `credit_note` | `receipt` (`opcms_domain::erp::DocKind`)
        pub kind: String,
        /// The bill, credit note or payment id.
        pub doc_id: i64,
        /// bill_no, credit note number or payment_no.
        pub doc_no: String,
        pub customer_id: Option<i64>,
        #[sea_orm(unique)]
        pub idempotency_key: String,
        /// A row that must be sent first (a credit note's bill).
        pub depends_on: Option<i64>,
        /// Our JSON of the document, before the field mapping.
        pub payload: String,
        /// `queued` | `sending` | `sent` | `failed`
        pub status: String,
        pub attempts: i32,
        /// The sender (instance and batch) holding it while `sending`.
        pub holder: Option<String>,
        pub lease_until: Option<DateTimeUtc>,
        pub next_attempt_at: DateTimeUtc,
        pub last_error: Option<String>,
        /// The ERP's id of the document, when its answer gave one.
        pub erp_ref: Option<String>,
        /// `created` | `duplicate` (the ERP already had it).
        pub erp_result: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub sent_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod customer_link {
    use sea_orm::entity::prelude::*;

    /// A customer the ERP has sent: what was applied, and a conflict waiting.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "erp_customer_links")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub customer_id: i64,
        /// The ERP record version last applied (or kept against).
        pub erp_version: Option<String>,
        /// Our customer `version` right after the ERP's values were applied
        /// (or found equal): a higher one means it was edited here since.
        pub synced_version: i32,
        /// A conflict: the ERP's record and the differing fields, sealed.
        pub pending_enc: Option<String>,
        pub pending_digest: Option<String>,
        pub conflict_at: Option<DateTimeUtc>,
        /// A person kept our values against this ERP record.
        pub kept_digest: Option<String>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod pull_state {
    use sea_orm::entity::prelude::*;

    /// Where the ERP's change feed was left.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "erp_pull_state")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub feed_cursor: Option<String>,
        pub last_success_at: Option<DateTimeUtc>,
        /// JSON object of the last successful run's counts.
        pub last_counts: Option<String>,
        /// The last failure, kept until a run succeeds.
        pub last_error: Option<String>,
        pub last_error_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
