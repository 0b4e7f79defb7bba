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
  /** What people call the record (customer name and code, bill/payment number, user); null when none. */
  entity_label: string | null;
  /** Labels of records the changes name by id, keyed `customer:12`, `bill:3`, `payment:7`, `user:2`, `price_plan:4`. */
  refs: Record<string, string>;
}

// ---- customers (docs/api/customers.md) ---------------------------------------

export type AccountStatus = 'trial' | 'active' | 'arrears' | 'suspended' | 'closed';
export type CustomerLevel = 'A' | 'B' | 'C';
export type DeviceSeries = 'L' | 'N' | 'X';

export interface OwnerRef {
  id: number;
  display_name: string;
}

export interface Customer {
  id: number;
  customer_code: string;
  company_name: string;
  credit_code: string | null;
  /** 房地产开发 物业管理 长租公寓 酒店 商业地产 其他 */
  industry: string | null;
  level: CustomerLevel | null;
  region: string | null;
  address: string | null;
  contact_name: string | null;
  contact_phone: string | null;
  contact_email: string | null;
  account_id: string | null;
  account_status: AccountStatus;
  /** Sorted, non-empty. */
  device_series: DeviceSeries[];
  sales_owner_id: number | null;
  sales_owner: OwnerRef | null;
  ops_owner_id: number | null;
  ops_owner: OwnerRef | null;
  /** YYYY-MM-DD */
  signed_at: string | null;
  /** YYYY-MM-DD */
  contract_end_at: string | null;
  remarks: string | null;
  tags: string[];
  /** The price plan; null without one, and always for roles that may not see pricing. */
  price_plan?: { id: number; name: string } | null;
  payment_terms_days: number;
  /** Sent back on PATCH (optimistic concurrency). */
  version: number;
  /** Statuses the caller may move the customer to by hand. */
  allowed_transitions: AccountStatus[];
  created_at: string;
  created_by: number | null;
  updated_at: string;
  updated_by: number | null;
  is_deleted: boolean;
  deleted_at: string | null;
}

/** `GET /customers`: comma-separated lists where several values are allowed. */
export interface CustomerListQuery extends PageQuery {
  q?: string;
  status?: string;
  level?: string;
  industry?: string;
  series?: string;
  owner_id?: string;
  sales_owner_id?: string;
  ops_owner_id?: string;
  region?: string;
  tags?: string;
  signed_from?: string;
  signed_to?: string;
  deleted?: 'true';
  /** A price plan id, or `none` (pricing.view only). */
  plan_id?: string;
  /** A sortable field, `-` prefixed for descending; default `-id`. */
  sort?: string;
}

/** `POST /customers`: the profile fields by name; blank `customer_code` is generated. */
export interface CustomerInput {
  customer_code?: string | null;
  company_name: string;
  credit_code?: string | null;
  industry?: string | null;
  level?: string | null;
  region?: string | null;
  address?: string | null;
  contact_name?: string | null;
  contact_phone?: string | null;
  contact_email?: string | null;
  account_id?: string | null;
  /** Defaults to `trial`. */
  account_status?: AccountStatus;
  device_series: string[];
  sales_owner_id?: number | null;
  ops_owner_id?: number | null;
  signed_at?: string | null;
  contract_end_at?: string | null;
  remarks?: string | null;
  tags?: string[];
  payment_terms_days?: number;
}

/** `PATCH /customers/{id}`: `version` and the changed fields; `null` clears one. */
export type CustomerPatch = { version: number } & Partial<Omit<CustomerInput, 'account_status'>>;

export interface StatusChangeRequest {
  to: AccountStatus;
  /** Required, at most 500 characters. */
  reason: string;
}

export interface StatusHistoryEntry {
  id: number;
  from_status: AccountStatus | null;
  to_status: AccountStatus;
  reason: string | null;
  actor_id: number | null;
  actor_name: string;
  at: string;
}

export type BatchAction =
  | 'assign_sales_owner'
  | 'assign_ops_owner'
  | 'set_level'
  | 'add_tag'
  | 'remove_tag'
  | 'change_status'
  | 'delete'
  | 'set_price_plan';

/** The list's filters for "select all matching the filter" (paging and sort ignored). */
export type BatchFilter = Omit<CustomerListQuery, 'page' | 'page_size' | 'sort' | 'deleted'>;

export interface BatchRequest {
  /** 1–500 ids; or `filter` instead. */
  ids?: number[];
  /** Every customer matching (at most 5,000; 400 TOO_MANY beyond). */
  filter?: BatchFilter;
  action: BatchAction;
  /** set_price_plan: a live plan (400 UNKNOWN_PLAN naming it otherwise). */
  plan_id?: number;
  /** assign_*_owner; null clears. */
  owner_id?: number | null;
  level?: CustomerLevel;
  tag?: string;
  to?: AccountStatus;
  reason?: string;
}

export interface BatchItemResult {
  id: number;
  ok: boolean;
  error?: { code: string; message: string };
}

export interface BatchResponse {
  /** How many customers the ids or the filter named. */
  matched: number;
  results: BatchItemResult[];
  succeeded: number;
  failed: number;
}

/** `GET /customers/options/owners`: active users for owner pickers. */
export interface OwnerOption {
  id: number;
  display_name: string;
  role: Role;
}

// ---- customer import and export (DESIGN.md §4) ---------------------------------

/** How the rows of one file ended; the four add up to `total`. */
export interface ImportCounts {
  total: number;
  /** Imported cleanly. */
  imported: number;
  /** Imported, minus something (e.g. an owner name that matches no user). */
  imported_with_warnings: number;
  rejected: number;
}

export type ImportIssueStatus = 'rejected' | 'warning';

