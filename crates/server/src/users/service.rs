use chrono::{DateTime, Utc};
use opcms_domain::account::{check_new_password, parse_display_name, parse_username};
use opcms_domain::{FieldErrors, Role, ScopeSetting};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    NotSet, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::entity as user;
use crate::audit::{self, Actor, Entry};
use crate::auth::password;
use crate::auth::sessions::revoke_all_sessions;
use crate::crypto::Keyring;
use crate::db::{begin_write, like_contains};
use crate::error::{AppError, AppResult, is_unique_violation};
use crate::http::pagination::{Page, PageRequest};

/// A user named in another record (an owner, who made a version).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserRef {
    pub id: i64,
    pub display_name: String,
}

impl UserRef {
    /// The user `id` with the name found by [`display_names`] (empty when
    /// the user is gone).
    pub fn named(id: i64, names: &std::collections::HashMap<i64, String>) -> UserRef {
        UserRef {
            id,
            display_name: names.get(&id).cloned().unwrap_or_default(),
        }
    }
}

/// Display names of the given users, in one query (none when no ids).
pub async fn display_names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> AppResult<std::collections::HashMap<i64, String>> {
    let ids: std::collections::BTreeSet<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

/// A user as the API shows it; never the password hash.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = opcms_domain::Role)]
    pub role: String,
    /// `active` | `disabled`
    #[schema(value_type = UserStatus)]
    pub status: String,
    pub must_change_password: bool,
    #[schema(required = true)]
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// For the staff digests (DESIGN.md §17); shown to user managers only
    /// (null in a session's own view).
    #[schema(required = true)]
    pub email: Option<String>,
    #[schema(required = true)]
    pub phone: Option<String>,
    /// The user's sales team.
    #[schema(required = true)]
    pub team_id: Option<i64>,
    /// 数据范围 in force: as set, or the role's default.
    pub data_scope: ScopeSetting,
}

/// Whether a user may sign in.
/// The field holds the code as a string; this names the codes in the
/// OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Disabled,
}

impl From<user::Model> for UserView {
    fn from(m: user::Model) -> Self {
        let data_scope = scope_in_force(&m);
        UserView {
            data_scope,
            id: m.id,
            username: m.username,
            display_name: m.display_name,
            role: m.role,
            status: m.status,
            must_change_password: m.must_change_password,
            last_login_at: m.last_login_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            email: None,
            phone: None,
            team_id: m.team_id,
        }
    }
}

/// The binding of a staff address: the username, which never changes.
pub fn contact_binding(column: &str, username: &str) -> crate::crypto::Binding {
    crate::crypto::Binding::new("users", column, username)
}

/// A user with the addresses revealed, for the user managers.
pub fn view_with_contacts(keyring: &Keyring, m: user::Model) -> UserView {
    let reveal = |column: &str, sealed: &Option<String>| {
        sealed
            .as_ref()
            .and_then(|s| keyring.decrypt(&contact_binding(column, &m.username), s).ok())
    };
    let email = reveal("email_enc", &m.email_enc);
    let phone = reveal("phone_enc", &m.phone_enc);
    UserView {
        email,
        phone,
        ..UserView::from(m)
    }
}

/// Checks a staff address: empty clears it.
fn contact(errors: &mut FieldErrors, field: &'static str, text: Option<&str>) -> Option<Option<String>> {
    let text = text?.trim();
    if text.is_empty() {
        return Some(None);
    }
    let parsed = match field {
        "email" => opcms_domain::customer::fields::parse_email(text),
        _ => opcms_domain::customer::fields::parse_phone(text),
    };
    match parsed {
        Some(value) => Some(Some(value)),
        None => {
            errors.push(opcms_domain::FieldError::new(
                field,
                if field == "email" {
                    "INVALID_EMAIL"
                } else {
                    "INVALID_PHONE"
                },
                if field == "email" {
                    "邮箱格式不正确"
                } else {
                    "手机号格式不正确"
                },
            ));
            None
        }
    }
}

fn seal(keyring: &Keyring, column: &str, username: &str, value: Option<&str>) -> AppResult<Option<String>> {
    value
        .map(|v| keyring.encrypt(&contact_binding(column, username), v))
        .transpose()
        .map_err(AppError::Internal)
}

