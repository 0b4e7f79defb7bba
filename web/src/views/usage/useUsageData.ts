import { computed, ref, shallowRef, watch } from 'vue';
import { getUsageDaily, listUsage } from '@/api/usage';
import type { UsageDaily } from '@/api/types';
import { useListQuery } from '@/hooks/useListQuery';
import { currentPeriod } from '@/utils/pricing-rules';
import { FILTER_KEYS } from './data';

/**
 * 用量数据's state: the filters (in the URL), the daily records list, the month's chart,
 * and a key the monthly table watches. `refresh()` after a write reloads all three.
 */
export function useUsageData() {
  const list = useListQuery({
    filterKeys: FILTER_KEYS,
    fetch: (params) => listUsage({ ...params, month: params.month || currentPeriod() }),
  });
  if (!list.filters.month) list.filters.month = currentPeriod();

  /** The filters the lists on screen use, the month filled in. */
  const applied = computed(() => {
    const f = list.appliedFilters.value;
    return { customer_id: f.customer_id, series: f.series, month: f.month || currentPeriod() };
  });
  const refreshKey = ref(0);
  const daily = shallowRef<UsageDaily | null>(null);
  const dailyLoading = ref(false);
  let latest = 0;

  async function loadDaily() {
    const ticket = ++latest;
    dailyLoading.value = true;
    const { month, customer_id, series } = applied.value;
    try {
      const answer = await getUsageDaily({ month, customer_id: customer_id || undefined, series: series || undefined });
      if (ticket === latest) daily.value = answer;
    } catch {
      // The client has shown the message; keep the chart on screen.
    } finally {
      if (ticket === latest) dailyLoading.value = false;
    }
  }
  watch([applied, refreshKey], loadDaily, { immediate: true });

  return {
    list,
    applied,
    refreshKey,
    daily,
    dailyLoading,
    /** After a write: the records, the chart and the monthly table again. */
    refresh() {
      refreshKey.value += 1;
      void list.reload();
    },
  };
}
