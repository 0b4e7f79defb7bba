import { downloadFile } from './download';
import { http, request } from './http';
import { postImportFile, type ImportOptions } from './upload';
import type { CustomerExportQuery, ImportRecord, ImportResult, PageQuery, Paginated } from './types';

/** The server's default upload limit (DESIGN.md §4); checked in the browser first. */
export const IMPORT_MAX_BYTES = 20 * 1024 * 1024;
export const IMPORT_EXTENSIONS = ['.xlsx', '.csv'] as const;
export type { ImportOptions };

/** `POST /customers/import?dry_run=…`: see `postImportFile`. */
export function importCustomers(file: File, dryRun: boolean, options: ImportOptions = {}) {
  return postImportFile<ImportResult>('/customers/import', file, dryRun, options);
}

/** Earlier imports and dry runs, newest first. */
export function listImports(query: PageQuery) {
  return request.get<Paginated<ImportRecord>>('/customers/imports', { params: query });
}

export function downloadImportTemplate() {
  return downloadFile('/customers/import/template', { fallbackName: 'customer-import-template.xlsx' });
}

/** `/api/v1/customers/…` (as the server writes links) → a path for the client, whose base is `/api/v1`. */
export function clientPath(url: string): string {
  const base = (http.defaults.baseURL ?? '').replace(/\/$/, '');
  return base && url.startsWith(`${base}/`) ? url.slice(base.length) : url;
}

/** The report of an import: its original columns plus 「错误原因」. */
export function downloadImportReport(importId: number, reportUrl?: string | null) {
  const url = reportUrl ? clientPath(reportUrl) : `/customers/import/${importId}/report.xlsx`;
  return downloadFile(url, { fallbackName: `customer-import-${importId}-report.xlsx` });
}

/** The file as it was uploaded for an import run (kept in file storage; 404 when it was not kept). */
export function downloadImportOriginal(importId: number, fileName: string) {
  return downloadFile(`/customers/import/${importId}/original`, { fallbackName: fileName });
}

/** `GET /customers/export?format=…` with the list's filters (the server applies the data scope). */
export function exportCustomers(query: CustomerExportQuery) {
  return downloadFile('/customers/export', { params: query, fallbackName: `customers.${query.format}` });
}
