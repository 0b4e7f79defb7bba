/**
 * The names the pages use for the HTTP API's shapes: short aliases over
 * `schema.d.ts`, which `make api-types` generates from the server's OpenAPI
 * document. The contract is typed once, in the server's Rust types; a shape
 * that is wrong here is fixed there (its #[schema] attributes) and
 * regenerated, never declared again in TypeScript.
 */
import type { components, paths } from './schema';

type Schemas = components['schemas'];

/**
 * The query parameters of `GET path` (of `POST path` for the imports). A value
 * may also be given as the text a URL carries (the list pages keep their
 * filters in the address bar); the server parses it either way.
 */
type Query<P extends keyof paths, M extends 'get' | 'post' = 'get'> = UrlText<QueryAsTyped<P, M>>;
type QueryAsTyped<P extends keyof paths, M extends 'get' | 'post'> = NonNullable<
  paths[P][M] extends { parameters: { query?: infer Q } } ? Q : never
>;
type UrlText<Q> = { [K in keyof Q]?: Q[K] | string };

// ---- envelope and lists -------------------------------------------------------

export type ApiErrorBody = Schemas['ErrorBody'];
/**
 * One entry of an error's `details`. The document leaves them free-form (a
 * field error is `{field, code, message}`; some codes add members of their
 * own, see UsageExistsDetail and DuplicatePaymentDetail).
 */
export type ApiErrorDetail = Schemas['ErrorDetail']['details'][number] & { field?: string; code: string; message: string };

export type PageQuery = Pick<Query<'/users'>, 'page' | 'page_size'>;
/** A page of any list: `items` plus the counts every page answer has. */
export type Paginated<T> = Omit<Schemas['Page_UserView'], 'items'> & { items: T[] };

// ---- users and auth -----------------------------------------------------------

export type Role = Schemas['Role'];
export type User = Schemas['UserView'];
export type UserStatus = Schemas['UserStatus'];
export type Permission = Schemas['Permission'];
export type Me = Schemas['MeView'];
export type LoginRequest = Schemas['LoginRequest'];
export type ChangePasswordRequest = Schemas['PasswordRequest'];
export type TokenResponse = Schemas['TokenResponse'];
export type UserListQuery = Query<'/users'>;
export type CreateUserRequest = Schemas['NewUser'];
export type UpdateUserRequest = Schemas['UserPatch'];
/** 数据范围: `own` 本人客户, `team` 本团队客户, `all` 全部客户 (DESIGN.md §10). */
export type DataScope = Schemas['ScopeSetting'];
/** 销售团队 with its member count. */
export type Team = Schemas['TeamView'];
export type TeamInput = Schemas['TeamInput'];

// ---- audit --------------------------------------------------------------------

export type AuditLogQuery = Query<'/audit-logs'>;
export type AuditLog = Schemas['AuditLogView'];

// ---- customers and their import ------------------------------------------------

export type AccountStatus = Schemas['AccountStatus'];
export type CustomerLevel = Schemas['CustomerLevel'];
export type DeviceSeries = Schemas['DeviceSeries'];
export type OwnerRef = Schemas['UserRef'];
export type Customer = Schemas['CustomerView'];
export type CustomerListQuery = Query<'/customers'>;
export type CustomerInput = Schemas['CustomerInput'];
export type CustomerPatch = Schemas['CustomerPatch'];
export type StatusChangeRequest = Schemas['StatusChange'];
export type StatusHistoryEntry = Schemas['StatusHistoryView'];
export type BatchRequest = Schemas['BatchRequest'];
export type BatchAction = BatchRequest['action'];
export type BatchFilter = NonNullable<BatchRequest['filter']>;
export type BatchResponse = Schemas['BatchResponse'];
export type OwnerOption = Schemas['OwnerOption'];

export type ImportIssueStatus = Schemas['IssueStatus'];
export type ImportIssue = Schemas['Issue'];
export type ImportResult = Schemas['ImportResult'];
export type ImportRecord = Schemas['ImportSummary'];
export type CustomerExportQuery = Query<'/customers/export'>;
export type ExportFormat = NonNullable<CustomerExportQuery['format']>;

// ---- pricing ------------------------------------------------------------------
//
// Every amount, price and quantity is a decimal string ("0.35", "6000"): never a JS
// number on the money path (the server refuses JSON numbers with NUMBER_NOT_STRING).

