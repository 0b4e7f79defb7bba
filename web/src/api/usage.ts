import type { AxiosRequestConfig } from 'axios';
import { DOWNLOAD_TIMEOUT, downloadFile } from './download';
import { request } from './http';
import type {
  BulkResolveRequest,
  CollectionQuery,
  CollectionRun,
  CollectRequest,
  Paginated,
  QuarantineList,
  QuarantineQuery,
  ResolveRequest,
  ResolveResponse,
  UsageBatchRequest,
  UsageBatchResponse,
  UsageCorrection,
  UsageDaily,
  UsageDailyQuery,
  UsageImportConflictChoice,
  UsageImportResult,
  UsageListQuery,
  UsageMonthly,
  UsageMonthlyQuery,
  UsageRecord,
  UsageRevision,
  UsageSourceInfo,
  UsageTrend,
} from './types';
import { postImportFile, type ImportOptions } from './upload';

// ---- records and totals ----------------------------------------------------------

/** Daily records, day desc, customer, series. */
export function listUsage(query: UsageListQuery) {
  return request.get<Paginated<UsageRecord>>('/usage', { params: query });
}

/** A month's points per day and series, summed over the customers in the filter. */
export function getUsageDaily(query: UsageDailyQuery, config?: AxiosRequestConfig) {
  return request.get<UsageDaily>('/usage/daily', { ...config, params: query });
}

/** One row per customer with usage in the month; `totals` over the whole filter. */
export function getUsageMonthly(query: UsageMonthlyQuery) {
  return request.get<UsageMonthly>('/usage/monthly', { params: query });
}

/** One customer's last `months` months (1–36, default 12), ending with this month. */
export function getUsageTrend(customerId: number, months?: number, config?: AxiosRequestConfig) {
  return request.get<UsageTrend>('/usage/trend', { ...config, params: { customer_id: customerId, months } });
}

/**
 * Manual entry and batches. With `strict` (the entry form) a record that would be
 * quarantined is a 400 VALIDATION_FAILED naming `records[i].field`, and nothing is written.
 * A record for a customer, series and day that already has one (collected, imported) is
 * 409 USAGE_EXISTS (details: `UsageExistsDetail[]`) unless `add: true`.
 */
export function writeUsage(body: UsageBatchRequest, config?: AxiosRequestConfig) {
  return request.post<UsageBatchResponse>('/usage', body, config);
}

/**
 * Correct one record's quantity; the reason is required and kept on the revision. With
 * `version`, a record changed meanwhile is 409 VERSION_CONFLICT.
 */
export function correctUsage(id: number, body: UsageCorrection, config?: AxiosRequestConfig) {
  return request.patch<UsageRecord>(`/usage/${id}`, body, config);
}

/** Newest first. */
export function listUsageRevisions(id: number) {
  return request.get<UsageRevision[]>(`/usage/${id}/revisions`);
}

// ---- file upload -------------------------------------------------------------------

/**
 * `POST /usage/import?dry_run=…` (the customer import's parser and limits): see `postImportFile`.
 * A confirmed file with conflicts (rows whose day already has a record) needs `onConflict`,
 * else 409 USAGE_EXISTS and nothing is written.
 */
export function importUsage(file: File, dryRun: boolean, options: ImportOptions = {}, onConflict?: UsageImportConflictChoice) {
  const url = onConflict ? `/usage/import?on_conflict=${onConflict}` : '/usage/import';
  return postImportFile<UsageImportResult>(url, file, dryRun, options);
}

export function downloadUsageTemplate() {
  return downloadFile('/usage/import/template', { fallbackName: 'usage-import-template.xlsx' });
}

// ---- quarantine ----------------------------------------------------------------------

export function listQuarantine(query: QuarantineQuery) {
  return request.get<QuarantineList>('/usage/quarantine', { params: query });
}

/** 409 ALREADY_RESOLVED when someone else got there first. */
export function resolveQuarantine(id: number, body: ResolveRequest, config?: AxiosRequestConfig) {
  return request.post<ResolveResponse>(`/usage/quarantine/${id}/resolve`, body, config);
}

export function resolveQuarantineBulk(body: BulkResolveRequest, config?: AxiosRequestConfig) {
  return request.post<ResolveResponse>('/usage/quarantine/resolve', body, config);
}

// ---- collection ----------------------------------------------------------------------

/** The configured HTTP sources. */
export function listUsageSources() {
  return request.get<UsageSourceInfo[]>('/usage/sources');
}

/**
 * Collect one day (`date`) or a range (`from`, `to`, ≤ 92 days, one run per day) now and
 * wait for it. 404 for an unknown source, 409 NO_USAGE_SOURCE, 400 for a future date or a
 * range too long. A range keeps running on the server if the page stops waiting; the
 * collection log shows each day as it finishes.
 */
export function collectUsage(body: CollectRequest, config?: AxiosRequestConfig) {
  const timeout = body.from ? RANGE_TIMEOUT : DOWNLOAD_TIMEOUT;
  return request.post<{ runs: CollectionRun[] }>('/usage/collect', body, { timeout, ...config });
}

/** A quarter of days against a slow vendor. */
export const RANGE_TIMEOUT = 30 * 60 * 1000;

/** Runs, newest first. */
export function listCollections(query: CollectionQuery, config?: AxiosRequestConfig) {
  return request.get<Paginated<CollectionRun>>('/usage/collections', { ...config, params: query });
}

/** The same source and day again → the new run. */
export function rerunCollection(id: number, config?: AxiosRequestConfig) {
  return request.post<CollectionRun>(`/usage/collections/${id}/rerun`, undefined, { timeout: DOWNLOAD_TIMEOUT, ...config });
}