/** One problem of one row. */
export interface ImportIssue {
  /** The row number as Excel shows it (title and header rows count). */
  row: number;
  status: ImportIssueStatus;
  /** The Chinese header of the column, e.g. 签约日期. */
  column: string | null;
  value: string | null;
  /** zh-CN, shown as it is. */
  message: string;
}

/** `POST /customers/import?dry_run=`: for a dry run, what a real run would do. */
export interface ImportResult {
  import_id: number;
  dry_run: boolean;
  file_name: string;
  counts: ImportCounts;
  created: number;
  updated: number;
  unchanged: number;
  issues: ImportIssue[];
  /** About the file as a whole, e.g. 未识别的列「微信号」已忽略. */
  file_warnings: string[];
  /** `/api/v1/customers/import/{id}/report.xlsx`; null when there are no issues. */
  report_url: string | null;
}

/** `GET /customers/imports`: one earlier import (or dry run). */
export interface ImportRecord {
  id: number;
  file_name: string;
  dry_run: boolean;
  counts: ImportCounts;
  created: number;
  updated: number;
  unchanged: number;
  created_at: string;
  created_by: number | null;
  created_by_name: string;
}

export type ExportFormat = 'xlsx' | 'csv';

/** `GET /customers/export`: the list's filters (no paging) and the format. */
export type CustomerExportQuery = Omit<CustomerListQuery, 'page' | 'page_size'> & { format: ExportFormat };

// ---- pricing (docs/api/pricing.md, DESIGN.md §5) ---------------------------------
//
// Every amount, price and quantity is a decimal string ("0.35", "6000"): never a JS
// number on the money path (the server refuses JSON numbers with NUMBER_NOT_STRING).

/** 单层定价 flat, 多层定价 graduated, 阶梯定价 volume. */
export type PricingMode = 'flat' | 'graduated' | 'volume';

/** Covers usage in (previous `up_to`, `up_to`]; `null` only on the last tier (unbounded). */
export interface PriceTier {
  up_to: string | null;
  unit_price: string;
}

export interface FlatRule {
  mode: 'flat';
  unit_price: string;
}

export interface TieredRule {
  mode: 'graduated' | 'volume';
  tiers: PriceTier[];
}

export type PriceRule = FlatRule | TieredRule;

/** A plan has one rule for each of X, N, L. */
export type SeriesRules = Record<DeviceSeries, PriceRule>;
/** Customer overrides: any series, or none. */
export type SeriesRuleOverrides = Partial<Record<DeviceSeries, PriceRule>>;
/** `{"X": "6000", …}`: the series present are the series billed. */
export type SeriesUsage = Partial<Record<DeviceSeries, string>>;

/** A write went through, but something deserves a second look. */
export interface PricingWarning {
  /** PERIOD_ALREADY_BILLED, SUPERSEDED, NOT_IN_FORCE, VOLUME_PRICE_CLIFF */
  code: string;
  /** e.g. `rules.L`, `effective_from` */
  field: string | null;
  message: string;
}

export interface PlanVersion {
  plan_id: number;
  version: number;
  /** YYYY-MM */
  effective_from: string;
  /** Two decimals, e.g. "500.00". */
  minimum_charge: string | null;
  rules: SeriesRules;
  reason: string | null;
  /** Set when the version was made by rolling back to that version. */
  rolled_back_from: number | null;
  created_at: string;
  created_by: OwnerRef | null;
}

/** A version just written (new version, rollback). */
export interface PlanVersionCreated extends PlanVersion {
  current_version: number;
  already_billed_periods: string[];
  warnings: PricingWarning[];
}

/** `GET /price-plans/{id}`: the plan with its current (highest) version's pricing. */
export interface PricePlan {
  id: number;
  name: string;
  current_version: number;
  effective_from: string;
  minimum_charge: string | null;
  rules: SeriesRules;
  reason: string | null;
  /** The version billing this month uses (China time); null before the plan starts. */
  in_force_version: number | null;
  /** Live customers on the plan. */
  customers: number;
  created_at: string;
  created_by: number | null;
  updated_at: string;
  updated_by: number | null;
}

export interface PricePlanCreated extends PricePlan {
  warnings: PricingWarning[];
}

/** `GET /price-plans` item. */
export interface PricePlanSummary {
  id: number;
  name: string;
  current_version: number;
  effective_from: string;
  in_force_version: number | null;
  customers: number;
  updated_at: string;
}

export interface PricePlanListQuery extends PageQuery {
  /** Name substring. */
  q?: string;
}

/** `POST /price-plans`. */
export interface PricePlanInput {
  name: string;
  effective_from: string;
  minimum_charge?: string | null;
  rules: SeriesRules;
  reason?: string | null;
}

/** `POST /price-plans/{id}/versions`. */
export interface PlanVersionInput {
  effective_from: string;
  minimum_charge?: string | null;
  rules: SeriesRules;
  /** Required. */
  reason: string;
  /** The version the editor started from: a newer one makes it a 409 VERSION_CONFLICT. */
  base_version?: number;
}

/** `POST /price-plans/{id}/rollback`. */
export interface RollbackInput {
  version: number;
  /** Default 「回滚到版本 k」. */
  reason?: string;
  /** Default: the current month. */
  effective_from?: string;
}

export interface VersionRef {
  version: number;
  effective_from: string;
}

/** One changed field; `null` where the part is absent on that side. */
export interface PlanFieldChange {
  /** `effective_from`, `minimum_charge`, `rules.X.mode`, `rules.N.tiers[1].unit_price`… */
  field: string;
  before: unknown;
  after: unknown;
}

export interface PlanDiff {
  plan_id: number;
  from: VersionRef;
  to: VersionRef;
  changes: PlanFieldChange[];
}

