import type { AxiosRequestConfig } from 'axios';
import { DOWNLOAD_TIMEOUT, downloadFile } from './download';
import { http, request } from './http';
import type {
  AuditLog,
  BatchIssueRequest,
  BatchIssueResponse,
  Bill,
  BillExportQuery,
  BillList,
  BillListQuery,
  BillRun,
  BillRunQuery,
  BillUsageDays,
  CreditNoteRequest,
  GenerateBillsRequest,
  IssueBillRequest,
  ManualBillInput,
  PageQuery,
  Paginated,
  VoidBillRequest,
} from './types';

// ---- generation ------------------------------------------------------------------

/**
 * Generate or refresh the period's auto bills and wait for the run (a whole month of
 * customers can take a while). 400 for a malformed or future period.
 */
export function generateBills(body: GenerateBillsRequest, config?: AxiosRequestConfig) {
  return request.post<BillRun>('/bills/generate', body, { timeout: DOWNLOAD_TIMEOUT, ...config });
}

/** Runs, newest first; `period` narrows them to one month. */
export function listBillRuns(query: BillRunQuery, config?: AxiosRequestConfig) {
  return request.get<Paginated<BillRun>>('/bills/runs', { ...config, params: query });
}

// ---- reading -----------------------------------------------------------------------

/** The page, plus `totals` over the whole filter. */
export function listBills(query: BillListQuery, config?: AxiosRequestConfig) {
  return request.get<BillList>('/bills', { ...config, params: query });
}

/** = `GET /bills?customer_id=`. */
export function listCustomerBills(customerId: number, query: PageQuery, config?: AxiosRequestConfig) {
  return request.get<BillList>(`/customers/${customerId}/bills`, { ...config, params: query });
}

/** Outside the caller's scope or unknown: 404 (callers show the 404 page, so pass `silent`). */
export function getBill(id: number, config?: AxiosRequestConfig) {
  return request.get<Bill>(`/bills/${id}`, config);
}

/** The daily usage records behind each series line, with their sources. */
export function getBillUsageDays(id: number, config?: AxiosRequestConfig) {
  return request.get<BillUsageDays>(`/bills/${id}/usage-days`, config);
}

/** The bill's audit trail, newest first. */
export function getBillHistory(id: number, query: PageQuery) {
  return request.get<Paginated<AuditLog>>(`/bills/${id}/history`, { params: query });
}

// ---- writing -----------------------------------------------------------------------

/** A manual bill (draft); 400 details name the field (`lines[2].unit_price`). */
export function createManualBill(body: ManualBillInput, config?: AxiosRequestConfig) {
  return request.post<Bill>('/bills', body, config);
}

/** Draft → issued. 409 INVALID_BILL_STATUS, WARNINGS_NOT_ACKNOWLEDGED, BILL_NOT_PRICED, AMOUNT_TOO_LARGE. */
export function issueBill(id: number, body: IssueBillRequest, config?: AxiosRequestConfig) {
  return request.post<Bill>(`/bills/${id}/issue`, body, config);
}

/** Each id is issued or skipped on its own; the answer lists the skipped with the server's reason. */
export function batchIssueBills(body: BatchIssueRequest, config?: AxiosRequestConfig) {
  return request.post<BatchIssueResponse>('/bills/batch-issue', body, config);
}

/** 409 INVALID_BILL_STATUS or BILL_HAS_ALLOCATIONS. */
export function voidBill(id: number, body: VoidBillRequest, config?: AxiosRequestConfig) {
  return request.post<Bill>(`/bills/${id}/void`, body, config);
}

/** 红冲/调整 → the bill. 400 at `amount` / `reason`, 409 CREDIT_EXCEEDS_OUTSTANDING or INVALID_BILL_STATUS. */
export function createCreditNote(id: number, body: CreditNoteRequest, config?: AxiosRequestConfig) {
  return request.post<Bill>(`/bills/${id}/credit-notes`, body, config);
}

// ---- files -------------------------------------------------------------------------

/**
 * The bill's PDF as a Blob, fetched through the client (Bearer token, refresh, the
 * envelope's message on failure), for an `<iframe>` preview via an object URL.
 */
export async function fetchBillPdf(id: number, config?: AxiosRequestConfig): Promise<Blob> {
  const response = await http.get<Blob>(`/bills/${id}/pdf`, { ...config, responseType: 'blob', timeout: DOWNLOAD_TIMEOUT });
  const blob = response.data;
  // The viewer needs the type even when a proxy dropped it.
  return blob.type === 'application/pdf' ? blob : new Blob([blob], { type: 'application/pdf' });
}

/** The same PDF as an attachment (`?download=1`), saved under the server's file name. */
export function downloadBillPdf(id: number, billNo?: string) {
  return downloadFile(`/bills/${id}/pdf`, { params: { download: 1 }, fallbackName: `${billNo ?? `bill-${id}`}.pdf` });
}

/** `GET /bills/export?format=…` with the list's filters (the server applies the data scope). */
export function exportBills(query: BillExportQuery) {
  return downloadFile('/bills/export', { params: query, fallbackName: `bills.${query.format}` });
}
