import { computed } from 'vue';
import { useRoute, useRouter } from 'vue-router';
import { exportDashboard, getDashboard } from '@/api/analytics';
import type { ExportFormat } from '@/api/types';
import { useRouteAnswer } from '../useRouteAnswer';

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * 经营看板's state: the period is the URL's `period` (no period: the server's current
 * month, so a reload or a shared link shows the same figures), the answer is the last
 * one asked for, and a refusal (a future month) is shown in the server's words.
 */
export function useDashboard() {
  const route = useRoute();
  const router = useRouter();
  const requested = computed(() => {
    const value = route.query.period;
    return typeof value === 'string' && PERIOD.test(value) ? value : '';
  });
  const { answer, loading, error, load } = useRouteAnswer(requested, () =>
    getDashboard(requested.value ? { period: requested.value } : {}, { silent: true }),
  );

  /** Another month: into the URL, which loads it. */
  function choosePeriod(period: string | undefined) {
    void router.push({ query: { ...route.query, period: period || undefined } });
  }

  const period = computed(() => answer.value?.period ?? requested.value);

  /** 导出: the month on screen (the server's current month before the first answer). */
  const exportAs = (format: ExportFormat) => exportDashboard({ ...(period.value ? { period: period.value } : {}), format });

  return { answer, loading, error, reload: load, choosePeriod, period, exportAs };
}