/// The fields of a user worth auditing (no hash, no token version).
fn audit_view(m: &user::Model) -> serde_json::Value {
    json!({"username": m.username, "display_name": m.display_name, "role": m.role, "status": m.status,
           "must_change_password": m.must_change_password, "team_id": m.team_id, "data_scope": m.data_scope})
}

/// The scope set for the user, or the role's default.
fn scope_in_force(m: &user::Model) -> ScopeSetting {
    m.data_scope
        .as_deref()
        .and_then(ScopeSetting::parse)
        .or_else(|| Role::parse(&m.role).map(Role::default_scope))
        .unwrap_or(ScopeSetting::Own)
}

fn parse_scope(errors: &mut FieldErrors, raw: &str) -> Option<ScopeSetting> {
    let scope = ScopeSetting::parse(raw.trim());
    if scope.is_none() {
        errors.push(opcms_domain::FieldError::new(
            "data_scope",
            "INVALID_SCOPE",
            ScopeSetting::INVALID_MESSAGE,
        ));
    }
    scope
}

/// `null` in a patch clears the field; absent leaves it.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    /// `operations` | `sales` | `management`
    pub role: String,
    pub display_name: String,
    /// For the staff digests; optional.
    pub email: Option<String>,
    pub phone: Option<String>,
    /// A sales team's id.
    pub team_id: Option<i64>,
    /// `own` | `team` | `all`; default the role's (sales own, others all).
    pub data_scope: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub role: Option<String>,
    /// `active` | `disabled`
    pub status: Option<String>,
    /// Resets the password; the user must change it at next login.
    pub password: Option<String>,
    /// Empty clears it.
    pub email: Option<String>,
    pub phone: Option<String>,
    /// A sales team's id; null takes the user out of their team.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub team_id: Option<Option<i64>>,
    /// `own` | `team` | `all`.
    pub data_scope: Option<String>,
}

fn parse_role(errors: &mut FieldErrors, raw: &str) -> Option<Role> {
    let role = Role::parse(raw);
    if role.is_none() {
        errors.push(opcms_domain::FieldError::new(
            "role",
            "INVALID_ROLE",
            "角色须为 operations（运营）、sales（销售）或 management（管理）",
        ));
    }
    role
}

