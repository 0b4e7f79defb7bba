import { computed, ref, shallowRef } from 'vue';
import { isApiError, type ApiError } from '@/api/http';
import { runReport } from '@/api/reports';
import type { ReportDefinition, ReportResult } from '@/api/types';
import { PAGE_SIZES, tablePagination } from '@/hooks/useListQuery';

export const DEFAULT_PAGE_SIZE = 20;

/**
 * 运行: a page of a definition's rows. The definition shown is kept (`ran`), so paging
 * reads the same report even after the builder changed (`stale` then says so). Only the
 * latest answer counts; a refusal is handed to `onFailure` to be placed on the builder.
 */
export function useReportRun(onFailure: (error: ApiError) => void) {
  const result = shallowRef<ReportResult | null>(null);
  const ran = shallowRef<ReportDefinition | null>(null);
  const loading = ref(false);
  const page = ref(1);
  const pageSize = ref(DEFAULT_PAGE_SIZE);
  let latest = 0;

  /** Resolves true when the page is on screen. */
  async function run(definition: ReportDefinition, at = 1, size = pageSize.value): Promise<boolean> {
    const ticket = ++latest;
    loading.value = true;
    try {
      const answer = await runReport(definition, { page: at, page_size: size }, { silent: true });
      if (ticket !== latest) return false;
      result.value = answer;
      ran.value = definition;
      page.value = answer.page;
      pageSize.value = answer.page_size;
      return true;
    } catch (error) {
      if (ticket === latest && isApiError(error)) onFailure(error);
      if (!isApiError(error)) throw error;
      return false;
    } finally {
      if (ticket === latest) loading.value = false;
    }
  }

  function clear() {
    latest += 1;
    result.value = null;
    ran.value = null;
    page.value = 1;
    loading.value = false;
  }

  const changePage = (next: number) => (ran.value ? run(ran.value, next) : Promise.resolve(false));
  const changePageSize = (next: number) => (ran.value ? run(ran.value, 1, next) : Promise.resolve(false));
  const pagination = computed(() => tablePagination(page.value, pageSize.value, result.value?.total ?? 0));

  return { result, ran, loading, page, pageSize, run, clear, changePage, changePageSize, pagination };
}

export const validPageSize = (size: number) => (PAGE_SIZES.includes(size) ? size : DEFAULT_PAGE_SIZE);
