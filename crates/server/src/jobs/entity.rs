pub mod job_run {
    use sea_orm::entity::prelude::*;

    /// One run of a job for one period (DESIGN.md §16); UNIQUE (job,
    /// period_key), so a period is claimed by inserting this row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_runs")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub job: String,
        pub period_key: String,
        /// `running` | `succeeded` | `failed`
        pub status: String,
        /// 1 for the first try; each retry, takeover or manual re-run adds one.
        pub attempt: i32,
        /// `schedule` | `catch_up` | `retry` | `takeover` | `manual`
        pub trigger: String,
        /// The instance that holds (or last held) the run.
        pub holder: String,
        /// Real time: the holder renews it; once past, another instance may take over.
        pub lease_until: DateTimeUtc,
        /// Business time (the clock of DESIGN.md §16), like the schedule.
        pub started_at: DateTimeUtc,
        pub finished_at: Option<DateTimeUtc>,
        /// When a failed run is tried again (business time); None once the
        /// retries are spent.
        pub next_attempt_at: Option<DateTimeUtc>,
        /// JSON object of counts, e.g. `{"drafts": 1320, "issued": 1297}`.
        pub counts: String,
        pub error: Option<String>,
        /// The user of a manual run.
        pub started_by: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod job_state {
    use sea_orm::entity::prelude::*;

    /// Per job: paused or not, and up to when the scheduler has looked for
    /// due times (business time), which makes catch-up exact.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_state")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub job: String,
        pub paused: bool,
        pub checked_until: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
        pub updated_by: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