export interface EffectiveRule {
  source: 'plan' | 'override';
  rule: PriceRule;
}

/** `GET /customers/{id}/pricing?period=`. */
export interface CustomerPricing {
  customer_id: number;
  period: string;
  /** null: no plan assigned. */
  plan: { id: number; name: string } | null;
  /** null: the plan has no version in force for `period` yet. */
  version: VersionRef | null;
  minimum_charge: string | null;
  overrides: SeriesRuleOverrides;
  effective_rules: Partial<Record<DeviceSeries, EffectiveRule>>;
  updated_at: string | null;
  updated_by: number | null;
}

/** `PUT /customers/{id}/pricing`: replaces the plan and the overrides. */
export interface CustomerPricingInput {
  plan_id: number;
  overrides?: SeriesRuleOverrides;
}

/** One row of a breakdown: the part of the usage priced at one tier's price. */
export interface TierLine {
  /** Exclusive lower bound. */
  from: string;
  /** Inclusive upper bound; null for the unbounded tier. */
  to: string | null;
  quantity: string;
  unit_price: string;
  /** Exact. */
  amount: string;
}

/** A volume boundary where more usage costs less. */
export interface PriceCliff {
  boundary: string;
  /** Exact cost at the boundary. */
  amount_at_boundary: string;
  /** Exact cost at boundary + 0.0001. */
  amount_just_above: string;
  /** Every usage in (boundary, cheaper_through] costs less; null: no end. */
  cheaper_through: string | null;
  /** cheaper_through + 0.0001: costs as much as the boundary again. */
  break_even: string | null;
}

/** `{rule, usage}` answer. */
export interface RuleQuote {
  /** Exact. */
  raw_amount: string;
  /** Rounded half-up to 0.01. */
  amount: string;
  breakdown: TierLine[];
  /** Volume rules only. */
  cliffs?: PriceCliff[];
}

export interface BillLine {
  kind: 'usage' | 'minimum_topup';
  series: DeviceSeries | null;
  usage: string | null;
  raw_amount: string;
  amount: string;
  tiers: TierLine[];
}

/** Plan answers: `{lines, total}` plus, for stored plans and customers, where the rules came from. */
export interface BillQuote {
  lines: BillLine[];
  total: string;
  customer_id?: number;
  plan_id?: number;
  version?: number;
  effective_from?: string;
  period?: string;
}

export interface RuleQuoteRequest {
  rule: PriceRule;
  usage: string;
}

/** An unsaved plan (the editor's preview). */
export interface PlanQuoteRequest {
  plan: { minimum_charge?: string | null; rules: SeriesRules };
  usage: SeriesUsage;
}

export interface CustomerQuoteRequest {
  customer_id: number;
  usage: SeriesUsage;
  period?: string;
}

export interface StoredPlanQuoteRequest {
  plan_id: number;
  usage: SeriesUsage;
  period?: string;
}

// ---- usage (docs/api/usage.md, DESIGN.md §6) ------------------------------------
//
// Quantities are decimal strings ("1234.5"), ≥ 0 with at most 4 decimals, answered in
// their shortest form; never JS numbers.

/** `api:<name>` (a configured HTTP source), `import` (file upload) or `manual`. */
export type UsageSource = string;

/** A user named on a record (who changed it, who triggered a run). */
export type UserRef = OwnerRef;

/** Three values, one per device series, in X, N, L order where it matters. */
export type SeriesValues<T> = Record<DeviceSeries, T>;

/** `GET /usage`: one daily record. */
export interface UsageRecord {
  id: number;
  customer_id: number;
  customer_code: string;
  company_name: string;
  series: DeviceSeries;
  /** YYYY-MM-DD */
  day: string;
  quantity: string;
  source: UsageSource;
  source_id: string;
  /** How many times it was changed after it was first written. */
  revisions: number;
  /** The same number, sent back as `version` with a correction. */
  version: number;
  updated_at: string;
  updated_by: UserRef | null;
}

export interface UsageListQuery extends PageQuery {
  customer_id?: number | string;
  series?: string;
  /** YYYY-MM */
  month?: string;
  from?: string;
  to?: string;
  source?: string;
}

/** `GET /usage/daily`: one point per day of the month and series (summed over customers). */
export interface UsageDaily {
  month: string;
  days: string[];
  series: SeriesValues<string[]>;
}

export interface UsageDailyQuery {
  month: string;
  customer_id?: number | string;
  series?: string;
}

/** `GET /usage/monthly`: one customer's month. */
export interface UsageMonthlyRow extends SeriesValues<string> {
  customer_id: number;
  customer_code: string;
  company_name: string;
  /** Distinct days with a record. */
  days: number;
}

export interface UsageMonthlyQuery extends PageQuery {
  month: string;
  /** Customer code or name. */
  q?: string;
  customer_id?: number | string;
}

/** The page, plus `totals` over every row of the filter (not only the page). */
export interface UsageMonthly extends Paginated<UsageMonthlyRow> {
  totals: SeriesValues<string>;
}

/** `GET /usage/trend`: one customer's last `months` months, ending with this month. */
export interface UsageTrend {
  months: string[];
  series: SeriesValues<string[]>;
}

/** One record of `POST /usage`: the customer by `customer_id` or `account_id`. */
export interface UsageRecordInput {
  customer_id?: number;
  account_id?: string;
  series: string;
  day: string;
  quantity: string;
  source_id?: string;
}

