/**
 * Every type the HTTP API sends or receives, in one file.
 *
 * Written by hand from DESIGN.md §11 for now; this file is meant to be replaced
 * wholesale by types generated from `/api/openapi.json`, so nothing else should
 * declare API shapes of its own.
 */

// ---- envelope and lists -------------------------------------------------------

export interface ApiErrorDetail {
  field?: string;
  code: string;
  message: string;
}

export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    details?: ApiErrorDetail[];
  };
}

export interface PageQuery {
  page?: number;
  page_size?: number;
}

export interface Paginated<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
}

// ---- users and auth -----------------------------------------------------------

export type Role = 'operations' | 'sales' | 'management';
export type UserStatus = 'active' | 'disabled';

/** The codes `/auth/me` answers today (the server adds some beyond DESIGN §10's list). */
export type Permission =
  | 'customers.view'
  | 'customers.edit'
  | 'customers.edit_contact'
  | 'customers.import'
  | 'customers.export'
  | 'customers.restore'
  | 'pricing.view'
  | 'pricing.manage'
  | 'pricing.propose'
  | 'usage.view'
  | 'usage.manage'
  | 'billing.view'
  | 'billing.manage'
  | 'payments.view'
  | 'payments.manage'
  | 'analytics.view'
  | 'users.manage'
  | 'audit.view'
  | 'settings.manage';

export interface User {
  id: number;
  username: string;
  display_name: string;
  role: Role;
  status: UserStatus;
  must_change_password: boolean;
  last_login_at: string | null;
  created_at: string;
  updated_at: string;
}

/** `GET /auth/me`: the user plus what the role grants. */
export interface Me extends User {
  permissions: string[];
}

export interface LoginRequest {
  username: string;
  password: string;
}

export interface RefreshRequest {
  refresh_token: string;
}

export interface LogoutRequest {
  refresh_token: string;
}

export interface ChangePasswordRequest {
  current_password: string;
  new_password: string;
}

/** Answer of login, refresh and password change. */
export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  /** Seconds until the access token expires. */
  expires_in: number;
  user: User;
}

export interface UserListQuery extends PageQuery {
  q?: string;
  role?: Role;
  status?: UserStatus;
}

export interface CreateUserRequest {
  username: string;
  password: string;
  role: Role;
  display_name: string;
}

export interface UpdateUserRequest {
  display_name?: string;
  role?: Role;
  status?: UserStatus;
  password?: string;
}

// ---- audit --------------------------------------------------------------------

export interface AuditLogQuery extends PageQuery {
  actor_id?: number;
  entity_type?: string;
  entity_id?: string;
  /** RFC 3339 or YYYY-MM-DD. */
  from?: string;
  /** RFC 3339 or YYYY-MM-DD. */
  to?: string;
}

export interface AuditLog {
  id: number;
  at: string;
  actor_id: number | null;
  actor_name: string;
  action: string;
  entity_type: string;
  entity_id: string | null;
  changes: Record<string, unknown> | null;
  ip: string | null;
  request_id: string | null;
}

// ---- probes -------------------------------------------------------------------

/** `GET /readyz` (outside /api/v1): 200 when ready, 503 otherwise. */
export interface ReadyzResponse {
  status: string;
  database?: string;
  [key: string]: unknown;
}
