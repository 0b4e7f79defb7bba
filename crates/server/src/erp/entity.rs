//! ERP tables (migration m20261211_000019_erp).

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
