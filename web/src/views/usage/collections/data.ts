import { computed, type Ref } from 'vue';
import { useI18n } from 'vue-i18n';
import type { TableColumnData } from '@arco-design/web-vue';
import type { UsageSourceInfo } from '@/api/types';
import type { FieldSchema } from '@/components/SchemaForm/types';
import { useColumnFactory } from '@/utils/columns';

export const FILTER_KEYS = ['status', 'source', 'day'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export const RUN_STATUSES = ['running', 'succeeded', 'failed'] as const;
export const STATUS_COLORS = { running: 'arcoblue', succeeded: 'green', failed: 'red' } as const;

/** The server's bound on one range collection (docs/api/usage.md). */
export const MAX_RANGE_DAYS = 92;

/** Days from `from` to `to`, both included (calendar dates, no time zone involved). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

export function useSearchSchema(sources: Ref<UsageSourceInfo[]>) {
  const { t } = useI18n();
  return computed<FieldSchema[]>(() => [
    {
      field: 'status',
      label: t('usage.collections.filters.status'),
      component: 'select',
      options: RUN_STATUSES.map((s) => ({ value: s, label: t(`usage.collections.status.${s}`) })),
      placeholder: t('common.all'),
    },
    {
      field: 'source',
      label: t('usage.collections.filters.source'),
      component: 'select',
      options: sources.value.map((s) => ({ value: s.name, label: s.name })),
      placeholder: t('common.all'),
    },
    { field: 'day', label: t('usage.collections.filters.day'), component: 'date' },
  ]);
}

export function useColumns() {
  const column = useColumnFactory('usage.collections.columns');
  return computed<TableColumnData[]>(() => [
    column('id', { width: 70 }),
    column('source', { width: 120 }),
    column('day', { width: 110 }),
    column('status', { minWidth: 240 }),
    column('trigger', { width: 90 }),
    column('pages', { width: 110, align: 'right' }),
    column('fetched', { width: 80, align: 'right' }),
    column('outcome', { width: 170, align: 'right' }),
    column('quarantined', { width: 80, align: 'right' }),
    column('discarded', { width: 110, align: 'right' }),
    column('started_at', { width: 170 }),
    column('duration', { width: 100, align: 'right' }),
    column('triggered_by', { width: 100 }),
    column('actions', { width: 100, fixed: 'right', align: 'center' }),
  ]);
}
