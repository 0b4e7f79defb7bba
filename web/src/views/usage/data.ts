import { computed } from 'vue';
import { useI18n } from 'vue-i18n';
import type { TableColumnData } from '@arco-design/web-vue';
import type { FieldSchema } from '@/components/SchemaForm/types';
import { useColumnFactory } from '@/utils/columns';
import { SERIES_ORDER } from '@/utils/usage-rules';

/** 用量数据 keeps its filters in the URL; no month means this month. */
export const FILTER_KEYS = ['customer_id', 'series', 'month'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export function useSeriesOptions() {
  const { t } = useI18n();
  return computed(() => SERIES_ORDER.map((s) => ({ value: s, label: t('usage.seriesName', { series: s }) })));
}

export function useSearchSchema() {
  const { t } = useI18n();
  const series = useSeriesOptions();
  return computed<FieldSchema[]>(() => [
    { field: 'customer_id', label: t('usage.filters.customer'), component: 'customer' },
    { field: 'series', label: t('usage.filters.series'), component: 'select', options: series.value, placeholder: t('usage.filters.allSeries') },
    { field: 'month', label: t('usage.filters.month'), component: 'month', props: { allowClear: false } },
  ]);
}

export function useRecordColumns() {
  const column = useColumnFactory('usage.records.columns');
  return computed<TableColumnData[]>(() => [
    column('day', { width: 110, fixed: 'left' }),
    column('customer', { minWidth: 220, ellipsis: true, tooltip: true }),
    column('series', { width: 80 }),
    column('quantity', { width: 130, align: 'right' }),
    column('source', { width: 150 }),
    column('source_id', { width: 180, ellipsis: true, tooltip: true }),
    column('revisions', { width: 90, align: 'right' }),
    column('updated_at', { width: 170 }),
    column('updated_by', { width: 110 }),
    column('actions', { width: 150, fixed: 'right', align: 'center' }),
  ]);
}

export function useMonthlyColumns() {
  const column = useColumnFactory('usage.monthly.columns');
  return computed<TableColumnData[]>(() => [
    column('customer_code', { width: 130, fixed: 'left' }),
    column('company_name', { minWidth: 220, ellipsis: true, tooltip: true }),
    ...SERIES_ORDER.map((s) => column(s, { width: 140, align: 'right' as const })),
    column('days', { width: 110, align: 'right' }),
  ]);
}
