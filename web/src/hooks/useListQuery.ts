import { computed, reactive, ref, shallowRef, watch, type Ref, type ShallowRef } from 'vue';
import {
  isNavigationFailure,
  NavigationFailureType,
  useRoute,
  useRouter,
  type LocationQuery,
  type LocationQueryRaw,
} from 'vue-router';
import type { ExportFormat } from '@/api/types';
import { toSortParam } from '@/utils/columns';

export const PAGE_SIZES = [10, 20, 50, 100];
const DEFAULT_PAGE_SIZE = 20;

export type ListParams<K extends string> = { page: number; page_size: number } & Partial<Record<K, string>>;

function first(value: LocationQuery[string] | undefined): string {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' ? v : '';
}

function positiveInt(value: string, fallback: number): number {
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Read a list's page, page size and filters from a URL query. */
export function parseListQuery<K extends string>(query: LocationQuery, keys: readonly K[]) {
  const pageSize = positiveInt(first(query.page_size), DEFAULT_PAGE_SIZE);
  const filters = {} as Record<K, string>;
  for (const key of keys) filters[key] = first(query[key]);
  return {
    page: positiveInt(first(query.page), 1),
    pageSize: PAGE_SIZES.includes(pageSize) ? pageSize : DEFAULT_PAGE_SIZE,
    filters,
  };
}

/** The filters that are set, as a request's query takes them (empty ones left out). */
export function presentFilters<K extends string>(applied: Partial<Record<K, string>>, keys: readonly K[]): Partial<Record<K, string>> {
  const query: Partial<Record<K, string>> = {};
  for (const key of keys) {
    const value = applied[key];
    if (value) query[key] = value;
  }
  return query;
}

/** An export's query: the applied filters that are set, plus the format; no paging. */
export function exportQuery<K extends string>(applied: Partial<Record<K, string>>, keys: readonly K[], format: ExportFormat) {
  return { ...presentFilters(applied, keys), format };
}

/** The pagination of a table paged by the server. */
export const tablePagination = (page: number, pageSize: number, total: number) => ({
  current: page,
  pageSize,
  total,
  showTotal: true,
  showPageSize: true,
  pageSizeOptions: PAGE_SIZES,
});

/** What a list endpoint answers: a page of items and how many there are in all. */
export interface PageOf<T = unknown> {
  items: readonly T[];
  total: number;
}

/** The totals a list answers beside its page (bills, payments, aging), if it does. */
// Whether `totals` is required or optional in the API's types, the list may not have them yet.
type TotalsOf<P> = 'totals' extends keyof P ? NonNullable<P['totals' & keyof P]> | null : undefined;
export const totalsOf = <P>(answer: P | null) =>
  (answer && typeof answer === 'object' && 'totals' in answer ? (answer.totals ?? null) : undefined) as TotalsOf<P>;

/**
 * A list's table props and events, to bind at once (`<bill-table v-bind="list.table.value" />`):
 * the rows, the server's totals over the whole filter when the list has them, the paging,
 * and the sort order for lists the server sorts.
 */
export function tableBinding<P extends PageOf>(state: {
  answer: Readonly<Ref<P | null>>;
  items: Readonly<Ref<P['items']>>;
  loading: Readonly<Ref<boolean>>;
  pagination: Readonly<Ref<ReturnType<typeof tablePagination>>>;
  changePage: (page: number) => unknown;
  changePageSize: (size: number) => unknown;
  sortBy?: (column: string, direction: string) => unknown;
  sort?: Readonly<Ref<string>>;
}) {
  return computed(() => ({
    items: state.items.value,
    totals: totalsOf(state.answer.value),
    loading: state.loading.value,
    sort: state.sort?.value,
    pagination: state.pagination.value,
    onPageChange: state.changePage,
    onPageSizeChange: state.changePageSize,
    onSort: state.sortBy,
  }));
}

/**
 * A paginated, filtered list whose state lives in the URL query, so a reload, the back
 * button or a shared link shows the same page. `filters` is the search form's model;
 * it takes effect on `search()`. `answer` is the whole last page the server sent, for
 * what it says beside the items (totals, counts by reason…).
 */
export function useListQuery<K extends string, P extends PageOf>(options: {
  filterKeys: readonly K[];
  fetch: (params: ListParams<K>) => Promise<P>;
}) {
  type T = P['items'][number];
  const route = useRoute();
  const router = useRouter();
  const routeName = route.name;

  const initial = parseListQuery(route.query, options.filterKeys);
  const filters = reactive({ ...initial.filters }) as Record<K, string>;
  const page = ref(initial.page);
  const pageSize = ref(initial.pageSize);
  const items = shallowRef<T[]>([]);
  const answer: ShallowRef<P | null> = shallowRef(null);
  const total = ref(0);
  const loading = ref(false);
  let latest = 0;

  /** The filters in the URL, i.e. the ones the list on screen was loaded with. */
  const applied = () => parseListQuery(route.query, options.filterKeys).filters;

  async function load() {
    const params = { page: page.value, page_size: pageSize.value } as ListParams<K>;
    const current = applied();
    for (const key of options.filterKeys) {
      if (current[key]) params[key] = current[key] as ListParams<K>[K];
    }
    const ticket = ++latest;
    loading.value = true;
    try {
      const page = await options.fetch(params);
      if (ticket !== latest) return;
      answer.value = page;
      items.value = page.items as T[];
      total.value = page.total;
    } catch {
      // The http client has shown the message; keep what was on screen.
    } finally {
      if (ticket === latest) loading.value = false;
    }
  }

  async function push(next: { page: number; pageSize: number; filters: Record<K, string> }) {
    const query: LocationQueryRaw = {};
    for (const key of options.filterKeys) if (next.filters[key]) query[key] = next.filters[key];
    if (next.page !== 1) query.page = String(next.page);
    if (next.pageSize !== DEFAULT_PAGE_SIZE) query.page_size = String(next.pageSize);
    const failure = await router.push({ query });
    // Searching again with the same filters reloads instead of doing nothing.
    if (isNavigationFailure(failure, NavigationFailureType.duplicated)) await load();
  }

  watch(
    () => route.query,
    (query) => {
      if (route.name !== routeName) return;
      const state = parseListQuery(query, options.filterKeys);
      page.value = state.page;
      pageSize.value = state.pageSize;
      Object.assign(filters, state.filters);
      void load();
    },
    { immediate: true },
  );

  const applyFilters = (patch: Partial<Record<K, string>>) => {
    const next = { ...applied(), ...patch } as Record<K, string>;
    Object.assign(filters, next);
    return push({ page: 1, pageSize: pageSize.value, filters: next });
  };
  const changePage = (next: number) => push({ page: next, pageSize: pageSize.value, filters: applied() });
  const changePageSize = (next: number) => push({ page: 1, pageSize: next, filters: applied() });
  /** A table's sorter change, as the list's `sort` filter (lists that have one). */
  const sortBy = (column: string, direction: string) => applyFilters({ sort: toSortParam(column, direction) } as Partial<Record<K, string>>);
  const pagination = computed(() => tablePagination(page.value, pageSize.value, total.value));
  const appliedFilters = computed(() => parseListQuery(route.query, options.filterKeys).filters);
  /** The applied sort order (`-total`) for lists that sort; empty: the server's default. */
  const sort = computed(() => (appliedFilters.value as Partial<Record<string, string>>).sort ?? '');

  return {
    filters,
    items,
    answer,
    total,
    loading,
    page,
    pageSize,
    reload: load,
    /** The filters the list on screen was loaded with (the URL's). */
    appliedFilters,
    sort,
    /** `GET …/export`'s query: what the list on screen was loaded with, in `format`. */
    exportQuery: (format: ExportFormat) => exportQuery(appliedFilters.value, options.filterKeys, format),
    /**
     * Change some filters on top of the applied ones (a removed chip, a sort order) and
     * go to page 1; the search form then shows the applied filters again.
     */
    applyFilters,
    sortBy,
    search: () => push({ page: 1, pageSize: pageSize.value, filters: { ...filters } }),
    reset: () => {
      for (const key of options.filterKeys) filters[key] = '';
      return push({ page: 1, pageSize: pageSize.value, filters: { ...filters } });
    },
    changePage,
    changePageSize,
    pagination,
    table: tableBinding({ answer, items, loading, pagination, changePage, changePageSize, sortBy, sort }),
  };
}
