import { request } from './http';
import type { AuditLog, AuditLogQuery, Paginated } from './types';

export function listAuditLogs(query: AuditLogQuery) {
  return request.get<Paginated<AuditLog>>('/audit-logs', { params: query });
}
