import type { AxiosRequestConfig } from 'axios';
import { request } from './http';
import type {
  AuditLog,
  BatchRequest,
  BatchResponse,
  Customer,
  CustomerInput,
  CustomerListQuery,
  CustomerPatch,
  OwnerOption,
  PageQuery,
  Paginated,
  StatusChangeRequest,
  StatusHistoryEntry,
} from './types';

export function listCustomers(query: CustomerListQuery) {
  return request.get<Paginated<Customer>>('/customers', { params: query });
}

/** Out of scope or deleted: 404 (callers show the 404 page, so pass `silent`). */
export function getCustomer(id: number, config?: AxiosRequestConfig) {
  return request.get<Customer>(`/customers/${id}`, config);
}

/** 400 with field details, 409 DUPLICATE_* naming the field: the form marks them. */
export function createCustomer(body: CustomerInput, config?: AxiosRequestConfig) {
  return request.post<Customer>('/customers', body, config);
}

/** Stale `version`: 409 VERSION_CONFLICT. */
export function updateCustomer(id: number, body: CustomerPatch, config?: AxiosRequestConfig) {
  return request.patch<Customer>(`/customers/${id}`, body, config);
}

export function deleteCustomer(id: number) {
  return request.delete<void>(`/customers/${id}`);
}

export function restoreCustomer(id: number) {
  return request.post<Customer>(`/customers/${id}/restore`);
}

export function changeCustomerStatus(id: number, body: StatusChangeRequest, config?: AxiosRequestConfig) {
  return request.post<Customer>(`/customers/${id}/status`, body, config);
}

/** Newest first. */
export function getStatusHistory(id: number) {
  return request.get<StatusHistoryEntry[]>(`/customers/${id}/status-history`);
}

/** Newest first, paged. */
export function getAuditTrail(id: number, query: PageQuery) {
  return request.get<Paginated<AuditLog>>(`/customers/${id}/audit-trail`, { params: query });
}

/** Each id succeeds or fails on its own; the answer says which. */
export function batchCustomers(body: BatchRequest) {
  return request.post<BatchResponse>('/customers/batch', body);
}

export function listOwnerOptions() {
  return request.get<OwnerOption[]>('/customers/options/owners');
}
