import type { CreateUserRequest, DataScope, Role, Team, UpdateUserRequest, User, UserStatus } from '@/api/types';

/** 数据范围, narrowest first (the select's order). */
export const SCOPES: readonly DataScope[] = ['own', 'team', 'all'];

/** The server's team name rule (users/teams.rs): 1–32 characters once trimmed. */
export const TEAM_NAME_MAX = 32;

export function teamNameValid(name: string): boolean {
  const length = [...name.trim()].length;
  return length >= 1 && length <= TEAM_NAME_MAX;
}

/** The scope a role has unless management sets another (crates/domain/src/access.rs). */
export function defaultScope(role: Role): DataScope {
  return role === 'sales' ? 'own' : 'all';
}

export interface UserFormModel {
  username: string;
  display_name: string;
  role: Role | '';
  status: UserStatus;
  password: string;
  /** For the staff digests (销售逾期摘要, 运营日报); empty for none. */
  email: string;
  phone: string;
  /** 所属团队; empty for none. */
  team_id: number | '';
  /** 数据范围; empty until a role is chosen (the role's default then applies). */
  data_scope: DataScope | '';
}

/** The dialog's model for `user` (null: a new user). */
export function formModel(user: User | null): UserFormModel {
  return {
    username: user?.username ?? '',
    display_name: user?.display_name ?? '',
    role: user?.role ?? '',
    status: user?.status ?? 'active',
    password: '',
    email: user?.email ?? '',
    phone: user?.phone ?? '',
    team_id: user?.team_id ?? '',
    data_scope: user?.data_scope ?? '',
  };
}

/**
 * The scope the form shows once the role changed: back at the role it opened with, the
 * scope it opened with; another role, that role's default. So what is on screen is what
 * the user will have, and changing a salesperson into an operator does not quietly keep
 * 本人客户 (the server would otherwise keep an explicit scope, or switch a default one).
 */
export function scopeForRole(role: Role | '', opened: { role: Role | ''; scope: DataScope | '' }): DataScope | '' {
  if (!role) return '';
  return role === opened.role && opened.scope ? opened.scope : defaultScope(role);
}

/**
 * `POST /users`: addresses trimmed (empty as null); the team only when one is chosen and
 * the scope only when it is not the role's default, so a default stays a default.
 */
export function newUserBody(model: UserFormModel): CreateUserRequest {
  const role = model.role as Role;
  return {
    username: model.username.trim(),
    display_name: model.display_name.trim(),
    role,
    password: model.password,
    email: model.email.trim() || null,
    phone: model.phone.trim() || null,
    ...(model.team_id !== '' ? { team_id: model.team_id } : {}),
    ...(model.data_scope && model.data_scope !== defaultScope(role) ? { data_scope: model.data_scope } : {}),
  };
}

/** `PATCH /users/{id}`: only what changed, so the audit log records real edits. */
export function userChanges(user: User, model: UserFormModel): UpdateUserRequest {
  const body: UpdateUserRequest = {};
  const displayName = model.display_name.trim();
  if (displayName !== user.display_name) body.display_name = displayName;
  if (model.role && model.role !== user.role) body.role = model.role;
  if (model.status !== user.status) body.status = model.status;
  if (model.password) body.password = model.password;
  // An address cleared goes as "": the server keeps a field that is absent or null.
  for (const key of ['email', 'phone'] as const) {
    const value = model[key].trim();
    if (value !== (user[key] ?? '')) body[key] = value;
  }
  // Here null does clear: it takes the user out of their team.
  const team = model.team_id === '' ? null : model.team_id;
  if (team !== user.team_id) body.team_id = team;
  if (model.data_scope && model.data_scope !== user.data_scope) body.data_scope = model.data_scope;
  return body;
}

/** A team's name by id; null for none, `#id` for one not (yet) in the list. */
export function teamName(teams: readonly Team[], id: number | null): string | null {
  if (id === null) return null;
  return teams.find((team) => team.id === id)?.name ?? `#${id}`;
}

/** A `team` scope without a team covers only the user's own customers (DESIGN.md §10). */
export function teamScopeWithoutTeam(model: Pick<UserFormModel, 'team_id' | 'data_scope'>): boolean {
  return model.data_scope === 'team' && model.team_id === '';
}
