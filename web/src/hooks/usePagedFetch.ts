import { computed, ref, shallowRef, watch, type ShallowRef, type WatchSource } from 'vue';
import { tableBinding, tablePagination, type PageOf } from './useListQuery';

/**
 * A list paged in the component, not in the URL (a tab, a history under a form): the
 * page on screen, reloaded from page 1 whenever `source` changes. Only the latest answer
 * counts, so a slow one never overwrites a newer page; a failure keeps what was shown
 * (the http client has said why).
 */
export function usePagedFetch<P extends PageOf>(options: {
  fetch: (page: { page: number; page_size: number }) => Promise<P>;
  /** What the list depends on (the customer, the period…): a change starts again at page 1. */
  source: WatchSource;
  pageSize?: number;
}) {
  const answer: ShallowRef<P | null> = shallowRef(null);
  const loading = ref(false);
  const page = ref(1);
  const pageSize = ref(options.pageSize ?? 20);
  let latest = 0;

  async function load() {
    const ticket = ++latest;
    loading.value = true;
    try {
      const next = await options.fetch({ page: page.value, page_size: pageSize.value });
      if (ticket === latest) answer.value = next;
    } catch {
      // The client has shown the message; keep what was on screen.
    } finally {
      if (ticket === latest) loading.value = false;
    }
  }

  /** From the first page again (a new search). */
  function restart() {
    page.value = 1;
    return load();
  }

  watch(options.source, restart, { immediate: true });

  function changePage(next: number) {
    page.value = next;
    return load();
  }

  function changePageSize(next: number) {
    pageSize.value = next;
    return restart();
  }

  const items = computed<P['items']>(() => answer.value?.items ?? []);
  const pagination = computed(() => tablePagination(page.value, pageSize.value, answer.value?.total ?? 0));

  return {
    answer,
    items,
    total: computed(() => answer.value?.total ?? 0),
    loading,
    page,
    pageSize,
    load,
    restart,
    changePage,
    changePageSize,
    pagination,
    /** The table's props and events, to bind at once, as `useListQuery`'s (no sorting). */
    table: tableBinding({ answer, items, loading, pagination, changePage, changePageSize }),
  };
}
