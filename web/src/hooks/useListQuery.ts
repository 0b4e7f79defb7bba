import { computed, reactive, ref, shallowRef, watch } from 'vue';
import {
  isNavigationFailure,
  NavigationFailureType,
  useRoute,
  useRouter,
  type LocationQuery,
  type LocationQueryRaw,
} from 'vue-router';
import type { Paginated } from '@/api/types';

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

/**
 * A paginated, filtered list whose state lives in the URL query, so a reload, the back
 * button or a shared link shows the same page. `filters` is the search form's model;
 * it takes effect on `search()`.
 */
export function useListQuery<T, K extends string>(options: {
  filterKeys: readonly K[];
  fetch: (params: ListParams<K>) => Promise<Paginated<T>>;
}) {
  const route = useRoute();
  const router = useRouter();
  const routeName = route.name;

  const initial = parseListQuery(route.query, options.filterKeys);
  const filters = reactive({ ...initial.filters }) as Record<K, string>;
  const page = ref(initial.page);
  const pageSize = ref(initial.pageSize);
  const items = shallowRef<T[]>([]);
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
      const answer = await options.fetch(params);
      if (ticket !== latest) return;
      items.value = answer.items;
      total.value = answer.total;
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

  return {
    filters,
    items,
    total,
    loading,
    page,
    pageSize,
    reload: load,
    /** The filters the list on screen was loaded with (the URL's). */
    appliedFilters: computed(() => parseListQuery(route.query, options.filterKeys).filters),
    /**
     * Change some filters on top of the applied ones (a removed chip, a sort order) and
     * go to page 1; the search form then shows the applied filters again.
     */
    applyFilters: (patch: Partial<Record<K, string>>) => {
      const next = { ...applied(), ...patch } as Record<K, string>;
      Object.assign(filters, next);
      return push({ page: 1, pageSize: pageSize.value, filters: next });
    },
    search: () => push({ page: 1, pageSize: pageSize.value, filters: { ...filters } }),
    reset: () => {
      for (const key of options.filterKeys) filters[key] = '';
      return push({ page: 1, pageSize: pageSize.value, filters: { ...filters } });
    },
    changePage: (next: number) => push({ page: next, pageSize: pageSize.value, filters: applied() }),
    changePageSize: (next: number) => push({ page: 1, pageSize: next, filters: applied() }),
    pagination: computed(() => ({
      current: page.value,
      pageSize: pageSize.value,
      total: total.value,
      showTotal: true,
      showPageSize: true,
      pageSizeOptions: PAGE_SIZES,
    })),
  };
}
