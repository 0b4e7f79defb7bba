use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub status: String,
    pub must_change_password: bool,
    pub token_version: i32,
    pub last_login_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub created_by: Option<i64>,
    pub updated_at: DateTimeUtc,
    pub updated_by: Option<i64>,
    pub is_deleted: bool,
    pub deleted_at: Option<DateTimeUtc>,
    /// Staff addresses for the digests (DESIGN.md §17), encrypted and bound
    /// to the username.
    pub email_enc: Option<String>,
    pub phone_enc: Option<String>,
    /// The user's sales team, if any.
    pub team_id: Option<i64>,
    /// `own` | `team` | `all`; `None` is the role's default.
    pub data_scope: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
