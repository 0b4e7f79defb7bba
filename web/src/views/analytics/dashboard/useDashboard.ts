import { computed, ref, shallowRef, watch } from 'vue';
import { useRoute, useRouter } from 'vue-router';
import { exportDashboard, getDashboard } from '@/api/analytics';
import { isApiError } from '@/api/http';
import type { Dashboard, ExportFormat } from '@/api/types';

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * 经营看板's state: the period is the URL's `period` (no period: the server's current
 * month, so a reload or a shared link shows the same figures), the answer is the last
 * one asked for, and a refusal (a future month) is shown in the server's words.
 */
export function useDashboard() {
  const route = useRoute();
  const router = useRouter();
  const routeName = route.name;
  const requested = computed(() => {
    const value = route.query.period;
    return typeof value === 'string' && PERIOD.test(value) ? value : '';
  });
  const answer = shallowRef<Dashboard | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  let latest = 0;

  async function load() {
    const ticket = ++latest;
    loading.value = true;
    error.value = null;
    try {
      const next = await getDashboard(requested.value ? { period: requested.value } : {}, { silent: true });
      if (ticket === latest) answer.value = next;
    } catch (failure) {
      if (ticket === latest) error.value = isApiError(failure) ? failure.message : String(failure);
    } finally {
      if (ticket === latest) loading.value = false;
    }
  }

  // Only while this page is the one shown (the query of the next page is not ours).
  watch(requested, () => route.name === routeName && void load(), { immediate: true });

  /** Another month: into the URL, which loads it. */
  function choosePeriod(period: string | undefined) {
    void router.push({ query: { ...route.query, period: period || undefined } });
  }

  const period = computed(() => answer.value?.period ?? requested.value);

  /** 导出: the month on screen (the server's current month before the first answer). */
  const exportAs = (format: ExportFormat) => exportDashboard({ ...(period.value ? { period: period.value } : {}), format });

  return { answer, loading, error, reload: load, choosePeriod, period, exportAs };
}