export interface UsageBatchRequest {
  /** 1–5000 records. */
  records: UsageRecordInput[];
  /** Kept on the revisions of records this call changes. */
  reason?: string;
  /** The entry form: 400 VALIDATION_FAILED (`records[0].quantity`…) instead of quarantine. */
  strict?: boolean;
  /**
   * A customer, series and day that already has a record (collected, imported, or under
   * another source_id) is stored as one more record. Without it: 409 USAGE_EXISTS.
   */
  add?: boolean;
}

/** A stored record a new one would double (409 USAGE_EXISTS details, import conflicts). */
export interface ExistingUsageRecord {
  id: number;
  source: UsageSource;
  source_id: string;
  quantity: string;
  /** Send as `version` with PATCH /usage/{id}. */
  version: number;
}

/** One entry of the 409 USAGE_EXISTS details of `POST /usage`. */
export interface UsageExistsDetail {
  field: string;
  index: number;
  existing: ExistingUsageRecord[];
}

export type UsageWriteStatus = 'created' | 'updated' | 'unchanged' | 'quarantined' | 'discarded';

export interface UsageWriteResult {
  index: number;
  status: UsageWriteStatus;
  record_id: number | null;
  quarantine_id: number | null;
  reason: QuarantineReason | null;
  message: string | null;
}

export interface UsageBatchResponse {
  accepted: number;
  created: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  discarded: number;
  conflicts: number;
  results: UsageWriteResult[];
}

/** `PATCH /usage/{id}`. */
export interface UsageCorrection {
  quantity: string;
  /** Required, 1–200 characters. */
  reason: string;
  /** The record's version as shown: changed meanwhile → 409 VERSION_CONFLICT. */
  version?: number;
}

/** `GET /usage/{id}/revisions`, newest first. */
export interface UsageRevision {
  quantity_before: string;
  quantity_after: string;
  reason: string | null;
  source: UsageSource;
  changed_at: string;
  changed_by: UserRef | null;
}

export type UsageImportRowStatus = 'created' | 'updated' | 'unchanged' | 'conflict' | 'quarantined' | 'discarded' | 'duplicate';

/** One file row and what it does (or would do). */
export interface UsageImportRow {
  /** The row number as Excel shows it. */
  row: number;
  status: UsageImportRowStatus;
  reason: QuarantineReason | null;
  message: string | null;
  /** The cells as read, for the customer (code or account), series, day and quantity. */
  values: { customer?: string | null; series?: string | null; day?: string | null; quantity?: string | null };
  /** The customer the row was matched to. */
  customer: { id: number; customer_code: string; company_name: string } | null;
  /** `conflict`: the records already there. */
  existing: ExistingUsageRecord[];
}

/** `?on_conflict=`: what a confirmed import does with rows whose day already has a record. */
export type UsageImportConflictChoice = 'correct' | 'add' | 'skip';

export interface FileWarning {
  code: string;
  message: string;
}

/** `POST /usage/import?dry_run=`: for a dry run, what a real run would do. */
export interface UsageImportResult {
  dry_run: boolean;
  file_name: string;
  total_rows: number;
  accepted: number;
  created: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  discarded: number;
  conflicts: number;
  duplicates: number;
  /** Every row up to 1000 (the problem rows first when there are more), by row number. */
  rows: UsageImportRow[];
  /** False when the file had more rows than `rows` lists. */
  rows_complete: boolean;
  file_warnings: FileWarning[];
}

/** Why a record is in quarantine (异常数据). */
export type QuarantineReason =
  | 'UNKNOWN_ACCOUNT'
  | 'UNKNOWN_SERIES'
  | 'INVALID_QUANTITY'
  | 'INVALID_DAY'
  | 'DAY_OUT_OF_RANGE'
  | 'OVER_LIMIT'
  | 'CUSTOMER_CLOSED'
  /** A collection's record for a day that already has one from another source. */
  | 'USAGE_EXISTS';

export type QuarantineStatus = 'pending' | 'resolved' | 'discarded';
export type QuarantineResolution = 'mapped' | 'corrected' | 'accepted' | 'discarded';

/** One quarantined record; the values are as received (series, day, quantity may not parse). */
export interface QuarantineItem {
  id: number;
  source: UsageSource;
  source_id: string | null;
  reason: QuarantineReason;
  message: string | null;
  account_id: string | null;
  customer_id: number | null;
  customer_code: string | null;
  company_name: string | null;
  series: string | null;
  day: string | null;
  quantity: string | null;
  raw: unknown;
  status: QuarantineStatus;
  /** How many times the same bad record was delivered. */
  occurrences: number;
  created_at: string;
  resolved_at: string | null;
  resolved_by: UserRef | null;
  resolution: QuarantineResolution | null;
  resolution_note: string | null;
  usage_record_id: number | null;
}

export interface QuarantineQuery extends PageQuery {
  status?: string;
  reason?: string;
  source?: string;
  q?: string;
}

export interface QuarantineList extends Paginated<QuarantineItem> {
  pending_by_reason: Partial<Record<QuarantineReason, number>>;
}

export type ResolveAction = 'map_account' | 'correct' | 'accept' | 'discard';

/** `POST /usage/quarantine/{id}/resolve`; the fields the action uses. */
export interface ResolveRequest {
  action: ResolveAction;
  /** map_account (required), correct (optional). */
  customer_id?: number;
  series?: string;
  day?: string;
  quantity?: string;
  /** Required for discard. */
  note?: string;
}

/** The list's filter, for `POST /usage/quarantine/resolve` with `filter` (pending only). */
export interface QuarantineFilter {
  status?: string;
  reason?: string;
  source?: string;
  q?: string;
}

/** `POST /usage/quarantine/resolve`: the same for many, by `ids` (≤ 500) or `filter` (≤ 10,000). */
export type BulkResolveRequest = ResolveRequest & ({ ids: number[]; filter?: never } | { filter: QuarantineFilter; ids?: never });

