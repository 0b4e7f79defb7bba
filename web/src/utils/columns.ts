import { useI18n } from 'vue-i18n';
import type { TableColumnData } from '@arco-design/web-vue';

/**
 * Table columns the way every record table writes them: the title from the locale
 * (`<prefix>.<key>`), the cell from the slot of the same name, and, for the columns the
 * server sorts by, the sort order of the list's `sort` filter (`total` / `-total`).
 */

/** `-signed_at` → the column's sort order. */
export function sortOrderOf(sort: string, column: string): 'ascend' | 'descend' | '' {
  if (sort === column) return 'ascend';
  if (sort === `-${column}`) return 'descend';
  return '';
}

/** A sorter change of the table → the `sort` parameter (empty: the server default). */
export function toSortParam(column: string, direction: string): string {
  if (direction === 'ascend') return column;
  if (direction === 'descend') return `-${column}`;
  return '';
}

export interface ColumnOptions {
  /** Columns the server sorts by; a table given the list's `sort` shows their arrows. */
  sortable?: readonly string[];
}

export type ColumnOf = (key: string, extra?: Partial<TableColumnData>) => TableColumnData;

/** `column(key, extra)` for titles under `prefix`; call it inside a `computed` so titles follow the locale. */
export function columnFactory(translate: (key: string) => string, prefix: string, options: ColumnOptions = {}): ColumnOf {
  const sortable = options.sortable ?? [];
  return (key, extra = {}) => ({
    title: translate(`${prefix}.${key}`),
    dataIndex: key,
    slotName: key,
    ...(sortable.includes(key) ? { sortable: { sortDirections: ['ascend', 'descend'], sorter: true } } : {}),
    ...extra,
  });
}

/** `columnFactory` with the component's `t`. */
export function useColumnFactory(prefix: string, options: ColumnOptions = {}): ColumnOf {
  const { t } = useI18n();
  return columnFactory(t, prefix, options);
}

/**
 * The columns as a table sorted by the server shows them: the sort arrows of `sort` (the
 * list's `sort` filter, `-total`); without a `sort` the table is not sortable at all.
 */
export function withSortOrder(columns: TableColumnData[], sort: string | undefined): TableColumnData[] {
  return columns.map((column) => {
    if (!column.sortable) return column;
    if (sort === undefined) return { ...column, sortable: undefined };
    return { ...column, sortable: { ...column.sortable, sortOrder: sortOrderOf(sort, String(column.dataIndex)) } };
  });
}

/** Right-aligned money columns of one width. */
export const moneyColumns = (column: ColumnOf, keys: readonly string[], width: number): TableColumnData[] =>
  keys.map((key) => column(key, { width, align: 'right' }));
