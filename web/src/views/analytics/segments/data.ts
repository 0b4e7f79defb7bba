import { computed } from 'vue';
import { useI18n } from 'vue-i18n';
import type { TableColumnData } from '@arco-design/web-vue';
import type { FieldSchema } from '@/components/SchemaForm/types';
import { TIERS, TREND_KEYS, TRENDS } from '@/utils/analytics';
import { useColumnFactory } from '@/utils/columns';
import { futureMonth } from '@/views/bills/data';

/** 客户分层 keeps its filters in the URL (no period: the server's current month). */
export const FILTER_KEYS = ['q', 'tier', 'trend', 'period'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export function useSearchSchema() {
  const { t } = useI18n();
  return computed<FieldSchema[]>(() => [
    { field: 'q', label: t('analytics.filters.q'), component: 'input', placeholder: t('analytics.filters.qPlaceholder') },
    {
      field: 'tier',
      label: t('analytics.segments.filters.tier'),
      component: 'select',
      options: TIERS.map((tier) => ({ value: tier, label: t('analytics.tier', { tier }) })),
      placeholder: t('common.all'),
    },
    {
      field: 'trend',
      label: t('analytics.segments.filters.trend'),
      component: 'select',
      options: TRENDS.map((trend) => ({ value: trend, label: t(`analytics.trend.${TREND_KEYS[trend]}`) })),
      placeholder: t('common.all'),
    },
    {
      field: 'period',
      label: t('analytics.segments.filters.period'),
      component: 'month',
      placeholder: t('analytics.filters.thisMonth'),
      props: { disabledDate: futureMonth },
    },
  ]);
}

export function useSegmentColumns() {
  const column = useColumnFactory('analytics.segments.columns');
  return computed<TableColumnData[]>(() => [
    column('customer', { minWidth: 260, ellipsis: true, tooltip: true }),
    column('value_tier', { width: 110 }),
    column('revenue_12m', { width: 160, align: 'right' }),
    column('trend', { width: 170 }),
  ]);
}