export interface ResolveItemResult {
  id: number;
  status: 'resolved' | 'discarded' | 'pending';
  usage_record_id: number | null;
  reason: QuarantineReason | null;
}

export interface ResolveResponse {
  matched: number;
  resolved: number;
  still_pending: number;
  /** The entries as they are now (empty for a filter: see `results`). */
  items: QuarantineItem[];
  results: ResolveItemResult[];
}

/** `GET /usage/sources` (never the token). */
export interface UsageSourceInfo {
  name: string;
  kind: string;
  base_url: string;
}

export interface CollectRequest {
  /** YYYY-MM-DD, not in the future. */
  date?: string;
  /** A range instead of `date` (both included, at most 92 days): one run per day and source. */
  from?: string;
  to?: string;
  /** Absent: every configured HTTP source. */
  source?: string;
}

export type CollectionStatus = 'running' | 'succeeded' | 'failed';
export type CollectionTrigger = 'manual' | 'schedule' | 'rerun';

export interface CollectionRun {
  id: number;
  source: string;
  day: string;
  status: CollectionStatus;
  trigger: CollectionTrigger;
  pages: number;
  attempts: number;
  fetched: number;
  accepted: number;
  created: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  /** Discarded by rule: usage of closed customers (`usage_discard_closed`). */
  discarded: number;
  error: string | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  triggered_by: UserRef | null;
}

export interface CollectionQuery extends PageQuery {
  source?: string;
  status?: string;
  day?: string;
  from?: string;
  to?: string;
}

// ---- bills (docs/api/bills.md, DESIGN.md §7) -------------------------------------
//
// Amounts are strings with two decimals ("1234.50"), usage quantities strings in their
// shortest form ("1234.5"): shown as given, never JS numbers.

/** 草稿 draft → 未结算 issued → 部分结算 partially_paid → 已结算 paid; 作废 void. */
export type BillStatus = 'draft' | 'issued' | 'partially_paid' | 'paid' | 'void';
/** `auto`: made by a generation run; `manual`: 手工账单. */
export type BillKind = 'auto' | 'manual';
export type BillLineKind = 'usage' | 'minimum_topup' | 'manual';

/** The customer named on a bill. */
export interface CustomerRef {
  id: number;
  customer_code: string;
  company_name: string;
}

/**
 * A user named on a bill (who acknowledged, issued, voided, credited). The contract
 * writes `{id, name}`; other records name users `{id, display_name}`: either is read.
 */
export interface BillActor {
  id: number;
  name?: string;
  display_name?: string;
}

/** One bill line: a series' usage with its tier breakdown, the 保底补差, or a manual line. */
/** `GET /bills/{id}/usage-days`: one daily usage record behind a line. */
export interface BillUsageDay {
  record_id: number;
  /** YYYY-MM-DD */
  day: string;
  quantity: string;
  /** `api:<vendor>`, `import` or `manual`. */
  source: string;
  revisions: number;
}

export interface BillSeriesDays {
  series: DeviceSeries;
  /** What the line charges; null without a line for the series. */
  billed_usage: string | null;
  /** Σ of the records now. */
  recorded_usage: string;
  /** False when usage changed after the bill was computed. */
  matches_bill: boolean;
  days: BillUsageDay[];
}

export interface BillUsageDays {
  bill_id: number;
  period: string;
  series: BillSeriesDays[];
}

export interface BillLineItem {
  kind: BillLineKind;
  series: DeviceSeries | null;
  usage: string | null;
  /** Manual lines only. */
  description?: string | null;
  quantity?: string | null;
  unit_price?: string | null;
  /** Exact. */
  raw_amount: string;
  /** Rounded half-up to 0.01: what the bill charges. */
  amount: string;
  tiers: TierLine[];
}

/** NO_PRICE_PLAN, PRICING_FAILED, AMOUNT_TOO_LARGE, USAGE_MISSING, USAGE_SPIKE, USAGE_DROPPED, AMOUNT_ZERO, QUARANTINE_PENDING, LATE_USAGE, SERIES_NOT_SUBSCRIBED */
export interface BillWarning {
  code: string;
  /** zh-CN, shown as it is. */
  message: string;
  series?: DeviceSeries | null;
}

export interface WarningsAcknowledgement {
  by: BillActor | null;
  at: string;
}

/** An issued bill whose usage changed after it was issued. */
export interface LateUsage {
  detected_at: string;
  series: { series: DeviceSeries; billed: string; current: string }[];
}

/** 红冲/调整: lowers what an issued bill asks for. */
export interface CreditNote {
  id: number;
  amount: string;
  reason: string;
  created_at: string;
  created_by: BillActor | null;
}

