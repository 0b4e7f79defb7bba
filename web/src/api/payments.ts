import type { AxiosRequestConfig } from 'axios';
import { downloadFile } from './download';
import { http, request } from './http';
import { DOWNLOAD_TIMEOUT } from './download';
import type { ImportOptions } from './upload';
import type {
  AgingExportQuery,
  PaymentExportQuery,
  AgingList,
  AgingQuery,
  AllocateRequest,
  AllocateResponse,
  Allocation,
  AuditLog,
  CustomerStatement,
  PageQuery,
  Paginated,
  Payment,
  PaymentImportResult,
  PaymentInput,
  PaymentList,
  PaymentListQuery,
  PaymentPatch,
  PaymentSuggestions,
  ReasonRequest,
  StatementQuery,
} from './types';

/** docs/api/payments.md: payments, allocations (核销), the bank statement import, aging and statements. */

// ---- payments ----------------------------------------------------------------------

/** The page, plus `totals` over the whole filter. */
export function listPayments(query: PaymentListQuery, config?: AxiosRequestConfig) {
  return request.get<PaymentList>('/payments', { ...config, params: query });
}

/** One payment with its allocations; outside the caller's scope or unknown: 404 (pass `silent`). */
export function getPayment(id: number, config?: AxiosRequestConfig) {
  return request.get<Payment>(`/payments/${id}`, config);
}

/** 登记收款 → the payment (201). 400 details name the field; 409 DUPLICATE_PAYMENT names the existing one. */
export function createPayment(body: PaymentInput, config?: AxiosRequestConfig) {
  return request.post<Payment>('/payments', body, config);
}

/** Edit while nothing is allocated (409 PAYMENT_HAS_ALLOCATIONS otherwise); also how a customer is set. */
export function updatePayment(id: number, body: PaymentPatch, config?: AxiosRequestConfig) {
  return request.patch<Payment>(`/payments/${id}`, body, config);
}

/** Soft delete while nothing is allocated; the reference may then be entered again. */
export function deletePayment(id: number, body: ReasonRequest, config?: AxiosRequestConfig) {
  return request.delete<unknown>(`/payments/${id}`, { ...config, data: body });
}

/** The payment's audit trail, newest first. */
export function getPaymentHistory(id: number, query: PageQuery) {
  return request.get<Paginated<AuditLog>>(`/payments/${id}/history`, { params: query });
}

// ---- write-off ---------------------------------------------------------------------

/** What to allocate the payment to; for a payment without a customer, which customer it may be. */
export function getPaymentSuggestions(id: number, config?: AxiosRequestConfig) {
  return request.get<PaymentSuggestions>(`/payments/${id}/suggestions`, config);
}

/**
 * 核销: one payment to one or several bills, in one transaction. 400 details at
 * `allocations[i].amount`; 409 BILL_NOT_OPEN, CUSTOMER_MISMATCH, EXCEEDS_UNAPPLIED,
 * EXCEEDS_OUTSTANDING, PAYMENT_DELETED.
 */
export function allocatePayment(id: number, body: AllocateRequest, config?: AxiosRequestConfig) {
  return request.post<AllocateResponse>(`/payments/${id}/allocations`, body, config);
}

/** 撤销核销 → the payment as after the reversal; 409 ALLOCATION_ALREADY_REVERSED. */
export function reverseAllocation(id: number, body: ReasonRequest, config?: AxiosRequestConfig) {
  return request.post<Payment>(`/allocations/${id}/reverse`, body, config);
}

/** A bill's allocations, live and reversed, newest first. */
export function listBillAllocations(billId: number, config?: AxiosRequestConfig) {
  return request.get<Allocation[]>(`/bills/${billId}/allocations`, config);
}

// ---- bank statement import ---------------------------------------------------------

/** `.xlsx`, `.xls`, `.csv` (UTF-8 or GB18030); the header row is found by content. */
export const PAYMENT_IMPORT_EXTENSIONS = ['.xlsx', '.xls', '.csv'] as const;

/**
 * `POST /payments/import?dry_run=…&auto_allocate=…` (multipart `file`, as `postImportFile`); with
 * `autoAllocate` the exact one-to-one matches are allocated in the same transaction and listed.
 */
export function importPayments(file: File, dryRun: boolean, options: ImportOptions = {}, autoAllocate = false) {
  const form = new FormData();
  form.append('file', file, file.name);
  return request.post<PaymentImportResult>('/payments/import', form, {
    params: { dry_run: dryRun ? 'true' : 'false', auto_allocate: autoAllocate ? 'true' : 'false' },
    timeout: DOWNLOAD_TIMEOUT,
    silent: true,
    onUploadProgress: options.onUploadProgress,
    signal: options.signal,
  });
}

export function downloadPaymentTemplate() {
  return downloadFile('/payments/import/template', { fallbackName: 'bank-statement-template.xlsx' });
}

// ---- receivables -------------------------------------------------------------------

/** One row per customer with open bills or a balance, largest overdue first; `totals` over the filter. */
export function listAging(query: AgingQuery, config?: AxiosRequestConfig) {
  return request.get<AgingList>('/receivables/aging', { ...config, params: query });
}

/** `GET /payments/export?format=…` with the list's filters (the server applies the data scope). */
export function exportPayments(query: PaymentExportQuery) {
  return downloadFile('/payments/export', { params: query, fallbackName: `payments.${query.format}` });
}

/** `GET /receivables/aging/export?format=…` with the report's filters (the server applies the data scope). */
export function exportAging(query: AgingExportQuery) {
  return downloadFile('/receivables/aging/export', { params: query, fallbackName: `aging.${query.format}` });
}

/** 对账单: the customer's summary with aging, bills, payments and allocations, and the ledger of a period. */
export function getCustomerStatement(customerId: number, query: StatementQuery = {}, config?: AxiosRequestConfig) {
  return request.get<CustomerStatement>(`/customers/${customerId}/statement`, { ...config, params: query });
}

/** The statement of a period as PDF (`download` saves it; otherwise for printing). */
export function downloadStatementPdf(customerId: number, query: StatementQuery) {
  return downloadFile(`/customers/${customerId}/statement/pdf`, {
    params: { ...query, download: '1' },
    fallbackName: `statement-${customerId}.pdf`,
  });
}

/** The statement of a period as `.xlsx`. */
export function exportStatement(customerId: number, query: StatementQuery) {
  return downloadFile(`/customers/${customerId}/statement/export`, {
    params: { ...query, format: 'xlsx' },
    fallbackName: `statement-${customerId}.xlsx`,
  });
}

/** The PDF as a Blob through the client (token, refresh, the envelope's message), to print from an object URL. */
export async function fetchStatementPdf(customerId: number, query: StatementQuery, config?: AxiosRequestConfig): Promise<Blob> {
  const response = await http.get<Blob>(`/customers/${customerId}/statement/pdf`, {
    ...config,
    params: query,
    responseType: 'blob',
    timeout: DOWNLOAD_TIMEOUT,
  });
  const blob = response.data;
  return blob.type === 'application/pdf' ? blob : new Blob([blob], { type: 'application/pdf' });
}
