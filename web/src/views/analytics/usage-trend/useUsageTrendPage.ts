import { computed, ref, shallowRef, watch } from 'vue';
import { useRoute, useRouter, type LocationQuery } from 'vue-router';
import { exportUsageTrend, getAnalyticsUsageTrend } from '@/api/analytics';
import { isApiError } from '@/api/http';
import type { AnalyticsUsageTrend, AnalyticsUsageTrendQuery, ExportFormat } from '@/api/types';

/** The spans a person picks from; the server takes 1–36. */
export const MONTH_CHOICES = [6, 12, 24] as const;
export const DEFAULT_MONTHS = 12;
const SERIES = ['X', 'N', 'L'];
const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

export interface TrendFilters {
  customer_id: string;
  series: string;
  months: number;
  period: string;
}

const text = (value: LocationQuery[string] | undefined) => (typeof value === 'string' ? value : '');

/** The page's filters from the URL; anything malformed is left out (the server's defaults apply). */
export function parseTrendQuery(query: LocationQuery): TrendFilters {
  const months = Number(text(query.months));
  return {
    customer_id: /^\d+$/.test(text(query.customer_id)) ? text(query.customer_id) : '',
    series: SERIES.includes(text(query.series)) ? text(query.series) : '',
    months: (MONTH_CHOICES as readonly number[]).includes(months) ? months : DEFAULT_MONTHS,
    period: PERIOD.test(text(query.period)) ? text(query.period) : '',
  };
}

/** The request of the filters: only what is set. */
export function trendRequest(filters: TrendFilters): AnalyticsUsageTrendQuery {
  return {
    months: filters.months,
    ...(filters.customer_id ? { customer_id: filters.customer_id } : {}),
    ...(filters.series ? { series: filters.series } : {}),
    ...(filters.period ? { period: filters.period } : {}),
  };
}

/**
 * 用量趋势's state: the customer, series, span and last month live in the URL (a link
 * from a customer's page opens its trend), the answer is the last one asked for, and a
 * refusal is shown in the server's words.
 */
export function useUsageTrendPage() {
  const route = useRoute();
  const router = useRouter();
  const routeName = route.name;
  const filters = computed(() => parseTrendQuery(route.query));
  const answer = shallowRef<AnalyticsUsageTrend | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  let latest = 0;

  async function load() {
    const ticket = ++latest;
    loading.value = true;
    error.value = null;
    try {
      const next = await getAnalyticsUsageTrend(trendRequest(filters.value), { silent: true });
      if (ticket === latest) answer.value = next;
    } catch (failure) {
      if (ticket === latest) error.value = isApiError(failure) ? failure.message : String(failure);
    } finally {
      if (ticket === latest) loading.value = false;
    }
  }

  watch(() => JSON.stringify(filters.value), () => route.name === routeName && void load(), { immediate: true });

  /** Change some filters: into the URL (the default span left out), which loads them. */
  function apply(patch: Partial<TrendFilters>) {
    const next = { ...filters.value, ...patch };
    void router.push({
      query: {
        ...(next.customer_id ? { customer_id: next.customer_id } : {}),
        ...(next.series ? { series: next.series } : {}),
        ...(next.months !== DEFAULT_MONTHS ? { months: String(next.months) } : {}),
        ...(next.period ? { period: next.period } : {}),
      },
    });
  }

  /** 导出: the filters on screen, the month the chart ends at included (the server's current one when none was chosen). */
  function exportAs(format: ExportFormat) {
    const period = filters.value.period || answer.value?.period || '';
    return exportUsageTrend({ ...trendRequest({ ...filters.value, period }), format });
  }

  return { filters, answer, loading, error, apply, exportAs };
}
