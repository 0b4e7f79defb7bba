/** A value the page reads (a ref or a computed of `useListQuery`). */
interface Readable<V> {
  readonly value: V;
}

/** What a list page needs of `useListQuery`. */
export interface ListState<T> {
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
  table: Readable<TableBinding<T>>;
}

/** What a list page's `#table` slot gets: bind it to the table (`v-bind="table"`). */
export interface TableBinding<T> {
  items: readonly T[];
  loading: boolean;
  pagination: Record<string, unknown>;
  onPageChange: (page: number) => unknown;
  onPageSizeChange: (size: number) => unknown;
  onSort: (column: string, direction: string) => unknown;
}
