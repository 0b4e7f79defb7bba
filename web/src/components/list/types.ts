import type { Component } from 'vue';
import type { RouteLocationRaw } from 'vue-router';
import type { ExportFormat } from '@/api/types';

/** A value the page reads (a ref or a computed of `useListQuery`). */
interface Readable<V> {
  readonly value: V;
}

/** What a list page needs of `useListQuery`. */
export interface ListState<T, X = undefined> {
  filters: Record<string, unknown>;
  items: Readable<readonly T[]>;
  loading: Readable<boolean>;
  page: Readable<number>;
  pageSize: Readable<number>;
  total: Readable<number>;
  pagination: Readable<Record<string, unknown>>;
  search: () => unknown;
  reset: () => unknown;
  changePage: (page: number) => unknown;
  changePageSize: (size: number) => unknown;
  exportQuery: (format: ExportFormat) => ListExportQuery;
  table: Readable<TableBinding<T, X>>;
}

/** What a list page's `#table` slot gets: bind it to the table (`v-bind="table"`). */
export interface TableBinding<T, X = undefined> {
  items: readonly T[];
  /** The server's totals over the whole filter, for lists that have them. */
  totals: X;
  loading: boolean;
  /** The list's sort order (`-total`); lists paged in the component do not sort. */
  sort?: string;
  pagination: Record<string, unknown>;
  onPageChange: (page: number) => unknown;
  onPageSizeChange: (size: number) => unknown;
  /** Lists the server sorts. */
  onSort?: (column: string, direction: string) => unknown;
}

/** A button of a list's toolbar: a page to open (`to`) or something to do (`onClick`). */
export interface ListAction {
  /** The i18n key of its text. */
  label: string;
  testId: string;
  icon?: Component;
  to?: RouteLocationRaw;
  onClick?: () => void;
  /** Shown only to those with this permission (any one of a list). */
  permission?: string | string[];
  primary?: boolean;
}

/** What an export is asked for: the list's applied filters that are set, and the format. */
export type ListExportQuery = Partial<Record<string, string>> & { format: ExportFormat };

/** 导出: Excel or CSV (or the `formats` given) of what the list's filters select (see ExportDropdown). */
export interface ListExport {
  /** Downloads the file and answers its name (`exportBills`…). */
  run(query: ListExportQuery): Promise<string>;
  testId: string;
  /** The locale prefix of its texts (`export`, `exportXlsx`, `exportCsv`, `exported`); the page's by default. */
  labels?: string;
  /** The file kinds offered, in menu order; Excel and CSV by default. */
  formats?: readonly ExportFormat[];
}