export type PriceTier = Schemas['PriceTier'];
export type PriceRule = Schemas['PriceRule'];
export type FlatRule = Extract<PriceRule, { mode: 'flat' }>;
export type TieredRule = Exclude<PriceRule, FlatRule>;
export type PricingMode = PriceRule['mode'];
/** A plan's rules: one for each of X, N, L. */
export type SeriesRules = Schemas['PlanView']['rules'];
/** Customer overrides: any series, or none. */
export type SeriesRuleOverrides = Schemas['CustomerPricingView']['overrides'];
/** `{"X": "6000", …}`: the series present are the series priced. */
export type SeriesUsage = Partial<Record<DeviceSeries, string>>;
export type PricingWarning = Schemas['Warning'];
export type PlanVersion = Schemas['VersionView'];
export type PlanVersionCreated = Schemas['VersionCreated'];
export type PricePlan = Schemas['PlanView'];
export type PricePlanCreated = Schemas['PlanCreated'];
export type PricePlanSummary = Schemas['PlanSummary'];
export type PricePlanListQuery = Query<'/price-plans'>;
export type PricePlanInput = Schemas['PlanInput'];
export type PlanVersionInput = Schemas['VersionInput'];
export type RollbackInput = Schemas['RollbackInput'];
export type PlanDiff = Schemas['DiffView'];
export type CustomerPricing = Schemas['CustomerPricingView'];
export type CustomerPricingInput = Schemas['CustomerPricingInput'];
export type TierLine = Schemas['TierLine'];
export type PriceCliff = Schemas['PriceCliff'];
export type RuleQuote = Schemas['RuleQuoteView'];
export type BillQuote = Schemas['BillQuoteView'];
/** `POST /pricing/quote`: one of `rule`, `plan` (unsaved), `plan_id`, `customer_id`. */
export type QuoteRequest = Schemas['QuoteInput'];

// ---- usage --------------------------------------------------------------------
//
// Quantities are decimal strings ("1234.5"), ≥ 0 with at most 4 decimals, answered in
// their shortest form; never JS numbers.

export type UserRef = Schemas['UserRef'];
export type UsageRecord = Schemas['RecordView'];
export type UsageListQuery = Query<'/usage'>;
export type UsageDaily = Schemas['DailySeries'];
export type UsageDailyQuery = Query<'/usage/daily'>;
export type UsageMonthlyQuery = Query<'/usage/monthly'>;
export type UsageMonthly = Schemas['MonthlyPage'];
export type UsageTrend = Schemas['Trend'];
export type UsageBatchRequest = Schemas['EntryInput'];
export type ExistingUsageRecord = Schemas['ExistingRecord'];
/** One entry of the 409 USAGE_EXISTS details of `POST /usage`. */
export type UsageExistsDetail = ApiErrorDetail & { index: number; existing: ExistingUsageRecord[] };
export type UsageBatchResponse = Schemas['EntryResult'];
export type UsageCorrection = Schemas['CorrectionInput'];
export type UsageRevision = Schemas['RevisionView'];
export type UsageImportRow = Schemas['UsageImportRow'];
export type UsageImportRowStatus = Schemas['UsageImportStatus'];
export type UsageImportConflictChoice = NonNullable<QueryAsTyped<'/usage/import', 'post'>['on_conflict']>;
export type UsageImportResult = Schemas['UsageImportResult'];
export type QuarantineReason = Schemas['QuarantineReason'];
export type QuarantineItem = Schemas['QuarantineView'];
export type QuarantineQuery = Query<'/usage/quarantine'>;
export type QuarantineList = Schemas['QuarantinePage'];
export type ResolveAction = Schemas['Action'];
/** `POST /usage/quarantine/{id}/resolve`, and for many with `ids` or `filter`. */
export type ResolveRequest = Schemas['ResolveInput'];
export type BulkResolveRequest = ResolveRequest;
export type QuarantineFilter = Schemas['ResolveFilter'];
export type ResolveResponse = Schemas['ResolveResult'];
export type UsageSourceInfo = Schemas['SourceView'];
export type CollectRequest = Schemas['CollectInput'];
export type CollectionRun = Schemas['RunView'];
export type CollectionQuery = Query<'/usage/collections'>;

// ---- bills --------------------------------------------------------------------
//
// Amounts are strings with two decimals ("1234.50"), usage quantities strings in their
// shortest form ("1234.5"): shown as given, never JS numbers.

