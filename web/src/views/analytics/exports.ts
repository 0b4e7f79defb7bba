import { ANALYTICS_EXPORT_FORMATS } from '@/api/analytics';
import type { ListExport, ListExportQuery } from '@/components/list/types';

/** The locale prefix of every analytics page's 导出 menu. */
export const EXPORT_LABELS = 'analytics.export';
export const EXPORT_FORMATS = ANALYTICS_EXPORT_FORMATS;

/** 导出 → Excel / CSV / PDF of an analytics list, with the filters it was loaded with (no paging). */
export function listExport(run: (query: ListExportQuery) => Promise<string>, testId: string): ListExport {
  return { run, testId, labels: EXPORT_LABELS, formats: EXPORT_FORMATS };
}
