import type { AxiosRequestConfig } from 'axios';
import { request } from './http';
import type { ConflictResolved, ErpConflict, ErpResendResult, ErpSyncEntry, ErpSyncQuery, IntegrationsOverview, PageQuery, Paginated } from './types';

/** 集成 (integrations.manage, management): the connectors, the ERP sync log and its re-sends. */

/** `GET /integrations`: each connector's state, counts, last sync and last error. */
export function getIntegrations(config?: AxiosRequestConfig) {
  return request.get<IntegrationsOverview>('/integrations', config);
}

/** `GET /integrations/erp/documents`: the sync log, newest first, by `kind`, `status` and part of the number (`q`). */
export function listErpDocuments(query: ErpSyncQuery, config?: AxiosRequestConfig) {
  return request.get<Paginated<ErpSyncEntry>>('/integrations/erp/documents', { ...config, params: query });
}

/** `POST /integrations/erp/documents/{id}/resend`: a failed (or sent) one back to `queued`; 409 NOT_RESENDABLE while queued. */
export function resendErpDocument(id: number, config?: AxiosRequestConfig) {
  return request.post<ErpSyncEntry>(`/integrations/erp/documents/${id}/resend`, undefined, config);
}

/** `POST /integrations/erp/resend-failed`: every failed document back to `queued` (after fixing the credential). */
export function resendFailedErpDocuments(config?: AxiosRequestConfig) {
  return request.post<ErpResendResult>('/integrations/erp/resend-failed', undefined, config);
}

/** `GET /integrations/erp/conflicts`: customers edited here that the ERP has changed since, field by field. */
export function listErpConflicts(query: PageQuery, config?: AxiosRequestConfig) {
  return request.get<Paginated<ErpConflict>>('/integrations/erp/conflicts', { ...config, params: query });
}

/** `POST /integrations/erp/conflicts/{id}/accept`: take the ERP's values (409 CONFLICT_CHANGED, 422 ERP_RECORD_INVALID). */
export function acceptErpConflict(customerId: number, digest: string, config?: AxiosRequestConfig) {
  return request.post<ConflictResolved>(`/integrations/erp/conflicts/${customerId}/accept`, { digest }, config);
}

/** `POST /integrations/erp/conflicts/{id}/keep`: keep ours against this ERP record. */
export function keepErpConflict(customerId: number, digest: string, config?: AxiosRequestConfig) {
  return request.post<ConflictResolved>(`/integrations/erp/conflicts/${customerId}/keep`, { digest }, config);
}