export type BillStatus = Schemas['BillStatus'];
export type CustomerRef = Schemas['CustomerRef'];
export type BillSeriesDays = Schemas['SeriesDays'];
export type BillUsageDays = Schemas['BillUsageDays'];
export type BillLineItem = Schemas['BillLineItem'];
export type BillWarning = Schemas['BillWarning'];
export type CreditNote = Schemas['CreditNoteView'];
/** A bill; lists leave `lines` and `credit_notes` empty. */
export type Bill = Schemas['BillView'];
export type BillSummary = Bill;
/** A user named on a bill (who acknowledged, issued, voided, credited). */
export type BillActor = Schemas['UserRef'];
export type BillListQuery = Query<'/bills'>;
export type BillTotals = Schemas['BillTotals'];
export type BillList = Schemas['BillPage'];
export type BillExportQuery = Query<'/bills/export'>;
export type GenerateBillsRequest = Schemas['GenerateInput'];
/** `POST /bills/generate`'s answer, and an item of `GET /bills/runs`. */
export type BillRun = Schemas['RunResult'];
export type BillRunQuery = Query<'/bills/runs'>;
export type IssueBillRequest = Schemas['IssueInput'];
export type BatchIssueRequest = Schemas['BatchIssueInput'];
export type BatchIssueResponse = Schemas['BatchIssueResult'];
export type VoidBillRequest = Schemas['VoidInput'];
export type CreditNoteRequest = Schemas['CreditInput'];
export type ManualBillInput = Schemas['ManualBillInput'];

// ---- payments and write-off ---------------------------------------------------
//
// Amounts are strings with two decimals ("1234.50"), shown as given and computed with
// utils/decimal.ts; never JS numbers.

export type PaymentMethod = Schemas['PaymentMethod'];
export type PaymentStatus = Schemas['PaymentStatus'];
export type AllocationStatus = Schemas['AllocationStatus'];
export type Allocation = Schemas['AllocationView'];
/** A payment; `allocations` are filled by `GET /payments/{id}` only, `[]` in lists. */
export type Payment = Schemas['PaymentView'];
export type PaymentSource = Schemas['PaymentSource'];
export type PaymentListQuery = Query<'/payments'>;
export type PaymentTotals = Schemas['PaymentTotals'];
export type PaymentList = Schemas['PaymentPage'];
/** `POST /payments`, and `PATCH /payments/{id}` with `version`. */
export type PaymentInput = Schemas['PaymentInput'];
export type PaymentPatch = PaymentInput;
export type ReasonRequest = Schemas['ReasonInput'];
/** 409 DUPLICATE_PAYMENT: `details[0]` names the payment already recorded. */
export type DuplicatePaymentDetail = ApiErrorDetail & { payment_id?: number; payment_no?: string };
export type AllocateRequest = Schemas['AllocateInput'];
export type AllocationLineInput = NonNullable<AllocateRequest['allocations']>[number];
export type AllocateResponse = Schemas['AllocateResult'];
export type SuggestionKind = Schemas['SuggestionKind'];
export type AllocationSuggestion = Schemas['SuggestionView'];
export type OpenBill = Schemas['OpenBillView'];
export type CustomerSuggestion = Schemas['CustomerSuggestion'];
export type PaymentSuggestions = Schemas['Suggestions'];
export type PaymentImportRow = Schemas['PaymentImportRow'];
export type PaymentImportStatus = Schemas['PaymentImportStatus'];
export type PaymentImportResult = Schemas['PaymentImportResult'];
export type AutoAllocation = Schemas['AutoAllocation'];
export type AgingQuery = Query<'/receivables/aging'>;
export type AgingRow = Schemas['AgingRow'];
/** The aging buckets and balances, summed over the whole filter. */
export type AgingTotals = Schemas['AgingMoney'];
export type AgingList = Schemas['AgingPage'];
export type PaymentExportQuery = Query<'/payments/export'>;
export type AgingExportQuery = Query<'/receivables/aging/export'>;
export type StatementSummary = Schemas['StatementSummary'];
/** 对账单: bills (not void, oldest first), payments, allocations (newest first). */
export type CustomerStatement = Schemas['Statement'];
export type StatementQuery = Pick<Query<'/customers/{id}/statement'>, 'from' | 'to'>;
export type StatementLedger = Schemas['Ledger'];

// ---- month close and home pages -----------------------------------------------

export type CloseStep = Schemas['CloseStep'];
export type CloseOverview = Schemas['CloseOverview'];
export type HomeSummary = Schemas['HomeSummary'];

// ---- analytics (画像与分析) -------------------------------------------------------
//
// Every figure is within the caller's data scope. Money and quantities are decimal
// strings; rates are 4-place decimal strings ("0.8125") or null (nothing to divide by).