/// `keyring` seals the staff addresses; without one (the CLI) none may be given.
pub async fn create(
    db: &DatabaseConnection,
    keyring: Option<&Keyring>,
    actor: &Actor,
    input: NewUser,
) -> AppResult<user::Model> {
    let mut errors = FieldErrors::new();
    let email = contact(&mut errors, "email", input.email.as_deref()).flatten();
    let phone = contact(&mut errors, "phone", input.phone.as_deref()).flatten();
    let username = errors.check(parse_username("username", &input.username));
    let display_name = errors.check(parse_display_name("display_name", &input.display_name));
    let role = parse_role(&mut errors, &input.role);
    let scope = input.data_scope.as_deref().and_then(|v| parse_scope(&mut errors, v));
    if let Some(username) = &username {
        errors.check(check_new_password("password", username, &input.password, None));
    }
    let (Some(username), Some(display_name), Some(role)) = (username, display_name, role) else {
        return Err(AppError::Validation(errors.into_vec()));
    };
    errors.into_result().map_err(AppError::Validation)?;
    let password_hash = password::hash(input.password).await?;
    let contacts = match keyring {
        Some(keyring) => (
            seal(keyring, "email_enc", &username, email.as_deref())?,
            seal(keyring, "phone_enc", &username, phone.as_deref())?,
        ),
        None => (None, None),
    };
    insert(
        db,
        actor,
        username,
        display_name,
        role,
        password_hash,
        contacts,
        (input.team_id, scope),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    db: &DatabaseConnection,
    actor: &Actor,
    username: String,
    display_name: String,
    role: Role,
    password_hash: String,
    (email_enc, phone_enc): (Option<String>, Option<String>),
    (team_id, data_scope): (Option<i64>, Option<ScopeSetting>),
) -> AppResult<user::Model> {
    let now = Utc::now();
    let txn = begin_write(db).await?;
    if let Some(team) = team_id {
        super::teams::lock(&txn, team).await?;
    }
    let created = user::ActiveModel {
        id: NotSet,
        username: Set(username),
        display_name: Set(display_name),
        password_hash: Set(password_hash),
        role: Set(role.code().into()),
        status: Set("active".into()),
        // Every new account changes its password at first sign-in.
        must_change_password: Set(true),
        token_version: Set(0),
        last_login_at: Set(None),
        created_at: Set(now),
        created_by: Set(actor.user_id),
        updated_at: Set(now),
        updated_by: Set(actor.user_id),
        is_deleted: Set(false),
        deleted_at: Set(None),
        email_enc: Set(email_enc),
        phone_enc: Set(phone_enc),
        team_id: Set(team_id),
        data_scope: Set(data_scope.map(|s| s.code().to_string())),
    }
    .insert(&txn)
    .await
    .map_err(|err| {
        if is_unique_violation(&err) {
            AppError::conflict("USERNAME_TAKEN", "用户名已存在")
        } else {
            err.into()
        }
    })?;
    audit::record(
        &txn,
        actor,
        Entry {
            action: "user.create",
            entity_type: "user",
            entity_id: Some(created.id.to_string()),
            changes: Some(audit::diff(&serde_json::Value::Null, &audit_view(&created))),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> AppResult<user::Model> {
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|u| !u.is_deleted)
        .ok_or_else(|| AppError::not_found("用户"))
}

pub async fn update(
    db: &DatabaseConnection,
    keyring: &Keyring,
    actor: &Actor,
    id: i64,
    patch: UserPatch,
) -> AppResult<user::Model> {
    let mut errors = FieldErrors::new();
    let email = contact(&mut errors, "email", patch.email.as_deref());
    let phone = contact(&mut errors, "phone", patch.phone.as_deref());
    let display_name = patch
        .display_name
        .as_deref()
        .and_then(|v| errors.check(parse_display_name("display_name", v)));
    let role = patch.role.as_deref().and_then(|v| parse_role(&mut errors, v));
    let scope = patch.data_scope.as_deref().and_then(|v| parse_scope(&mut errors, v));
    let status = match patch.status.as_deref() {
        None => None,
        Some(s @ ("active" | "disabled")) => Some(s.to_string()),
        Some(_) => {
            errors.push(opcms_domain::FieldError::new(
                "status",
                "INVALID_STATUS",
                "状态须为 active（启用）或 disabled（停用）",
            ));
            None
        }
    };
    let current = find(db, id).await?;
    if let Some(new_password) = &patch.password {
        errors.check(check_new_password("password", &current.username, new_password, None));
    }
    errors.into_result().map_err(AppError::Validation)?;

    let is_self = actor.user_id == Some(id);
    let demotes_self = role.is_some_and(|r| r.code() != current.role);
    let disables_self = status.as_deref() == Some("disabled");
    if is_self && (demotes_self || disables_self) {
        return Err(AppError::conflict(
            "CANNOT_CHANGE_OWN_ACCESS",
            "不能停用自己的账号或修改自己的角色",
        ));
    }
    let password_hash = match patch.password {
        Some(p) => Some(password::hash(p).await?),
        None => None,
    };

    let txn = begin_write(db).await?;
    let before = find(&txn, id).await?;
    let mut row: user::ActiveModel = before.clone().into();
    if let Some(v) = display_name {
        row.display_name = Set(v);
    }
    // Access changes (role, disable, password reset) end every open session.
    let mut revoke = false;
    if let Some(r) = role.filter(|r| r.code() != before.role) {
        row.role = Set(r.code().into());
        revoke = true;
    }
    if let Some(s) = status.filter(|s| *s != before.status) {
        revoke |= s == "disabled";
        row.status = Set(s);
    }
    // Team and scope take effect on the user's next request.
    if let Some(team) = patch.team_id {
        if let Some(id) = team {
            super::teams::lock(&txn, id).await?;
        }
        row.team_id = Set(team);
    }
    if let Some(scope) = scope {
        row.data_scope = Set(Some(scope.code().to_string()));
    }
    if let Some(hash) = password_hash {
        row.password_hash = Set(hash);
        row.must_change_password = Set(true);
        revoke = true;
    }
    let revealed = view_with_contacts(keyring, before.clone());
    let (before_email, before_phone) = (revealed.email, revealed.phone);
    let mut contact_changes = serde_json::Map::new();
    if let Some(email) = email.filter(|e| *e != before_email) {
        row.email_enc = Set(seal(keyring, "email_enc", &before.username, email.as_deref())?);
        contact_changes.insert("email".into(), json!({"before": "***", "after": "***"}));
    }
    if let Some(phone) = phone.filter(|p| *p != before_phone) {
        row.phone_enc = Set(seal(keyring, "phone_enc", &before.username, phone.as_deref())?);
        contact_changes.insert("phone".into(), json!({"before": "***", "after": "***"}));
    }
    if revoke {
        row.token_version = Set(before.token_version + 1);
        revoke_all_sessions(&txn, id).await?;
    }
    row.updated_at = Set(Utc::now());
    row.updated_by = Set(actor.user_id);
    let after = row.update(&txn).await?;
    let mut changes = audit::diff(&audit_view(&before), &audit_view(&after));
    if after.password_hash != before.password_hash {
        changes["password"] = json!({"before": "***", "after": "***"});
    }
    for (key, value) in contact_changes {
        changes[key] = value;
    }
    audit::record(
        &txn,
        actor,
        Entry {
            action: "user.update",
            entity_type: "user",
            entity_id: Some(id.to_string()),
            changes: Some(changes),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

pub struct UserFilter {
    pub q: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
}

pub async fn list(
    db: &DatabaseConnection,
    keyring: &Keyring,
    filter: UserFilter,
    page: PageRequest,
) -> AppResult<Page<UserView>> {
    let mut select = user::Entity::find().filter(user::Column::IsDeleted.eq(false));
    if let Some(q) = filter.q.map(|q| q.trim().to_string()).filter(|q| !q.is_empty()) {
        select = select.filter(
            Condition::any()
                .add(user::Column::Username.like(like_contains(&q.to_lowercase())))
                .add(user::Column::DisplayName.like(like_contains(&q))),
        );
    }
    if let Some(role) = filter.role.filter(|v| !v.is_empty()) {
        select = select.filter(user::Column::Role.eq(role));
    }
    if let Some(status) = filter.status.filter(|v| !v.is_empty()) {
        select = select.filter(user::Column::Status.eq(status));
    }
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_asc(user::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    Ok(Page::new(
        rows.into_iter().map(|row| view_with_contacts(keyring, row)).collect(),
        total,
        page,
    ))
}

/// Creates `admin` (management) when the database has no user at all.
/// Returns the generated password when none was configured, to print once.
pub async fn bootstrap_admin(db: &DatabaseConnection, configured_password: Option<&str>) -> AppResult<Option<String>> {
    if user::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let (password, generated) = match configured_password {
        Some(p) => (p.to_string(), false),
        None => (random_password(), true),
    };
    let hash = password::hash(password.clone()).await?;
    match insert(
        db,
        &Actor::system(),
        "admin".into(),
        "系统管理员".into(),
        Role::Management,
        hash,
        (None, None),
        (None, None),
    )
    .await
    {
        Ok(_) => Ok(generated.then_some(password)),
        // Another instance started at the same moment and created it.
        Err(AppError::Conflict { .. }) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Creates a user from the command line (`opcms user create`).
pub async fn create_from_cli(
    db: &DatabaseConnection,
    username: &str,
    role: Role,
    display_name: Option<&str>,
    password: String,
) -> AppResult<user::Model> {
    let input = NewUser {
        username: username.into(),
        password,
        role: role.code().into(),
        display_name: display_name.unwrap_or(username).into(),
        email: None,
        phone: None,
        team_id: None,
        data_scope: None,
    };
    create(db, None, &Actor::system(), input).await
}

fn random_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let mut password: String = (0..14)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    // Guarantee both classes the password rule demands.
    password.push(char::from(b'a' + rng.random_range(0..26)));
    password.push(char::from(b'2' + rng.random_range(0..8)));
    password
}
