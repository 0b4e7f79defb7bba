import type { AxiosRequestConfig } from 'axios';
import { downloadFile } from './download';
import { request } from './http';
import type {
  ReportDataset,
  ReportDefinition,
  ReportExportFormat,
  ReportExportInput,
  ReportResult,
  ReportRunQuery,
  SavedReport,
  SavedReportInput,
  SavedReportSummary,
} from './types';

/** The datasets a report may be built on, with their columns (the builder never lists columns of its own). */
export function listReportDatasets(config?: AxiosRequestConfig) {
  return request.get<ReportDataset[]>('/reports/datasets', config);
}

/** 我的报表: the caller's saved reports (each user sees only their own). */
export function listSavedReports(config?: AxiosRequestConfig) {
  return request.get<SavedReportSummary[]>('/reports', config);
}

export function getSavedReport(id: number, config?: AxiosRequestConfig) {
  return request.get<SavedReport>(`/reports/${id}`, config);
}

/** 409 REPORT_NAME_TAKEN when the caller already has a report of that name. */
export function createSavedReport(input: SavedReportInput, config?: AxiosRequestConfig) {
  return request.post<SavedReport>('/reports', input, config);
}

export function updateSavedReport(id: number, input: SavedReportInput, config?: AxiosRequestConfig) {
  return request.put<SavedReport>(`/reports/${id}`, input, config);
}

export function deleteSavedReport(id: number, config?: AxiosRequestConfig) {
  return request.delete<void>(`/reports/${id}`, config);
}

/** One page of a definition's rows, with the totals of its sums over every row. */
export function runReport(definition: ReportDefinition, page: ReportRunQuery, config?: AxiosRequestConfig) {
  return request.post<ReportResult>('/reports/run', definition, { ...config, params: page });
}

const fallbackName = (name: string | null | undefined, format: ReportExportFormat) => `${name || 'report'}.${format}`;

/** Every row of a definition as a file (an unsaved or changed report). */
export function exportReport(format: ReportExportFormat, input: ReportExportInput) {
  return downloadFile('/reports/export', { params: { format }, body: input, fallbackName: fallbackName(input.name, format) });
}

/** Every row of a saved report, as saved. */
export function exportSavedReport(id: number, name: string, format: ReportExportFormat) {
  return downloadFile(`/reports/${id}/export`, { params: { format }, fallbackName: fallbackName(name, format) });
}