/** `GET /analytics/dashboard`: one period's figures, its overdue on `as_of`, the 12-month trend. */
export type Dashboard = Schemas['Dashboard'];
export type DashboardQuery = Query<'/analytics/dashboard'>;
export type DashboardOverdue = Schemas['Overdue'];
/** The overdue amount by days past due: `1-30`, `31-60`, `61-90`, `90+`. */
export type OverdueBuckets = Schemas['OverdueBuckets'];
export type OverdueBucket = keyof OverdueBuckets;
export type SeriesQuantities = Schemas['SeriesQuantities'];
export type TopCustomer = Schemas['TopCustomer'];
export type DashboardTrendPoint = Schemas['TrendPoint'];
/** `GET /analytics/customers?period=&kind=new|lost`: the customers behind 新增客户 / 流失客户. */
export type AnalyticsCustomer = Schemas['AnalyticsCustomer'];
export type AnalyticsCustomerQuery = Query<'/analytics/customers'>;
/** 客户分层: counts per value tier and a page of customers by 12-month revenue. */
export type Segments = Schemas['Segments'];
export type ValueTier = Schemas['ValueTier'];
export type TierCounts = Schemas['TierCounts'];
/** A customer's revenue trend: 增长/稳定/下滑/新增 (DESIGN.md §9). */
export type RevenueTrend = Schemas['RevenueTrend'];
export type SegmentRow = Schemas['SegmentRow'];
export type SegmentQuery = Query<'/analytics/segments'>;
/** 流失预警: customers with at least one flag, high risk first. */
export type ChurnRisk = Schemas['ChurnRisk'];
export type ChurnRow = Schemas['ChurnRow'];
export type ChurnFlag = Schemas['ChurnFlag'];
export type ChurnFlagCode = Schemas['FlagCode'];
export type ChurnLevel = Schemas['Risk'];
export type RiskCounts = Schemas['RiskCounts'];
export type ChurnQuery = Query<'/analytics/churn-risk'>;
/** 信用评分: a score 0–100 (null: 资料不足), its grade and the four factors behind it, on `as_of`. */
export type CreditScoreRow = Schemas['CreditScoreRow'];
export type CreditScores = Schemas['CreditScores'];
export type CreditFactors = Schemas['CreditFactors'];
export type CreditGrade = Schemas['Grade'];
export type CreditScoreQuery = Query<'/analytics/credit-scores'>;
/** `GET /customers/{id}/credit-score`: one customer's score, as a row of the list. */
export type CustomerCreditScore = CreditScoreRow;
/** 用量趋势 (not `/usage/trend`'s per-series months): one quantity per month with 环比 and 同比. */
export type AnalyticsUsageTrend = Schemas['UsageTrend'];
export type UsageTrendPoint = Schemas['UsageTrendPoint'];
export type AnalyticsUsageTrendQuery = Query<'/analytics/usage-trend'>;
/** `GET /analytics/…/export`: the view's query without paging, plus `format` (xlsx, csv or pdf; xlsx by default). */
export type DashboardExportQuery = Query<'/analytics/dashboard/export'>;
export type SegmentExportQuery = Query<'/analytics/segments/export'>;
export type ChurnExportQuery = Query<'/analytics/churn-risk/export'>;
export type CreditScoreExportQuery = Query<'/analytics/credit-scores/export'>;
export type UsageTrendExportQuery = Query<'/analytics/usage-trend/export'>;

// ---- custom reports (自定义报表) ------------------------------------------------
//
// A report is a definition (dataset, columns in order, filters, group keys, sums) the
// server checks and runs within the caller's data scope; cells come back as text
// (money "1200.00", dates "2026-01-05"). Each user sees only their own saved reports.

export type ReportDatasetKey = Schemas['Dataset'];
export type ColumnKind = Schemas['Kind'];
export type FilterOp = Schemas['Op'];
export type ReportColumn = Schemas['ColumnDef'];
/** `GET /reports/datasets`: what a report may be built on. */
export type ReportDataset = Schemas['DatasetView'];
export type ReportFilter = Schemas['Filter'];
export type ReportDefinition = Schemas['ReportDefinition'];
export type ReportResultColumn = Schemas['ResultColumn'];
/** `POST /reports/run`: a page of rows (cells as text), totals of the sums over every row. */
export type ReportResult = Schemas['ReportResult'];
export type SavedReportSummary = Schemas['SavedReportSummary'];
export type SavedReport = Schemas['SavedReport'];
/** `POST /reports`, `PUT /reports/{id}`. */
export type SavedReportInput = Schemas['SaveReport'];
/** `POST /reports/export`: the name heads the file; the definition is run over every row. */
export type ReportExportInput = Schemas['ExportReport'];
/** `xlsx` (the server's default), `csv` or `pdf`. */
export type ReportExportFormat = NonNullable<QueryAsTyped<'/reports/export', 'post'>['format']>;
export type ReportRunQuery = QueryAsTyped<'/reports/run', 'post'>;

