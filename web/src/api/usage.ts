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
 */
export function writeUsage(body: UsageBatchRequest, config?: AxiosRequestConfig) {
  return request.post<UsageBatchResponse>('/usage', body, config);
}

/** Correct one record's quantity; the reason is required and kept on the revision. */
export function correctUsage(id: number, body: UsageCorrection, config?: AxiosRequestConfig) {
  return request.patch<UsageRecord>(`/usage/${id}`, body, config);
}

/** Newest first. */
export function listUsageRevisions(id: number) {
  return request.get<UsageRevision[]>(`/usage/${id}/revisions`);
}

// ---- file upload -------------------------------------------------------------------

/** `POST /usage/import?dry_run=…` (the customer import's parser and limits): see `postImportFile`. */
export function importUsage(file: File, dryRun: boolean, options: ImportOptions = {}) {
  return postImportFile<UsageImportResult>('/usage/import', file, dryRun, options);
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
 * Collect one day now and wait for it (a collection fetches every page first). 404
 * SOURCE_NOT_FOUND, 409 NO_USAGE_SOURCE, 400 for a future date.
 */
export function collectUsage(body: CollectRequest, config?: AxiosRequestConfig) {
  return request.post<{ runs: CollectionRun[] }>('/usage/collect', body, { timeout: DOWNLOAD_TIMEOUT, ...config });
}

/** Runs, newest first. */
export function listCollections(query: CollectionQuery) {
  return request.get<Paginated<CollectionRun>>('/usage/collections', { params: query });
}

/** The same source and day again → the new run. */
export function rerunCollection(id: number, config?: AxiosRequestConfig) {
  return request.post<CollectionRun>(`/usage/collections/${id}/rerun`, undefined, { timeout: DOWNLOAD_TIMEOUT, ...config });
}
