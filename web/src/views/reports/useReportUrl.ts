import type { LocationQuery, LocationQueryRaw } from 'vue-router';
import type { ReportDefinition } from '@/api/types';
import { decodeDefinition, encodeDefinition } from './builder';
import { DEFAULT_PAGE_SIZE, validPageSize } from './useReportRun';

/**
 * What the address bar keeps, so a reload (or a shared link) shows the same report:
 * `report` — the saved report open; `def` — the builder's definition when it is not
 * that report's as saved (an unsaved or changed report); `page`/`page_size` — the page
 * of results on screen, present only while the result shown is the builder's.
 */
export interface ReportUrlState {
  report: number | null;
  definition: ReportDefinition | null;
  page: number | null;
  pageSize: number;
}

const text = (value: LocationQuery[string] | undefined) => (typeof value === 'string' ? value : '');
const positive = (value: string) => (/^\d+$/.test(value) && Number(value) > 0 ? Number(value) : null);

export function parseReportUrl(query: LocationQuery): ReportUrlState {
  return {
    report: positive(text(query.report)),
    definition: text(query.def) ? decodeDefinition(text(query.def)) : null,
    page: positive(text(query.page)),
    pageSize: validPageSize(positive(text(query.page_size)) ?? DEFAULT_PAGE_SIZE),
  };
}

export function reportUrlQuery(state: ReportUrlState): LocationQueryRaw {
  const query: LocationQueryRaw = {};
  if (state.report !== null) query.report = String(state.report);
  if (state.definition) query.def = encodeDefinition(state.definition);
  if (state.page !== null) {
    query.page = String(state.page);
    if (state.pageSize !== DEFAULT_PAGE_SIZE) query.page_size = String(state.pageSize);
  }
  return query;
}

/** A query as one comparable text (keys sorted), to tell our own URL changes from others. */
export const queryKey = (query: LocationQuery | LocationQueryRaw) =>
  JSON.stringify(
    Object.keys(query)
      .sort()
      .map((k) => [k, query[k]]),
  );