// ---- system -------------------------------------------------------------------

export type ClockView = Schemas['ClockView'];

// ---- settings and scheduled jobs ----------------------------------------------
//
// Usage thresholds are decimal strings ("5000", "1234.5") or null (no limit); schedules
// are five-field cron expressions read in the `timezone` setting.

export type CompanyInfo = Schemas['CompanyInfo'];
export type UsageLimitsSetting = Schemas['UsageLimitsSetting'];
/** `GET /settings`: every key with its value. */
export type SettingsView = Schemas['SettingsView'];
/** `PUT /settings`: only the keys given change (`company` replaces the whole object, `job_schedules` merges by job). */
export type SettingsUpdate = Schemas['SettingsUpdate'];
export type JobView = Schemas['JobView'];
export type JobCadence = JobView['cadence'];
export type JobRunView = Schemas['JobRunView'];
export type JobRunStatus = JobRunView['status'];
export type JobRunTrigger = JobRunView['trigger'];
/** `POST /jobs/{name}/run`: no period means the latest the schedule has reached. */
export type RunJob = Schemas['RunJob'];
export type JobPatch = Schemas['JobPatch'];

// ---- backups (数据备份) ----------------------------------------------------------
//
// An archive whose manifest cannot be read has no backend, schema, table counts or
// trigger: those members are null (the document also marks them optional).

/** `verified` / `corrupt` / `unknown` (a file copied in without its record). */
export type BackupStatus = Schemas['BackupStatus'];
/** One archive in `<data dir>/backups`; `name` (`opcms-20261206T010000Z.tar.zst`) is its key. */
export type Backup = Schemas['BackupView'];
/** `GET /backups`: newest first, how many the daily job keeps, whether one is being written, the last failure. */
export type BackupList = Schemas['BackupList'];
export type BackupFailure = Schemas['BackupFailure'];
/** `POST /backups` → 202: the archive being written. */
export type StartedBackup = Schemas['StartedBackup'];

// ---- integrations (集成) --------------------------------------------------------
//
// The ERP connector: every issued bill, credit note and receipt is pushed once per
// number; the sync log is the outbox, newest first.

/** `bill` / `credit_note` / `receipt`. */
export type ErpDocKind = Schemas['DocKind'];
/** `queued` / `sending` / `sent` / `failed`. */
export type ErpSyncStatus = Schemas['SyncStatus'];
export type ErpSyncEntry = Schemas['ErpSyncEntry'];
export type ErpSyncQuery = Query<'/integrations/erp/documents'>;
/** One connector on the 集成 page: configured or not, its state, counts, last sync and error. */
export type ConnectorStatus = Schemas['ConnectorStatus'];
export type ConnectorCount = Schemas['ConnectorCount'];
export type ErpConflict = Schemas['ErpConflict'];
export type ErpConflictField = Schemas['ConflictField'];
export type ConflictResolved = Schemas['ConflictResolved'];
export type IntegrationsOverview = Schemas['IntegrationsOverview'];
export type ErpResendResult = Schemas['ErpResendResult'];

// ---- notifications ------------------------------------------------------------
//
// Recipients come masked (`z***@example.com`, `138****5678`); templates hold
// `{{variable}}` placeholders the server checks and fills.

export type NotificationEvent = Schemas['NotificationView']['event'];
export type NotificationChannel = Schemas['NotificationView']['channel'];
export type NotificationStatus = Schemas['NotificationView']['status'];
export type NotificationView = Schemas['NotificationView'];
export type NotificationListQuery = Query<'/notifications'>;
/** Per customer and channel: true = the customer receives it. */
export type NotificationPreferences = Schemas['NotificationPreferences'];
/** What `opcms.toml` configures (read-only in the UI). */
export type ChannelStatus = Schemas['ChannelStatus'];
export type TemplateVariable = Schemas['TemplateVariable'];
/** One template per (event, channel); `is_default` until edited. */
export type TemplateView = Schemas['TemplateView'];
export type TemplateInput = Schemas['TemplateInput'];
export type TemplatePreviewInput = Schemas['TemplatePreviewInput'];
export type TemplatePreview = Schemas['TemplatePreview'];
export type NotificationChannelsSetting = SettingsView['notification_channels'];
export type NotificationEventsSetting = SettingsView['notification_events'];

// ---- probes -------------------------------------------------------------------

/**
 * `GET /readyz`: 200 when ready, 503 otherwise. Outside `/api/v1`, so not in
 * the OpenAPI document; the one shape declared here.
 */
export interface ReadyzResponse {
  status: string;
  database?: string;
  [key: string]: unknown;
}