/** `GET /bills` item: a bill without lines, tiers and credit notes. */
export interface BillSummary {
  id: number;
  /** `B{YYYYMM}-{6 digits}` */
  bill_no: string;
  customer: CustomerRef;
  customer_id: number;
  /** YYYY-MM */
  period: string;
  kind: BillKind;
  status: BillStatus;
  plan: { id: number; name: string; version: number } | null;
  /** Σ lines. */
  subtotal: string;
  /** Σ credit notes. */
  credited: string;
  /** subtotal − credited. */
  total: string;
  /** Σ live allocations (payments). */
  allocated: string;
  /** total − allocated. */
  outstanding: string;
  /** YYYY-MM-DD; set when issued. */
  due_date: string | null;
  overdue: boolean;
  overdue_days: number;
  warnings: BillWarning[];
  warnings_acknowledged: WarningsAcknowledgement | null;
  late_usage: LateUsage | null;
  remarks: string | null;
  issued_at: string | null;
  issued_by: BillActor | null;
  voided_at: string | null;
  voided_by: BillActor | null;
  void_reason: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

/** `GET /bills/{id}`. */
export interface Bill extends BillSummary {
  lines: BillLineItem[];
  credit_notes: CreditNote[];
}

/** `GET /bills`: single values; `overdue` and `has_warnings` only as `true`. */
export interface BillListQuery extends PageQuery {
  period?: string;
  status?: string;
  customer_id?: number | string;
  overdue?: string;
  kind?: string;
  /** Bill number or customer code / name. */
  q?: string;
  has_warnings?: string;
  sort?: string;
}

/** Over the whole filter, not only the page. */
export interface BillTotals {
  count: number;
  subtotal: string;
  credited: string;
  total: string;
  allocated: string;
  outstanding: string;
}

export interface BillList extends Paginated<BillSummary> {
  totals: BillTotals;
}

/** `GET /bills/export`: the list's filters (no paging) and the format. */
export type BillExportQuery = Omit<BillListQuery, 'page' | 'page_size'> & { format: ExportFormat };

/** `POST /bills/generate`: every billable customer, or only those named. */
export interface GenerateBillsRequest {
  period: string;
  customer_ids?: number[];
}

/** A customer looked at but not billed: CUSTOMER_TRIAL, CUSTOMER_CLOSED, NO_USAGE. */
export interface BillSkip {
  customer_id: number;
  customer_code: string;
  company_name: string;
  reason: string;
  message: string;
}

/** `POST /bills/generate`'s answer, and an item of `GET /bills/runs`. */
export interface BillRun {
  run_id: number;
  period: string;
  created: number;
  updated: number;
  unchanged: number;
  voided: number;
  kept_issued: number;
  late_usage: number;
  skipped: BillSkip[];
  skipped_count: number;
  /** Drafts of the run that carry warnings. */
  warnings: number;
  duration_ms: number;
  /** Beyond the contract's example (the server sends them): shown when present. */
  started_at?: string;
  actor_name?: string;
  /** The customers the run was limited to; null or absent: all. */
  customer_ids?: number[] | null;
}

export interface BillRunQuery extends PageQuery {
  period?: string;
}

export interface IssueBillRequest {
  /** Required (true) when the draft has warnings. */
  acknowledge_warnings?: boolean;
}

/** At most 1000 ids. */
/** `POST /bills/batch-issue`: at most 1,000 `ids`, or every draft matching `filter`. */
export interface BatchIssueRequest extends IssueBillRequest {
  ids?: number[];
  filter?: BatchIssueFilter;
  /** With `filter`: what the person confirmed; otherwise 409 BATCH_CHANGED, nothing issued. */
  expected_count?: number;
  expected_total?: string;
}

/** The `GET /bills` filters a batch issue selects drafts by (status is always draft). */
export interface BatchIssueFilter {
  period?: string;
  customer_id?: number;
  kind?: 'auto' | 'manual';
  q?: string;
  has_warnings?: boolean;
}

export interface BatchIssueSkip {
  bill_id: number;
  /** Null for an id that names no bill. */
  bill_no: string | null;
  code: string;
  message: string;
}

export interface BatchIssueResponse {
  /** How many drafts the ids or the filter named. */
  matched: number;
  /** How many were issued. */
  issued: number;
  /** Σ of the issued bills' totals. */
  issued_total: string;
  skipped: BatchIssueSkip[];
}

export interface VoidBillRequest {
  /** 1–500 characters. */
  reason: string;
}

export interface CreditNoteRequest {
  /** > 0, at most two decimals, at most the outstanding amount. */
  amount: string;
  reason: string;
}

/** A manual line: quantity × unit price (rounded half-up to 0.01) or an amount. */
export interface ManualBillLineInput {
  description: string;
  quantity?: string;
  unit_price?: string;
  amount?: string;
}

/** `POST /bills`: a manual bill (draft), 1–50 lines. */
export interface ManualBillInput {
  customer_id: number;
  period: string;
  lines: ManualBillLineInput[];
  remarks?: string;
}

// ---- payments and write-off (docs/api/payments.md, DESIGN.md §8) ------------------
//
// Amounts are strings with two decimals ("1234.50"), shown as given and computed with
// utils/decimal.ts; never JS numbers.

/** 银行转账, 支票, 现金, 微信, 支付宝, 其他. */
export type PaymentMethod = 'bank_transfer' | 'cheque' | 'cash' | 'wechat' | 'alipay' | 'other';
/** 未核销 → 部分核销 → 已核销, by the allocated share of the amount. */
export type PaymentStatus = 'unapplied' | 'partially_applied' | 'applied';
/** Entered by hand or read from a bank statement. */
export type PaymentSource = 'manual' | 'import';
/** A reversed allocation is kept, marked with who, when and why. */
export type AllocationStatus = 'active' | 'reversed';

/** One allocation (核销) of a payment to a bill. */
export interface Allocation {
  id: number;
  payment_id: number;
  bill_id: number;
  bill_no: string;
  /** YYYY-MM */
  period: string;
  customer_id: number;
  amount: string;
  status: AllocationStatus;
  created_at: string;
  created_by: OwnerRef | null;
  reversed_at: string | null;
  reversed_by: OwnerRef | null;
  reverse_reason: string | null;
  /** Not in the contract's example: shown when the server sends it (a bill's allocations). */
  payment_no?: string;
}

/** A payment (收款): `allocations` are filled by `GET /payments/{id}` only, `[]` in lists. */
export interface Payment {
  id: number;
  /** `P{YYYYMM of received_at}-{6 digits}` */
  payment_no: string;
  /** Null: not yet known (未认领). */
  customer: CustomerRef | null;
  customer_id: number | null;
  /** What was received. */
  amount: string;
  /** Σ live (not reversed) allocations. */
  allocated: string;
  /** amount − allocated: the customer's balance (预收). */
  unapplied: string;
  status: PaymentStatus;
  /** YYYY-MM-DD: the day the money arrived. */
  received_at: string;
  method: PaymentMethod;
  payer_name: string | null;
  reference: string | null;
  remarks: string | null;
  source: PaymentSource;
  allocations: Allocation[];
  created_at: string;
  created_by: OwnerRef | null;
  updated_at: string;
  /** Sent back on PATCH (optimistic concurrency). */
  version: number;
}

/** `GET /payments`: `status` takes several codes comma-separated; `unassigned` only as `true`. */
export interface PaymentListQuery extends PageQuery {
  /** Payment no., payer name, reference, customer code or name. */
  q?: string;
  customer_id?: number | string;
  method?: string;
  status?: string;
  /** Bounds of `received_at`, YYYY-MM-DD. */
  from?: string;
  to?: string;
  unassigned?: string;
  /** `-received_at` (default), `received_at`, `amount`, `-amount`, `payment_no`, `-payment_no`. */
  sort?: string;
}

/** Over the whole filter, not only the page. */
export interface PaymentTotals {
  count: number;
  amount: string;
  allocated: string;
  unapplied: string;
}

export interface PaymentList extends Paginated<Payment> {
  totals: PaymentTotals;
}

/** `POST /payments`: a receipt. */
export interface PaymentInput {
  customer_id?: number | null;
  /** > 0, at most two decimals, at most 999,999,999,999.99. */
  amount: string;
  /** YYYY-MM-DD, not in the future. */
  received_at: string;
  method: PaymentMethod;
  payer_name?: string | null;
  reference?: string | null;
  remarks?: string | null;
}

/** `PATCH /payments/{id}` while nothing is allocated: `version` and the changed fields; `null` clears one. */
export type PaymentPatch = { version: number } & Partial<PaymentInput>;

/** `DELETE /payments/{id}` and `POST /allocations/{id}/reverse`: 1–500 characters. */
export interface ReasonRequest {
  reason: string;
}

/** 409 DUPLICATE_PAYMENT: `details[0]` names the payment already recorded. */
export interface DuplicatePaymentDetail extends ApiErrorDetail {
  payment_id?: number;
  payment_no?: string;
}

export interface AllocationLineInput {
  bill_id: number;
  /** > 0, at most two decimals, at most the bill's outstanding amount. */
  amount: string;
}

/** `POST /payments/{id}/allocations`: 1–200 lines, each bill once. */
export interface AllocateRequest {
  allocations: AllocationLineInput[];
}

/** A bill as the allocation left it. */
export interface AllocatedBill {
  id: number;
  bill_no: string;
  status: BillStatus;
  allocated: string;
  outstanding: string;
}

export interface AllocateResponse {
  payment: Payment;
  allocations: { id: number; bill_id: number; amount: string }[];
  bills: AllocatedBill[];
}

/** `exact`: one bill equal to the unapplied amount; `subset`: bills summing to it; `oldest_first`: fill the oldest. */
export type SuggestionKind = 'exact' | 'subset' | 'oldest_first';

export interface SuggestionLine {
  bill_id: number;
  bill_no: string;
  period: string;
  outstanding: string;
  amount: string;
}

export interface AllocationSuggestion {
  kind: SuggestionKind;
  /** zh-CN, shown as it is. */
  reason: string;
  total: string;
  allocations: SuggestionLine[];
}

/** One of the customer's open bills (issued or partially paid), oldest first. */
export interface OpenBill {
  bill_id: number;
  bill_no: string;
  period: string;
  due_date: string | null;
  total: string;
  allocated: string;
  outstanding: string;
  overdue_days: number;
}

/** A customer the payer name points to, for a payment without one. */
export interface CustomerSuggestion {
  customer_id: number;
  customer_code: string;
  company_name: string;
  /** 40–100. */
  score: number;
  /** zh-CN, shown as it is. */
  reason: string;
}

/** `GET /payments/{id}/suggestions`. */
export interface PaymentSuggestions {
  payment_id: number;
  unapplied: string;
  suggestions: AllocationSuggestion[];
  open_bills: OpenBill[];
  customers: CustomerSuggestion[];
}

/** `created`, `duplicate` (same method and reference), `skipped` (a debit row) or `rejected`. */
export type PaymentImportStatus = 'created' | 'duplicate' | 'skipped' | 'rejected';

/** A statement row that was not created, with the file's values. */
export interface PaymentImportRow {
  /** The row number as Excel shows it. */
  row: number;
  status: PaymentImportStatus;
  /** zh-CN, naming the column. */
  message: string | null;
  /** The cells as read, by field (received_at, amount, payer_name, reference, …). */
  values: Record<string, string | null | undefined> | null;
}

/** `POST /payments/import?dry_run=`: for a dry run, what a real run would do. */
export interface PaymentImportResult {
  dry_run: boolean;
  file_name: string;
  total_rows: number;
  created: number;
  duplicates: number;
  skipped: number;
  rejected: number;
  /** Σ of the created payments. */
  amount: string;
  /** Created payments with a customer. */
  assigned: number;
  /** Only the rows not created, at most 1000. */
  rows: PaymentImportRow[];
  file_warnings: FileWarning[];
  /** Whether exact one-to-one matches were allocated (`?auto_allocate=true`). */
  auto_allocate: boolean;
  /** How many were (a dry run: would be) allocated. */
  auto_allocated: number;
  /** Σ of those allocations. */
  auto_allocated_amount: string;
  /** The allocations made, by row (at most 1000). */
  allocations: AutoAllocation[];
}

/** One allocation an import made: the receipt paid the bill in full. */
export interface AutoAllocation {
  row: number;
  payment_no: string;
  /** Null on a dry run. */
  payment_id: number | null;
  /** What `POST /allocations/{id}/reverse` takes; null on a dry run. */
  allocation_id: number | null;
  customer: CustomerRef;
  bill_id: number;
  bill_no: string;
  period: string;
  amount: string;
}

/** The aging buckets: days past the due date on `as_of`. */
export interface AgingBuckets {
  /** ≤ 0 days. */
  not_due: string;
  d1_30: string;
  d31_60: string;
  d61_90: string;
  d90_plus: string;
}

/** `GET /receivables/aging`; `overdue_only` only as `true`. */
export interface AgingQuery extends PageQuery {
  /** YYYY-MM-DD; default today. */
  as_of?: string;
  q?: string;
  owner_id?: number | string;
  overdue_only?: string;
}

/** One customer with open bills or an unapplied balance. */
export interface AgingRow extends AgingBuckets {
  customer: CustomerRef;
  sales_owner: OwnerRef | null;
  open_bills: number;
  outstanding: string;
  overdue: string;
  max_overdue_days: number;
  /** 预收: the customer's unapplied payments. */
  unapplied: string;
  /** outstanding − unapplied. */
  net: string;
}

/** The money fields over the whole filter. */
export interface AgingTotals extends AgingBuckets {
  outstanding: string;
  overdue: string;
  unapplied: string;
  net: string;
  /** Not in the contract's example: shown when the server sends it. */
  count?: number;
}

export interface AgingList extends Paginated<AgingRow> {
  totals: AgingTotals;
  /** Not in the contract's example: the day the buckets were counted on, when sent. */
  as_of?: string;
}

/** `GET /receivables/aging/export`: the filters (no paging) and the format. */
export type PaymentExportQuery = Omit<PaymentListQuery, 'page' | 'page_size'> & { format: ExportFormat };

export type AgingExportQuery = Omit<AgingQuery, 'page' | 'page_size'> & { format: ExportFormat };

/** `GET /customers/{id}/statement`'s summary. */
export interface StatementSummary {
  billed: string;
  credited: string;
  received: string;
  allocated: string;
  outstanding: string;
  unapplied: string;
  net: string;
  overdue: string;
  /** Not in the contract's example: shown when the server sends it. */
  max_overdue_days?: number;
  aging: AgingBuckets;
}

/** 对账单: bills (not void, oldest first), payments, allocations (newest first). */
export interface CustomerStatement {
  customer: CustomerRef;
  /** Not in the contract's example: the day the statement was drawn up, when sent. */
  as_of?: string;
  summary: StatementSummary;
  bills: BillSummary[];
  payments: Payment[];
  allocations: Allocation[];
  /** The period's movements and balances. */
  ledger: StatementLedger;
}

/** `GET /customers/{id}/statement?from=&to=`: `YYYY-MM` (a whole month) or `YYYY-MM-DD`. */
export interface StatementQuery {
  from?: string;
  to?: string;
}

/** One movement of the account on a business day; `balance` after it (positive: owed). */
export interface StatementLine {
  date: string;
  kind: 'bill' | 'credit_note' | 'void' | 'payment';
  document_no: string;
  bill_id: number | null;
  payment_id: number | null;
  description: string;
  debit: string | null;
  credit: string | null;
  balance: string;
}

export interface StatementLedger {
  from: string;
  to: string;
  opening_balance: string;
  debits: string;
  credits: string;
  closing_balance: string;
  lines: StatementLine[];
}

// ---- probes -------------------------------------------------------------------

/** `GET /readyz` (outside /api/v1): 200 when ready, 503 otherwise. */
export interface ReadyzResponse {
  status: string;
  database?: string;
  [key: string]: unknown;
}

// ---- month close and home pages (docs/api/close.md) ------------------------------------

/** The steps of a month close, in the order they are worked. */
export type CloseStep =
  | 'collect'
  | 'quarantine'
  | 'generate'
  | 'review_warnings'
  | 'issue'
  | 'allocate'
  | 'chase_overdue'
  | 'done';

export interface CloseSourceProgress {
  source: string;
  collected_days: number;
  /** Due days without a successful collection, oldest first (YYYY-MM-DD). */
  missing_days: string[];
  /** The missing days whose last collection failed. */
  failed_days: string[];
}

/** `GET /close/overview?period=`. */
export interface CloseOverview {
  period: string;
  as_of: string;
  usage: {
    days_due: number;
    sources: CloseSourceProgress[];
    days_without_usage: string[];
    customers_with_usage: number;
  };
  quarantine: { pending_in_period: number; pending_total: number };
  bills: {
    customers_not_billed: number;
    drafts: number;
    drafts_total: string;
    drafts_with_warnings: number;
    clean_drafts: number;
    clean_drafts_total: string;
    issued: number;
    issued_total: string;
    issued_outstanding: string;
    last_generated_at: string | null;
  };
  receipts: { unallocated: number; unapplied_total: string };
  overdue: { bills: number; outstanding: string };
  steps: { step: Exclude<CloseStep, 'done'>; open: number }[];
  next_step: CloseStep;
}

/** `GET /home/summary`: figures within the user's data scope. */
export interface HomeSummary {
  scope: 'all' | 'own';
  as_of: string;
  customers: { total: number; trial: number; active: number; arrears: number; suspended: number; closed: number };
  receivables: AgingTotals;
  last_period: { period: string; bills: number; billed: string; collected: string; collection_rate: string | null };
  receipts_this_month: { period: string; count: number; amount: string };
  top_overdue: AgingRow[];
}
